"""TensorFlow may be imported only in keras_hashing/data/, keras_hashing/distribute.py and
keras_hashing/backend_ops.py (the fused TensorFlow kernels that layers reach through one
backend-checked function each, with the keras.ops path beside them for every other backend).

Imports under `if TYPE_CHECKING:` are for annotations only and never run, so they do not count.

One documented exception: DADH's alternating adversarial step needs three gradients per batch
and Keras 3 has no public backend-agnostic gradient, so `models/dadh.py::_value_and_grad` looks
up `jax` or `tensorflow` at run time (CONTRIBUTING, "Backend boundary"). The test pins that to
exactly one run-time lookup in that one file.
"""

import ast
import pathlib
import re

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "keras_hashing"
ALLOWED = ("data/", "distribute.py", "backend_ops.py")
IMPORT = re.compile(r"^\s*(import tensorflow|from tensorflow)\b", re.MULTILINE)
RUNTIME_IMPORT = re.compile(r"""import_module\(\s*["']tensorflow""")
RUNTIME_EXCEPTIONS = {"models/dadh.py": 1}


def _type_checking_only(node):
    return isinstance(node, ast.If) and (
        (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING")
        or (isinstance(node.test, ast.Attribute) and node.test.attr == "TYPE_CHECKING")
    )


def runtime_tensorflow_imports(source):
    """Line numbers of `import tensorflow...` / `from tensorflow... import` statements that can
    run: anywhere in the module except under `if TYPE_CHECKING:`."""
    found = []

    def visit(node):
        if _type_checking_only(node):
            for child in node.orelse:  # an `else:` branch does run
                visit(child)
            return
        if isinstance(node, ast.Import) and any(
            alias.name.split(".")[0] == "tensorflow" for alias in node.names
        ):
            found.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "tensorflow":
            found.append(node.lineno)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(source))
    return found


def test_tensorflow_is_imported_only_at_the_data_distribution_and_kernel_edges():
    offenders, runtime = [], {}
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith(ALLOWED):
            continue
        text = path.read_text()
        if runtime_tensorflow_imports(text):
            offenders.append(relative)
        count = len(RUNTIME_IMPORT.findall(text))
        if count:
            runtime[relative] = count
    assert offenders == []
    assert runtime == RUNTIME_EXCEPTIONS


def test_the_check_would_catch_an_import():
    assert runtime_tensorflow_imports("x = 1\ndef f():\n    import tensorflow as tf\n") == [3]
    assert runtime_tensorflow_imports("from tensorflow.keras import layers") == [1]
    assert runtime_tensorflow_imports("import os, tensorflow.io") == [1]
    guarded = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import tensorflow as tf\n"
    assert runtime_tensorflow_imports(guarded) == []
    assert runtime_tensorflow_imports(guarded + "else:\n    import tensorflow as tf\n") == [5]
    assert runtime_tensorflow_imports("if True:\n    import tensorflow\n") == [2]
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
