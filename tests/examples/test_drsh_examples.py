"""examples/drsh/train.py and test.py: their flags are the recipes' settings, and they run.

The training and encoding logic is tested from Python in tests/recipes/test_drsh.py.
"""

import dataclasses
import importlib.util
import os

import numpy as np
import pytest

from keras_hashing.recipes.drsh import DRSHConfig
from keras_hashing.recipes.drsh import DRSHRecipe
from keras_hashing.recipes.drsh import DRSHTestConfig
from keras_hashing.recipes.drsh import DRSHTestRecipe
from tests.recipes.test_drsh import file_settings
from tests.recipes.test_drsh import make_files

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load_script(name):
    path = os.path.join(ROOT, "examples", "drsh", name + ".py")
    spec = importlib.util.spec_from_file_location("drsh_example_" + name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def as_flags(settings):
    return [
        part
        for key, value in settings.items()
        for part in ("--" + key.replace("_", "-"), str(value))
    ]


@pytest.mark.parametrize("name, config_class", [("train", DRSHConfig), ("test", DRSHTestConfig)])
def test_parser_defaults_are_the_config_defaults(name, config_class):
    parser = load_script(name).build_parser()
    flags = {action.dest: action.default for action in parser._actions if action.dest != "help"}
    fields = {field.name: field.default for field in dataclasses.fields(config_class)}
    assert flags == fields
    assert dataclasses.asdict(config_class(**vars(parser.parse_args([])))) == fields


def test_flags_parse_to_the_recipe_settings():
    train = load_script("train").build_parser()
    args = train.parse_args(
        ["--reload", "true", "--mode", "batched", "--strict-negatives", "--max-steps", "7"]
        + ["--negative-categories", "sky", "sea", "--lrate", "0.01", "--log-dir", "LOGS"]
    )
    config = DRSHRecipe.from_args(args).config
    assert config.reload is True and config.mode == "batched" and config.strict_negatives
    assert (config.max_steps, config.lrate, config.log_dir) == (7, 0.01, "LOGS")
    assert config.negative_categories == ["sky", "sea"]

    test = load_script("test").build_parser()
    args = test.parse_args(["--loadfile", "m.keras", "--steps", "32", "--image-categories", "c.h5"])
    config = DRSHTestRecipe.from_args(args).config
    assert (config.loadfile, config.steps, config.image_categories) == ("m.keras", 32, "c.h5")


@pytest.mark.tensorflow_only
def test_a_recipe_error_is_a_one_line_exit(tmp_path):
    make_files(tmp_path, extra_ids=["999"])  # in the membership files, not in the feature file
    argv = as_flags(file_settings(tmp_path)) + [
        "--image-categories",
        str(tmp_path / "imageclas.h5"),
        "--category-images",
        str(tmp_path / "class.h5"),
    ]
    with pytest.raises(SystemExit, match=r"feature file .*feat\.h5 has no entry .*'999'"):
        load_script("train").main(argv)


@pytest.mark.tensorflow_only
@pytest.mark.slow
def test_train_then_test(tmp_path, capsys):
    make_files(tmp_path)
    saveto = str(tmp_path / "models") + "/"
    model, path = load_script("train").main(
        as_flags(file_settings(tmp_path))
        + ["--maxepoch", "1", "--save-freq", "3", "--saveto", saveto]
        + ["--log-dir", str(tmp_path / "tflog")]
        + ["--image-categories", str(tmp_path / "imageclas.h5")]
        + ["--category-images", str(tmp_path / "class.h5")]
    )
    assert int(model.optimizer.iterations.numpy()) == 9 and path == saveto + "drsh.keras"
    printed = capsys.readouterr().out
    assert f"saved {saveto}0_8.npz" in printed and "trained 9 steps (9 triplets)" in printed

    code_dir = tmp_path / "code"
    results = load_script("test").main(
        as_flags(file_settings(tmp_path))
        + ["--loadfile", path, "--code-dir", str(code_dir)]
        + ["--image-categories", str(tmp_path / "imageclas.h5")]
    )
    assert results["train"].shape == (9, 8) and 0.0 < results["mAP@ALL"] <= 1.0
    np.testing.assert_array_equal(np.load(code_dir / "train34_2_1k_96.npy"), results["train"])
    printed = capsys.readouterr().out
    for key in ("test: 3 codes of 8 bits", "train: 9 codes of 8 bits", "mAP@ALL:", "mAP@1000:"):
        assert key in printed
