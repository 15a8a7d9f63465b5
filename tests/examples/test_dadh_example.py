"""examples/dadh/main.py: the original's command and flags, parsed into `DADHRecipe`."""

import dataclasses
import importlib.util
import os

import pytest

from keras_hashing.recipes.dadh import DADHConfig
from keras_hashing.recipes.dadh import DADHRecipe
from tests.recipes.test_dadh import write_tiny_flickr
from tests.recipes.test_dadh import write_tiny_openclipart

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load_main():
    path = os.path.join(ROOT, "examples", "dadh", "main.py")
    spec = importlib.util.spec_from_file_location("dadh_main", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_parser_has_the_original_flags_and_defaults():
    main = load_main()
    args = main.build_parser().parse_args(["train"])
    expected = {
        "flag": "mir",
        "batch_size": 128,
        "lr": 5e-5,
        "valid_freq": 1,
        "bit": 64,
        "lamb": 1.0,
        "alpha": 10.0,
        "gamma": 1.0,
        "beta": 1.0,
        "mu": 1e-5,
        "margin": 0.4,
        "max_epoch": 300,
        "dropout": False,
        "image_dim": 4096,
        "hidden_dim": 8192,
        "select_on_query": False,
    }
    assert {key: getattr(args, key) for key in expected} == expected
    assert main.build_parser().parse_args(["train", "--dropout", "True"]).dropout is True
    scripts = {
        name: open(os.path.join(ROOT, "examples/dadh", name)).read()
        for name in ("run_mir.sh", "run_nus.sh")
    }
    assert "--flag mir" in scripts["run_mir.sh"]
    assert "--lr 1e-5 --dropout True" in scripts["run_nus.sh"]


def test_every_flag_default_is_the_config_default():
    args = load_main().build_parser().parse_args(["train"])
    assert vars(args) == dataclasses.asdict(DADHConfig())


def test_parsed_flags_build_the_recipe():
    argv = ["test", "--flag", "nus", "--bit", "16", "--dropout", "true", "--log-dir", "L"]
    recipe = DADHRecipe.from_args(load_main().build_parser().parse_args(argv))
    assert recipe.config == DADHConfig(
        command="test", flag="nus", bit=16, dropout=True, log_dir="L"
    )
    assert recipe.file_stem() == "nus-wide_16"


def test_recipe_errors_end_the_script_with_one_line(tmp_path):
    main = load_main()
    folder = write_tiny_openclipart(str(tmp_path / "oca"), with_features=False)
    with pytest.raises(SystemExit, match="features-from lite0"):
        main.main(["train", "--flag", "openclipart", "--data_path", folder])
    with pytest.raises(SystemExit, match="no trained model at"):
        main.main(["test", "--checkpoint_dir", str(tmp_path / "none")])


@pytest.mark.tensorflow_only
def test_train_then_test_through_main(tmp_path, capsys):
    main = load_main()
    common = [
        "--flag",
        "mir",
        "--data_path",
        write_tiny_flickr(str(tmp_path)),
        "--split_sizes",
        "8,24,32",
        "--image_dim",
        "6",
        "--bit",
        "8",
        "--hidden_dim",
        "32",
        "--batch_size",
        "8",
        "--checkpoint_dir",
        str(tmp_path / "checkpoints"),
        "--log_dir",
        str(tmp_path / "tflog"),
        "--verbose",
        "0",
    ]
    model_path = main.main(["train", "--max_epoch", "1", "--lr", "1e-3"] + common)
    assert model_path.endswith(os.path.join("flickr25k_8", "GEN_module.keras"))
    output = capsys.readouterr().out
    assert "valid MAP: MAP(i->t)" in output and "final MAP" in output
    results = main.main(["test"] + common)
    assert 0.0 <= results["map_i2t"] <= 1.0 and 0.0 <= results["map_t2i"] <= 1.0
    assert "...test MAP: MAP(i->t)" in capsys.readouterr().out
