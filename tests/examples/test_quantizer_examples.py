"""DQN, DVSQ and DTQ example scripts end to end on a tiny Fashion-MNIST configuration."""

import importlib.util
import os

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HAS_FASHION = os.path.exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")


def script(method):
    path = os.path.join(ROOT, "examples", method, "train_val_script.py")
    spec = importlib.util.spec_from_file_location(f"{method}_example", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


pytestmark = [
    pytest.mark.slow,
    pytest.mark.tensorflow_only,
    pytest.mark.skipif(not HAS_FASHION, reason="Fashion-MNIST IDX files not installed"),
]
TINY = [
    "--train-limit",
    "64",
    "--eval-limit",
    "20",
    "--num-codewords",
    "4",
    "-b",
    "16",
    "--code-batch-size",
    "32",
]


def test_dqn_defaults_and_run(tmp_path):
    dqn = script("dqn")
    args = dqn.build_parser().parse_args([])
    assert (
        args.lr,
        args.output_dim,
        args.iter_num,
        args.cq_lambda,
        args.subspace_num,
        args.dataset,
        args.batch_size,
        args.decay_step,
        args.decay_factor,
    ) == (0.002, 300, 5000, 0.0001, 4, "cifar10", 256, 500, 0.5)
    report = dqn.main(
        ["0.002", "8", "10", "0.0001", "2", "fashion_mnist", "0", str(tmp_path / "tflog")]
        + [*TINY, "--save-dir", str(tmp_path)]
    )
    assert set(report) == {"i2i_nocq", "i2i_AQD", "i2i_SQD"}
    assert all(0 <= v <= 1 for v in report.values())
    saved = [f for f in os.listdir(tmp_path) if f.endswith(".keras")]
    assert saved
    again = dqn.main(
        [
            "0.002",
            "8",
            "10",
            "0.0001",
            "2",
            "fashion_mnist",
            *TINY,
            "-e",
            "--model-weights",
            str(tmp_path / saved[0]),
            "--save-dir",
            str(tmp_path),
        ]
    )
    np.testing.assert_allclose(again["i2i_nocq"], report["i2i_nocq"])


def test_dvsq_glove_run(tmp_path):
    dvsq = script("dvsq")
    args = dvsq.build_parser().parse_args([])
    assert (args.lr, args.output_dim, args.loss_type) == (0.02, 300, "cos_softmargin_multi_label")
    with pytest.raises(SystemExit):
        dvsq.main(
            ["0.02", "8", "4", "0.0001", "2", "fashion_mnist", "0", str(tmp_path / "tflog")]
            + [*TINY, "--save-dir", str(tmp_path)]
        )
    report = dvsq.main(
        ["0.02", "50", "10", "0.0001", "2", "fashion_mnist", "0", str(tmp_path / "tflog")]
        + [*TINY, "--save-dir", str(tmp_path)]
    )
    assert set(report) == {"i2i_nocq", "i2i_AQD", "i2i_SQD"}


def test_dtq_flags_and_run(tmp_path):
    dtq = script("dtq")
    args = dtq.build_parser().parse_args(["--decay-factor", "0.5"])
    assert args.decay_factor == 0.5 and args.triplet_margin == 30 and args.n_part == 20
    assert (args.select_strategy, args.triplet_thresold, args.val_freq) == ("margin", 64000, 1)
    report = dtq.main(
        [
            "--log-dir",
            str(tmp_path / "tflog"),
            "--dataset",
            "fashion_mnist",
            "--output-dim",
            "8",
            "--epochs",
            "1",
            "--subspace",
            "2",
            "--subcenter",
            "4",
            "-b",
            "8",
            "--code-batch-size",
            "32",
            "--n-part",
            "2",
            "--triplet-margin",
            "2",
            "--train-limit",
            "48",
            "--eval-limit",
            "20",
            "--save-dir",
            str(tmp_path),
        ]
    )
    assert set(report) == {"map_feature_ip", "map_AQD_ip", "map_SQD_ip"}
