"""TensorFlow may be imported only in keras_hashing/data/, keras_hashing/distribute.py and
keras_hashing/backend_ops.py (the fused TensorFlow kernels that layers reach through one
backend-checked function each, with the keras.ops path beside them for every other backend).

One documented exception: DADH's alternating adversarial step needs three gradients per batch
and Keras 3 has no public backend-agnostic gradient, so `models/dadh.py::_value_and_grad` looks
up `jax` or `tensorflow` at run time (CONTRIBUTING, "Backend boundary"). The test pins that to
exactly one run-time lookup in that one file.
"""

import pathlib
import re

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "keras_hashing"
ALLOWED = ("data/", "distribute.py", "backend_ops.py")
IMPORT = re.compile(r"^\s*(import tensorflow|from tensorflow)\b", re.MULTILINE)
RUNTIME_IMPORT = re.compile(r"""import_module\(\s*["']tensorflow""")
RUNTIME_EXCEPTIONS = {"models/dadh.py": 1}


def test_tensorflow_is_imported_only_at_the_data_distribution_and_kernel_edges():
    offenders, runtime = [], {}
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith(ALLOWED):
            continue
        text = path.read_text()
        if IMPORT.search(text):
            offenders.append(relative)
        count = len(RUNTIME_IMPORT.findall(text))
        if count:
            runtime[relative] = count
    assert offenders == []
    assert runtime == RUNTIME_EXCEPTIONS


def test_the_check_would_catch_an_import():
    assert IMPORT.search("x = 1\n    import tensorflow as tf\n")
    assert IMPORT.search("from tensorflow.keras import layers")
    assert not IMPORT.search("# import tensorflow in a comment is not at a line start\nx = 1")
    assert RUNTIME_IMPORT.search('tf = importlib.import_module("tensorflow")')


def test_backend_ops_imports_tensorflow_only_behind_the_backend_check():
    # The one import sits in `_tensorflow()`, after `keras.backend.backend()` said "tensorflow".
    text = (PACKAGE / "backend_ops.py").read_text()
    assert len(IMPORT.findall(text)) == 1
    guard = text.index('keras.backend.backend() != "tensorflow"')
    assert guard < IMPORT.search(text).start()
    assert not re.search(r"^(import tensorflow|from tensorflow)", text, re.MULTILINE)
