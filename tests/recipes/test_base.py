"""The shape every recipe shares (`keras_hashing/recipes/base.py`) and the run helpers."""

import argparse
import dataclasses

import pytest

from keras_hashing.recipes import flags
from keras_hashing.recipes.base import Recipe
from keras_hashing.recipes.runs import run_file_name
from keras_hashing.recipes.runs import step_budget


@dataclasses.dataclass
class ToyConfig:
    lr: float = 0.1
    output_dim: int = 32
    dataset: str = "fashion_mnist"
    log_dir: str = "tflog"


class ToyRecipe(Recipe):
    config_class = ToyConfig
    presets = {"long": {"lr": 0.01, "output_dim": 64}}

    def file_stem(self):
        return f"lr_{self.config.lr}_dataset_{self.config.dataset}"


def test_settings_override_the_defaults_and_unknown_ones_are_named():
    recipe = ToyRecipe(output_dim=16)
    assert recipe.config == ToyConfig(output_dim=16)
    with pytest.raises(TypeError, match=r"no setting 'bits'.*'output_dim'"):
        ToyRecipe(bits=16)
    with pytest.raises(TypeError, match="takes a ToyConfig"):
        ToyRecipe({"lr": 0.1})


def test_from_args_takes_every_parsed_flag():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--output-dim", type=int, default=32)
    assert ToyRecipe.from_args(parser.parse_args(["--lr", "0.5"])).config.lr == 0.5
    parser.add_argument("--stray", default=1)
    with pytest.raises(TypeError, match="'stray'"):
        ToyRecipe.from_args(parser.parse_args([]))


def test_presets_and_overrides():
    recipe = ToyRecipe.preset("long", output_dim=128)
    assert (recipe.config.lr, recipe.config.output_dim) == (0.01, 128)
    with pytest.raises(ValueError, match=r"no preset 'short'.*\['long'\]"):
        ToyRecipe.preset("short")


def test_run_name_covers_every_setting_but_the_output_folders():
    base = ToyRecipe().run_name()
    assert base.startswith("lr_0.1_dataset_fashion_mnist_")
    assert ToyRecipe(output_dim=64).run_name() != base
    assert ToyRecipe(log_dir="elsewhere").run_name() == base
    assert "log_dir" not in ToyRecipe().run_settings()
    assert run_file_name("stem", {"a": 1, "gpus": "0"}) == run_file_name("stem", {"a": 1})


def test_step_budget_and_a_batch_larger_than_the_data():
    assert step_budget(5000, 128, 2000) == (39, 52)
    with pytest.raises(ValueError, match="batch size 64 exceeds the 10 training items"):
        step_budget(10, 64, 100)


@pytest.mark.parametrize(
    "text, value", [("true", True), ("False", False), ("1", True), ("no", False)]
)
def test_str2bool(text, value):
    assert flags.str2bool(text) is value


def test_str2bool_refuses_other_words():
    with pytest.raises(argparse.ArgumentTypeError, match="'maybe'"):
        flags.str2bool("maybe")
