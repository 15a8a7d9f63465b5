"""DQN, DVSQ and DTQ example scripts: their flags parse to the recipes' settings, and `main`
runs end to end on a tiny fake Fashion-MNIST (the training logic is tested in
tests/recipes/test_deephash_quantizers.py)."""

import dataclasses
import importlib.util
import os

import pytest

from keras_hashing.recipes.deephash import quantizers
from tests.fake_data import write_fake_fashion_mnist

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RECIPES = {
    "dqn": quantizers.DQNRecipe,
    "dvsq": quantizers.DVSQRecipe,
    "dtq": quantizers.DTQRecipe,
}
TINY = "--train-limit 64 --eval-limit 20 --num-codewords 4 -b 16 --code-batch-size 32".split()


def script(method):
    path = os.path.join(ROOT, "examples", method, "train_val_script.py")
    spec = importlib.util.spec_from_file_location(f"{method}_example", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def fashion_dir(tmp_path_factory):
    return write_fake_fashion_mnist(str(tmp_path_factory.mktemp("fashion")))


@pytest.mark.parametrize("method", sorted(RECIPES))
def test_parser_defaults_are_the_recipe_settings(method):
    defaults = vars(script(method).build_parser().parse_args([]))
    config = RECIPES[method].config_class
    assert defaults == {field.name: field.default for field in dataclasses.fields(config)}
    assert (
        RECIPES[method].from_args(script(method).build_parser().parse_args([])).config == config()
    )


def test_flags_parse_to_the_recipe_settings():
    args = (
        script("dqn")
        .build_parser()
        .parse_args(
            "0.01 32 100 0.001 2 fashion_mnist 1 logs /data --n-subcenter 16 --original-r".split()
        )
    )
    config = quantizers.DQNRecipe.from_args(args).config
    assert (config.lr, config.output_dim, config.iter_num, config.cq_lambda) == (
        0.01,
        32,
        100,
        0.001,
    )
    assert (config.subspace_num, config.gpu, config.log_dir, config.data_root) == (
        2,
        "1",
        "logs",
        "/data",
    )
    assert config.num_codewords == 16 and config.original_r
    args = (
        script("dtq")
        .build_parser()
        .parse_args(["--decay-factor", "0.5", "--finetune-all", "false", "--without-tanh", "-e"])
    )
    config = quantizers.DTQRecipe.from_args(args).config
    assert config.decay_factor == 0.5 and not config.finetune_all and not config.with_tanh
    assert config.evaluate and (config.triplet_margin, config.n_part) == (30.0, 20)
    args = script("dvsq").build_parser().parse_args(["--label-names", "a", "b", "--paper-loss"])
    assert quantizers.DVSQRecipe.from_args(args).config.label_names == ["a", "b"]


def test_a_recipe_error_is_a_one_line_exit(tmp_path, fashion_dir):
    argv = ["0.02", "8", "4", "0.0001", "2", "fashion_mnist", "0", str(tmp_path), fashion_dir]
    with pytest.raises(SystemExit, match="output_dim 8 must equal the word-vector dimension 50"):
        script("dvsq").main(argv + [*TINY, "--save-dir", str(tmp_path)])


@pytest.mark.slow
@pytest.mark.tensorflow_only
def test_dqn_main_trains_and_evaluates_again(tmp_path, fashion_dir):
    dqn = script("dqn")
    positional = ["0.002", "8", "10", "0.0001", "2", "fashion_mnist", "0", str(tmp_path / "tf")]
    report = dqn.main(positional + [fashion_dir, *TINY, "--save-dir", str(tmp_path)])
    assert set(report) == {"i2i_nocq", "i2i_AQD", "i2i_SQD"}
    saved = [name for name in os.listdir(tmp_path) if name.endswith(".keras")]
    again = dqn.main(
        positional
        + [fashion_dir, *TINY, "-e", "--model-weights", str(tmp_path / saved[0])]
        + ["--save-dir", str(tmp_path)]
    )
    assert again["i2i_nocq"] == pytest.approx(report["i2i_nocq"])


@pytest.mark.slow
@pytest.mark.tensorflow_only
def test_dtq_main_runs(tmp_path, fashion_dir):
    argv = "--dataset fashion_mnist --output-dim 8 --epochs 1 --subspace 2 --subcenter 4 -b 8"
    argv += " --code-batch-size 32 --n-part 2 --triplet-margin 2 --train-limit 48 --eval-limit 20"
    report = script("dtq").main(
        argv.split()
        + [
            "--log-dir",
            str(tmp_path / "tf"),
            "--save-dir",
            str(tmp_path),
            "--data-dir",
            fashion_dir,
        ]
    )
    assert set(report) == {"map_feature_ip", "map_AQD_ip", "map_SQD_ip"}
