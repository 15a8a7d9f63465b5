"""TensorFlow may be imported only in keras_hashing/data/ and keras_hashing/distribute.py."""

import pathlib
import re

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "keras_hashing"
ALLOWED = ("data/", "distribute.py")
IMPORT = re.compile(r"^\s*(import tensorflow|from tensorflow)\b", re.MULTILINE)


def test_tensorflow_is_imported_only_at_the_data_and_distribution_edges():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith(ALLOWED):
            continue
        if IMPORT.search(path.read_text()):
            offenders.append(relative)
    assert offenders == []


def test_the_check_would_catch_an_import():
    assert IMPORT.search("x = 1\n    import tensorflow as tf\n")
    assert IMPORT.search("from tensorflow.keras import layers")
    assert not IMPORT.search("import tensorflow_datasets_helper_name_in_a_comment = 1".replace("import ", "# "))
