"""examples/dhn: the script's nine positional arguments and flags are `DHNRecipe`'s settings,
and train_val.sh runs it end to end on a tiny fake Fashion-MNIST.

What the run does (training, files, errors) is tested on the recipe, in
tests/recipes/test_deephash_hashers.py.
"""

import argparse
import dataclasses
import importlib.util
import os
import subprocess

import pytest

from keras_hashing.recipes.deephash import DHNConfig
from keras_hashing.recipes.deephash import DHNRecipe
from tests.fake_data import write_fake_fashion_mnist

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load_script():
    path = os.path.join(ROOT, "examples/dhn/train_val_script.py")
    spec = importlib.util.spec_from_file_location("dhn_train_val_script", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_deephash_dhn_flags_are_the_recipe_settings_with_the_same_defaults():
    parser = load_script().build_parser()
    actions = [a for a in parser._actions if not isinstance(a, argparse._HelpAction)]
    defaults = {field.name: field.default for field in dataclasses.fields(DHNConfig)}
    assert {action.dest for action in actions} == set(defaults)
    positional = [action.dest for action in actions if not action.option_strings]
    assert positional == list(defaults)[:9]  # the original's nine, in its order
    for action in actions:
        if action.option_strings:
            assert action.default == defaults[action.dest], action.dest
    # The positional settings default to train_val.sh's values.
    args = parser.parse_args("0.00005 64 2000 0.0 10.0 cifar10 0 tflog ~/data/".split())
    assert DHNRecipe.from_args(args).config == DHNConfig()


def test_deephash_dhn_script_takes_the_original_positional_arguments():
    parser = load_script().build_parser()
    args = parser.parse_args(
        "0.00005 64 2000 0.0 10.0 cifar10 0 tflog /dir/to/dataset/root/".split()
    )
    assert (args.lr, args.output_dim, args.iter_num, args.cq_lambda, args.alpha) == (
        0.00005, 64, 2000, 0.0, 10.0)
    assert (args.dataset, args.gpu, args.log_dir, args.data_root) == (
        "cifar10", "0", "tflog", "/dir/to/dataset/root/")
    # The original's hard-coded config.
    assert (args.batch_size, args.val_batch_size, args.decay_step, args.decay_factor) == (
        256, 100, 5000, 0.5)
    assert args.loss_type == "normed_cross_entropy"
    # The original's stem, then a digest of every setting (see the recipe's tests).
    name = DHNRecipe.from_args(args).run_name()
    assert name.startswith("lr_5e-05_cqlambda_0.0_alpha_10.0_dataset_cifar10_")


def test_deephash_dhn_script_reads_the_lists_from_data_root(tmp_path):
    argv = ["0.1", "8", "1", "0", "10", "cifar10", "-1", "tflog", str(tmp_path), "--save-dir",
            str(tmp_path / "models")]
    with pytest.raises(SystemExit, match=r"train list .*train\.txt does not exist.*data_root"):
        load_script().main(argv)


@pytest.mark.slow
@pytest.mark.tensorflow_only
def test_train_val_sh_passes_the_positional_arguments(tmp_path):
    data_dir = write_fake_fashion_mnist(str(tmp_path / "fashion"))
    env = dict(os.environ, DATASET="fashion_mnist", ITER_NUM="2", OUTPUT_DIM="8")
    command = [
        "bash",
        os.path.join(ROOT, "examples/dhn/train_val.sh"),
        "-1",
        data_dir,
        "--batch-size",
        "64",
        "--val-batch-size",
        "1000",
        "--save-dir",
        str(tmp_path / "models"),
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    for key in ("i2i_by_feature", "i2i_after_sign", "i2i_map_radius_2"):
        assert f"{key}: " in done.stdout
    assert "'alpha': 10.0" in done.stdout and "'learning_rate': 5e-05" in done.stdout
    assert "trained 2 iterations" in done.stdout
    assert list((tmp_path / "models").glob("lr_5e-05_cqlambda_0.0_alpha_10.0_dataset_*.keras"))
