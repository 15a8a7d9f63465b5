"""examples/dhn_pytorch/run.py: its flags become the recipe's settings, and one tiny run."""

import argparse
import dataclasses
import importlib.util
import os
import pathlib

import pytest

from keras_hashing.recipes.dhn_pytorch import DHNPyTorchConfig
from keras_hashing.recipes.dhn_pytorch import DHNPyTorchRecipe
from tests.fake_data import write_fake_fashion_mnist

SCRIPT = pathlib.Path(__file__).resolve().parents[2] / "examples" / "dhn_pytorch" / "run.py"


def load_script():
    spec = importlib.util.spec_from_file_location("dhn_pytorch_run", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def _keep_visible_devices(monkeypatch):
    # The script sets CUDA_VISIBLE_DEVICES from --gpu, as the original; restore it afterwards.
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", os.environ.get("CUDA_VISIBLE_DEVICES", ""))


def test_every_flag_default_is_the_config_default():
    parser = load_script().build_parser()
    defaults = {
        action.dest: action.default
        for action in parser._actions
        if not isinstance(action, argparse._HelpAction)
    }
    fields = {field.name: field.default for field in dataclasses.fields(DHNPyTorchConfig)}
    assert defaults == fields
    # Same types too: the original's `--lamda` default is the int 1 ("lamda_1" in file names).
    assert {k: type(v) for k, v in defaults.items()} == {k: type(v) for k, v in fields.items()}
    assert list(defaults) == list(fields)  # the settings are logged in the flags' order


def test_flags_parse_to_the_recipe_with_the_original_defaults():
    script = load_script()
    recipe = script.load_config(["--code-length", "32"])
    assert isinstance(recipe, DHNPyTorchRecipe)
    config = recipe.config
    assert (config.dataset, config.root, config.arch, config.batch_size, config.lr) == (
        "fashion_mnist",
        None,
        "alexnet",
        256,
        1e-5,
    )
    assert (
        config.max_iter,
        config.num_workers,
        config.topk,
        config.gpu,
        config.lamda,
        config.seed,
        config.evaluate_interval,
    ) == (500, 6, -1, None, 1.0, 3367, 10)
    assert os.environ["CUDA_VISIBLE_DEVICES"] == ""  # --gpu None: the CPU, as the original
    argv = ["--code-length", "16", "--max-iter", "3", "--drop-last-at-all", "--gpu", "1"]
    config = script.load_config(argv).config
    assert (config.code_length, config.max_iter, config.drop_last_at_all) == (16, 3, True)
    assert os.environ["CUDA_VISIBLE_DEVICES"] == "1"


@pytest.mark.parametrize(
    "argv",
    [[], ["--code-length", "16", "--arch", "vgg16"], ["--code-length", "16", "--arch", "x"]],
)
def test_refused_flags_exit_with_the_usage_line(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        load_script().load_config(argv)
    assert exit_info.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_a_missing_dataset_is_a_one_line_exit(tmp_path):
    argv = ["--code-length", "8", "--root", str(tmp_path), "--log-dir", str(tmp_path / "logs")]
    with pytest.raises(SystemExit, match="--root .* lacks train-images-idx3-ubyte.gz"):
        load_script().main(argv + ["--save-dir", str(tmp_path / "checkpoints")])


@pytest.mark.slow
def test_main_runs_and_prints_the_original_log_lines(tmp_path, capsys):
    root = write_fake_fashion_mnist(str(tmp_path / "fm"), train_per_class=30, test_per_class=10)
    result = load_script().main(
        [
            "--code-length",
            "8",
            "--max-iter",
            "2",
            "--evaluate-interval",
            "2",
            "--lr",
            "3e-3",
            "--batch-size",
            "64",
            "--num-query",
            "100",
            "--num-train",
            "200",
            "--root",
            root,
            "--save-dir",
            str(tmp_path / "checkpoints"),
            "--log-dir",
            str(tmp_path / "logs"),
        ]
    )
    printed = capsys.readouterr().out
    assert "| INFO | {'dataset': 'fashion_mnist'" in printed
    assert "[iter:2/2][loss:" in printed and "[code_length:8][map:" in printed
    assert [epoch for epoch, _ in result["history"]] == [2]
    assert os.path.exists(result["path"])
    log = tmp_path / "logs" / "fashion_mnist_model_alexnet_code_8_lamda_1.log"
    assert "saved " in log.read_text()
