"""Every public subpackage is reachable after `import keras_hashing as kh`."""

import importlib
import pkgutil

import keras_hashing as kh


def test_every_subpackage_is_an_attribute():
    names = [
        info.name for info in pkgutil.iter_modules(kh.__path__) if info.ispkg
    ]
    assert "quantization" in names and "data" in names
    for name in names:
        assert getattr(kh, name) is importlib.import_module(f"keras_hashing.{name}")


def test_unknown_attribute_is_an_attribute_error():
    try:
        kh.no_such_thing  # noqa: B018
    except AttributeError as error:
        assert "no_such_thing" in str(error)
    else:
        raise AssertionError("expected AttributeError")


def test_no_citations_of_internal_spec_files():
    """Docstrings and comments cite the original codebases, not the developers' spec files.

    Every `§` is refused, and so is the word "spec(s)" in a comment or string, except where it
    names this library's dataset spec strings (`dataset_from_spec`'s "tfds:<name>" argument).
    Identifiers (`element_spec`, `TensorSpec`, a `spec` variable) are code, not text, and are
    not looked at.
    """
    import io
    import pathlib
    import re
    import tokenize

    citation = re.compile(
        r"§|\bspecs?/|\b(?:deephash|drsh_dadh_dhn_djsrh|peers_and_users)\.md\b|\bspec(?:s|'s)?\b",
        re.IGNORECASE,
    )
    # "spec" naming a dataset spec string or the `spec` argument: "Dataset spec {spec!r} ...",
    # "spec: str, ...", "`spec`", "spec=...".
    allowed = re.compile(
        r"\bdataset specs?\b|\{spec\b[^{}]*\}|^\s*specs?:|`spec`|\bspec\s*=", re.IGNORECASE
    )
    text_tokens = {tokenize.COMMENT, tokenize.STRING}
    if hasattr(tokenize, "FSTRING_MIDDLE"):  # Python >= 3.12 splits f-strings into parts.
        text_tokens.add(tokenize.FSTRING_MIDDLE)

    root = pathlib.Path(__file__).resolve().parent.parent
    found = []
    for folder in ("keras_hashing", "examples"):
        for path in sorted((root / folder).rglob("*.py")):
            source = path.read_text(encoding="utf-8")
            where = path.relative_to(root)
            for number, line in enumerate(source.splitlines(), 1):
                if "§" in line:
                    found.append(f"{where}:{number}: {line.strip()}")
            tokens = tokenize.generate_tokens(io.StringIO(source).readline)
            for token in tokens:
                if token.type not in text_tokens:
                    continue
                for offset, line in enumerate(token.string.splitlines()):
                    text = allowed.sub("", line)
                    if "§" not in line and citation.search(text):
                        found.append(f"{where}:{token.start[0] + offset}: {line.strip()}")
    assert not found, "citations of internal spec files:\n" + "\n".join(found)


_WITHOUT_TENSORFLOW = """
import sys

class _NoTensorFlow:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "tensorflow":
            raise ImportError("TensorFlow is not installed here")

sys.meta_path.insert(0, _NoTensorFlow())
import keras_hashing as kh
from keras_hashing.backbones import EfficientNetLite
from keras_hashing.data import load_image, read_image_list
from keras_hashing.models import DCH
from keras_hashing.recipes import efficientnet_lite_parts, load_preset, with_trunk
assert "tensorflow" not in sys.modules
try:
    kh.data.TrunkCache
except ImportError as error:
    print("needs:", error)
"""


def test_models_and_list_files_import_without_tensorflow(tmp_path):
    """A JAX-only install (the GPU path) reads list files and builds models with no TensorFlow;
    the `tf.data` parts say what they need when first used."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, KERAS_BACKEND="jax")
    result = subprocess.run(
        [sys.executable, "-c", _WITHOUT_TENSORFLOW], env=env, capture_output=True, text=True,
        cwd=tmp_path, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "needs: TensorFlow is not installed here" in result.stdout
