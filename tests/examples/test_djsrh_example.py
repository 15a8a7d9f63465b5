"""examples/djsrh/train.py: settings.py's flags and defaults, parsed into `DJSRHRecipe`."""

import dataclasses
import importlib.util
import os

import pytest

from keras_hashing.recipes.djsrh import DJSRHConfig
from keras_hashing.recipes.djsrh import DJSRHRecipe
from tests.fake_data import write_openclipart_mat

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load_train():
    path = os.path.join(ROOT, "examples", "djsrh", "train.py")
    spec = importlib.util.spec_from_file_location("djsrh_train", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_flag_default_is_the_config_default():
    args = load_train().build_parser().parse_args([])
    assert vars(args) == dataclasses.asdict(DJSRHConfig())


def test_parsed_flags_take_the_datasets_settings():
    parser = load_train().build_parser()
    recipe = DJSRHRecipe.from_args(parser.parse_args(["--dataset", "NUSWIDE"]))
    assert recipe.config == DJSRHRecipe.preset("NUSWIDE").config
    assert (recipe.config.beta, recipe.config.num_epoch, recipe.config.lr_img) == (0.6, 80, 0.001)
    given = parser.parse_args(["--dataset", "WIKI", "--beta", "0.5", "--eval", "--resume"])
    config = DJSRHRecipe.from_args(given).config
    assert (config.beta, config.lambda1, config.eval, config.resume) == (0.5, 0.3, True, True)


def test_recipe_errors_end_the_script_with_one_line(tmp_path):
    train = load_train()
    folder = write_openclipart_mat(tmp_path / "data", with_features=False)
    model_dir = str(tmp_path / "checkpoint")
    with pytest.raises(SystemExit, match="features-from lite0"):
        train.main(["--dataset", "openclipart", "--data-dir", folder, "--model-dir", model_dir])
    folder = write_openclipart_mat(tmp_path / "data")
    with pytest.raises(SystemExit, match="No checkpoint"):
        train.main(
            ["--dataset", "openclipart", "--data-dir", folder, "--model-dir", model_dir, "--eval"]
        )


@pytest.mark.tensorflow_only
def test_train_through_main(tmp_path):
    train = load_train()
    common = [
        "--dataset",
        "openclipart",
        "--data-dir",
        write_openclipart_mat(tmp_path / "data"),
        "--code-len",
        "8",
        "--batch-size",
        "4",
        "--hidden",
        "16",
        "--text-hidden",
        "16",
        "--verbose",
        "0",
        "--model-dir",
        str(tmp_path / "checkpoint"),
        "--log-dir",
        str(tmp_path / "tflog"),
    ]
    results = train.main(common + ["--num-epoch", "1", "--eval-interval", "1"])
    assert set(results) == {"map_i2t", "map_t2i", "epoch_seconds"}
    assert 0.0 <= results["map_i2t"] <= 1.0 and 0.0 <= results["map_t2i"] <= 1.0
    assert os.listdir(tmp_path / "tflog" / "openclipart_8")
    assert os.path.exists(tmp_path / "checkpoint" / "latest.keras")
