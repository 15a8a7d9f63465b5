"""The public API carries type hints: every exported function, class constructor and public
method annotates its parameters (and functions and methods their return value).

Exported means a name a subpackage's `__init__` makes public, plus the recipe classes of
`keras_hashing.recipes.<module>`. Keras' own hooks (`call`, `build`, `get_config`, the callback
`on_*` methods, ...) keep the signatures Keras gives them and are not looked at.
"""

import importlib
import inspect
import pkgutil

import pytest

import keras_hashing

# Methods whose signature Keras defines; an annotation there adds nothing for a user.
KERAS_HOOKS = {
    "build",
    "build_from_config",
    "call",
    "compile_from_config",
    "compute_loss",
    "compute_output_shape",
    "compute_output_spec",
    "from_config",
    "get_build_config",
    "get_compile_config",
    "get_config",
    "predict_step",
    "reset_state",
    "result",
    "set_model",
    "set_params",
    "test_step",
    "train_step",
    "update_state",
    "update_step",
}


def subpackages():
    names = [info.name for info in pkgutil.iter_modules(keras_hashing.__path__) if info.ispkg]
    return sorted(names)


# The recipe modules, one per original codebase; their `*Recipe` and `*Config` classes are public.
RECIPE_MODULES = ("dadh", "deephash", "dhn_pytorch", "djsrh", "drsh")


def exported(subpackage):
    module = importlib.import_module(f"keras_hashing.{subpackage}")
    names = getattr(module, "__all__", None) or [
        name for name in vars(module) if not name.startswith("_")
    ]
    found = {}
    for name in names:
        value = getattr(module, name)
        if (inspect.isfunction(value) or inspect.isclass(value)) and getattr(
            value, "__module__", ""
        ).startswith("keras_hashing."):
            found[name] = value
    if subpackage == "recipes":
        for recipe_module in RECIPE_MODULES:
            inner = importlib.import_module(f"keras_hashing.recipes.{recipe_module}")
            found.update(
                (f"{recipe_module}.{name}", obj)
                for name, obj in vars(inner).items()
                if inspect.isclass(obj)
                and name.endswith(("Recipe", "Config"))
                and obj.__module__.startswith("keras_hashing.recipes.")
            )
    return found


def missing_hints(function, where, needs_return):
    problems = []
    signature = inspect.signature(function)
    for parameter in signature.parameters.values():
        if parameter.name in ("self", "cls") or parameter.kind in (
            parameter.VAR_POSITIONAL,
            parameter.VAR_KEYWORD,
        ):
            continue
        if parameter.annotation is inspect.Parameter.empty:
            problems.append(f"{where}: parameter {parameter.name!r}")
    if needs_return and signature.return_annotation is inspect.Signature.empty:
        problems.append(f"{where}: return value")
    return problems


def class_problems(name, cls):
    if inspect.isclass(cls) and hasattr(cls, "__dataclass_fields__"):
        return []  # dataclass fields are annotated by construction
    problems = []
    if "__init__" in vars(cls):
        problems += missing_hints(cls.__init__, f"{name}.__init__", needs_return=False)
    for attribute, value in vars(cls).items():
        if attribute.startswith("_") or attribute in KERAS_HOOKS or attribute.startswith("on_"):
            continue
        if isinstance(value, (staticmethod, classmethod)):
            value = value.__func__
        if inspect.isfunction(value):
            problems += missing_hints(value, f"{name}.{attribute}", needs_return=True)
    return problems


@pytest.mark.parametrize("subpackage", subpackages())
def test_public_api_is_annotated(subpackage):
    problems = []
    for name, value in sorted(exported(subpackage).items()):
        where = f"keras_hashing.{subpackage}.{name}"
        if inspect.isclass(value):
            problems += class_problems(where, value)
        else:
            problems += missing_hints(value, where, needs_return=True)
    assert not problems, f"{len(problems)} public signatures lack type hints:\n" + "\n".join(
        problems
    )
