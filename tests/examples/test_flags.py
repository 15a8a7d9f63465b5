"""Every example script's flags: help text, defaults shown by `--help`, and a log directory.

Parsers only: nothing here trains, so the whole module runs in a few seconds.
"""

import argparse
import importlib
import importlib.util
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# script -> the arguments that set its log directory to "LOGS" (None: a script that does not
# train). DHN, DQN and DVSQ take `log_dir` as the original's positional argument, in its order.
SCRIPTS = {
    "examples/dch/train_val_script.py": ["--log-dir", "LOGS"],
    "examples/dhn/train_val_script.py": "0.005 32 20 0.0 10.0 cifar10 0 LOGS data".split(),
    "examples/dqn/train_val_script.py": "0.002 300 5000 0.0001 4 cifar10 0 LOGS".split(),
    "examples/dvsq/train_val_script.py": "0.02 300 5000 0.0001 4 cifar10 0 LOGS".split(),
    "examples/dtq/train_val_script.py": ["--log-dir", "LOGS"],
    "examples/dhn_pytorch/run.py": ["--code-length", "32", "--log-dir", "LOGS"],
    "examples/drsh/train.py": ["--log-dir", "LOGS"],
    "examples/drsh/test.py": None,  # encodes a trained model: nothing to log
    "examples/dadh/main.py": ["train", "--log-dir", "LOGS"],
    "examples/djsrh/train.py": ["--log-dir", "LOGS"],
}
# script -> the recipe its `main` runs.
RECIPES = {
    "examples/dch/train_val_script.py": "keras_hashing.recipes.deephash.DCHRecipe",
    "examples/dhn/train_val_script.py": "keras_hashing.recipes.deephash.DHNRecipe",
    "examples/dqn/train_val_script.py": "keras_hashing.recipes.deephash.DQNRecipe",
    "examples/dvsq/train_val_script.py": "keras_hashing.recipes.deephash.DVSQRecipe",
    "examples/dtq/train_val_script.py": "keras_hashing.recipes.deephash.DTQRecipe",
    "examples/dhn_pytorch/run.py": "keras_hashing.recipes.dhn_pytorch.DHNPyTorchRecipe",
    "examples/drsh/train.py": "keras_hashing.recipes.drsh.DRSHRecipe",
    "examples/drsh/test.py": "keras_hashing.recipes.drsh.DRSHTestRecipe",
    "examples/dadh/main.py": "keras_hashing.recipes.dadh.DADHRecipe",
    "examples/djsrh/train.py": "keras_hashing.recipes.djsrh.DJSRHRecipe",
}
# The log directory when none is given: the original's name where it has one.
LOG_DIR_DEFAULTS = {
    "examples/dch/train_val_script.py": ([], "tflog"),
    "examples/dqn/train_val_script.py": ([], "tflog"),
    "examples/dvsq/train_val_script.py": ([], "tflog"),
    "examples/dtq/train_val_script.py": ([], "tflog"),
    "examples/dhn_pytorch/run.py": ([], "logs"),
    "examples/drsh/train.py": ([], "tflog"),
    "examples/dadh/main.py": (["train"], "tflog"),
    "examples/djsrh/train.py": ([], "tflog"),
}


def load_script(relative):
    path = os.path.join(ROOT, relative)
    name = "flags_" + relative.replace("/", "_")[: -len(".py")]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_parser(relative):
    return load_script(relative).build_parser()


def described(action):
    return "/".join(action.option_strings) or action.dest


def action_help(parser, action):
    """The help line(s) `--help` prints for one action, unwrapped."""
    formatter = parser.formatter_class(prog=parser.prog, width=10_000)
    formatter.add_argument(action)
    return " ".join(formatter.format_help().split())


@pytest.mark.parametrize("relative", sorted(SCRIPTS))
def test_every_argument_has_help(relative):
    parser = build_parser(relative)
    missing = [
        described(action)
        for action in parser._actions
        if not isinstance(action, argparse._HelpAction)
        and (not action.help or action.help == argparse.SUPPRESS or not action.help.strip())
    ]
    assert not missing, f"{relative}: no help text for {missing}"


@pytest.mark.parametrize("relative", sorted(SCRIPTS))
def test_help_shows_every_default(relative):
    parser = build_parser(relative)
    hidden = []
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction) or action.default is None:
            continue
        text = action_help(parser, action)
        if "default" not in text or str(action.default) not in text:
            hidden.append((described(action), action.default))
    assert not hidden, f"{relative}: --help does not show the defaults of {hidden}"
    parser.format_help()  # every help string formats (no stray %)


@pytest.mark.parametrize(
    "relative",
    [
        "examples/dqn/train_val_script.py",
        "examples/dvsq/train_val_script.py",
        "examples/dtq/train_val_script.py",
    ],
)
def test_quick_run_limits_are_visible(relative):
    parser = build_parser(relative)
    limits = {
        action.option_strings[0]: action
        for action in parser._actions
        if action.option_strings[:1] in (["--train-limit"], ["--eval-limit"])
    }
    assert sorted(limits) == ["--eval-limit", "--train-limit"]
    for flag, action in limits.items():
        assert action.default == 0
        assert action.help not in (None, argparse.SUPPRESS) and "quick run" in action.help
        assert flag in parser.format_help()


@pytest.mark.parametrize(
    "relative", sorted(name for name, argv in SCRIPTS.items() if argv is not None)
)
def test_log_dir_is_accepted_and_reaches_the_recipe(relative):
    # The recipe's own tests check that TensorBoard writes under its `log_dir`; here, that the
    # flag the script parses is the one its recipe is built with.
    args = build_parser(relative).parse_args(SCRIPTS[relative])
    assert args.log_dir == "LOGS"
    module_name, class_name = RECIPES[relative].rsplit(".", 1)
    recipe_class = getattr(importlib.import_module(module_name), class_name)
    assert recipe_class.from_args(args).config.log_dir == "LOGS"


@pytest.mark.parametrize("relative", sorted(LOG_DIR_DEFAULTS))
def test_log_dir_defaults(relative):
    argv, expected = LOG_DIR_DEFAULTS[relative]
    assert build_parser(relative).parse_args(argv).log_dir == expected
