"""examples/dch/train_val_script.py: its flags are `DCHRecipe`'s settings, and `main` runs it.

What the run does (files, resume, errors) is tested on the recipe, in
tests/recipes/test_deephash_hashers.py.
"""

import argparse
import dataclasses
import importlib.util
import pathlib
import shlex

import pytest

from keras_hashing.recipes.deephash import DCHConfig
from keras_hashing.recipes.deephash import DCHRecipe
from tests.fake_data import write_fake_fashion_mnist

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples" / "dch" / "train_val_script.py"
KEYS = {
    "i2i_by_feature",
    "i2i_after_sign",
    "i2i_prec_radius_2",
    "i2i_recall_radius_2",
    "i2i_map_radius_2",
}


def load_script():
    spec = importlib.util.spec_from_file_location("dch_train_val_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_flag_is_a_setting_with_the_same_default():
    parser = load_script().build_parser()
    actions = [a for a in parser._actions if not isinstance(a, argparse._HelpAction)]
    defaults = {field.name: field.default for field in dataclasses.fields(DCHConfig)}
    assert {action.dest for action in actions} == set(defaults)
    for action in actions:
        assert action.default == defaults[action.dest], action.dest
    assert DCHRecipe.from_args(parser.parse_args([])).config == DCHConfig()


def test_parser_keeps_the_original_defaults_and_fixes_the_bool_flag():
    parser = load_script().build_parser()
    args = parser.parse_args([])
    assert (args.lr, args.output_dim, args.gamma, args.iter_num, args.q_lambda) == (
        0.005, 64, 20.0, 2000, 0.0)
    assert (args.dataset, args.gpus, args.batch_size, args.val_batch_size) == (
        "cifar10", "0", 128, 16)
    assert (args.decay_step, args.decay_factor, args.with_tanh, args.finetune_all) == (
        10000, 0.1, True, True)
    assert args.lr_schedule == "step"
    assert parser.parse_args(["--finetune-all", "false"]).finetune_all is False
    assert parser.parse_args(["--without-tanh"]).with_tanh is False
    assert parser.parse_args(["--learning-rate", "0.1"]).lr == 0.1
    assert parser.parse_args(["--img-model", "efficientnet_lite1"]).img_model == (
        "efficientnet_lite1"
    )


def test_run_main_sh_runs_the_fashion_mnist_preset():
    """scripts/run_main.sh passes exactly the preset's settings (and where to write)."""
    text = (ROOT / "scripts" / "run_main.sh").read_text().replace("\\\n", " ")
    line = next(line for line in text.splitlines() if "examples/dch/train_val_script.py" in line)
    argv = shlex.split(line.split("train_val_script.py", 1)[1])
    assert argv[-1] == "$@"
    args = load_script().build_parser().parse_args(argv[:-1])
    expected = DCHRecipe.preset(
        "fashion_mnist", save_dir="runs/dch_fashion_mnist", log_dir="runs/tflog"
    )
    assert DCHRecipe.from_args(args).config == expected.config


def test_a_recipe_error_is_one_line(tmp_path):
    (tmp_path / "data" / "toy").mkdir(parents=True)
    argv = ["--dataset", "toy", "--data-dir", str(tmp_path / "data"), "--save-dir",
            str(tmp_path / "m")]
    with pytest.raises(SystemExit, match=r"train list .*train.txt does not exist"):
        load_script().main(argv)


@pytest.mark.tensorflow_only
@pytest.mark.slow
def test_main_trains_and_prints_the_table(tmp_path, capsys):
    data_dir = write_fake_fashion_mnist(str(tmp_path / "fashion"))
    report = load_script().main(
        ["--dataset", "fashion_mnist", "--data-dir", data_dir, "--img-model", "small_cnn",
         "--output-dim", "16", "-b", "64", "-vb", "500", "--iter-num", "10", "--lr", "0.05",
         "--inference-views", "1", "--no-plots", "--save-dir", str(tmp_path / "models"),
         "--log-dir", str(tmp_path / "tflog")]
    )
    assert set(report) == KEYS
    out = capsys.readouterr().out
    # What a user sees: one bar over the 10 iterations, then a table with 4-digit figures, and
    # where the figures were written.
    assert "trained 10 iterations" in out and "10/10" in out and "Epoch 1/" not in out
    table_line = next(line for line in out.splitlines() if line.startswith("i2i_after_sign "))
    assert table_line.split()[1] == f"{report['i2i_after_sign']:.4f}"
    assert "results written to " in out
    assert list((tmp_path / "tflog").iterdir())  # TensorBoard summaries under --log-dir
