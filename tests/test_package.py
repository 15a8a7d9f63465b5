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
