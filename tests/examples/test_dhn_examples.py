"""End-to-end runs of examples/dhn and examples/dhn_pytorch on a tiny fake Fashion-MNIST."""

import gzip
import importlib.util
import os
import subprocess

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load_script(relative):
    path = os.path.join(ROOT, relative)
    spec = importlib.util.spec_from_file_location(relative.replace("/", "_")[:-3], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_idx(path, array):
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb") as handle:
        handle.write(header + array.tobytes())


@pytest.fixture(scope="module")
def fake_fashion_mnist(tmp_path_factory):
    """A Fashion-MNIST-shaped IDX folder: 500 train and 101 t10k images per class, the least
    the protocol split (100 queries and 500 training draws per class) accepts. Each class is a
    bright square at its own place on a noisy background, so it can be learnt in a few steps."""
    folder = tmp_path_factory.mktemp("fashion_mnist")
    rng = np.random.default_rng(0)

    def make(per_class):
        labels = np.repeat(np.arange(10), per_class)
        rng.shuffle(labels)
        images = rng.integers(0, 60, size=(len(labels), 28, 28))
        for i, label in enumerate(labels):
            row, col = 2 + (label // 5) * 12, 2 + (label % 5) * 5
            images[i, row : row + 10, col : col + 5] = 250
        return images.astype(np.uint8), labels.astype(np.uint8)

    train_images, train_labels = make(500)
    test_images, test_labels = make(101)
    write_idx(folder / "train-images-idx3-ubyte.gz", train_images)
    write_idx(folder / "train-labels-idx1-ubyte.gz", train_labels)
    write_idx(folder / "t10k-images-idx3-ubyte.gz", test_images)
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", test_labels)
    return str(folder)


@pytest.mark.slow
@pytest.mark.tensorflow_only
def test_deephash_dhn_script_end_to_end(fake_fashion_mnist, tmp_path, capsys):
    script = load_script("examples/dhn/train_val_script.py")
    args = [
        "0.005",
        "16",
        "12",
        "0.0",
        "10.0",
        "fashion_mnist",
        "-1",
        str(tmp_path / "tflog"),
        fake_fashion_mnist,
        "--batch-size",
        "64",
        "--val-batch-size",
        "500",
        "--save-dir",
        str(tmp_path / "models"),
    ]
    maps = script.main(args)
    printed = capsys.readouterr().out
    for key in script.REPORT_KEYS:
        assert f"{key}: " in printed
        assert np.isfinite(maps[key])
    assert maps["i2i_after_sign"] > 0.2  # 10 classes: chance is about 0.1
    name = script.file_name(script.build_parser().parse_args(args))
    saved = tmp_path / "models" / (name + ".keras")
    assert saved.exists()
    assert saved.name.startswith("lr_0.005_cqlambda_0.0_alpha_10.0_dataset_fashion_mnist_")


def test_deephash_dhn_script_takes_the_original_positional_arguments():
    script = load_script("examples/dhn/train_val_script.py")
    args = script.build_parser().parse_args(
        "0.00005 64 2000 0.0 10.0 cifar10 0 tflog /dir/to/dataset/root/".split()
    )
    assert (args.lr, args.output_dim, args.iter_num, args.cq_lambda, args.alpha) == (
        0.00005,
        64,
        2000,
        0.0,
        10.0,
    )
    assert (args.dataset, args.gpu, args.log_dir, args.data_root) == (
        "cifar10",
        "0",
        "tflog",
        "/dir/to/dataset/root/",
    )
    # The original's hard-coded config.
    assert (args.batch_size, args.val_batch_size, args.decay_step, args.decay_factor) == (
        256,
        100,
        5000,
        0.5,
    )
    assert args.loss_type == "normed_cross_entropy"
    # The original's stem, then a digest of every setting, so that runs differing in any
    # setting (the code length, the seed...) never share a model file or a backup.
    name = script.file_name(args)
    assert name.startswith("lr_5e-05_cqlambda_0.0_alpha_10.0_dataset_cifar10_")
    other_bits = script.build_parser().parse_args(
        "0.00005 32 2000 0.0 10.0 cifar10 0 tflog /dir/to/dataset/root/".split()
    )
    assert script.file_name(other_bits) != name
    other_gpu = script.build_parser().parse_args(
        "0.00005 64 2000 0.0 10.0 cifar10 1 otherlog /dir/to/dataset/root/".split()
    )
    assert script.file_name(other_gpu) == name  # where it runs and logs does not count


def test_deephash_dhn_script_reads_the_lists_from_data_root(tmp_path):
    script = load_script("examples/dhn/train_val_script.py")
    args = script.build_parser().parse_args(
        ["0.1", "8", "1", "0", "10", "cifar10", "-1", "tflog", str(tmp_path)]
    )
    with pytest.raises(SystemExit, match=r"train list .*train\.txt does not exist"):
        script.load_data(args)


def test_dhn_pytorch_flags_and_defaults():
    script = load_script("examples/dhn_pytorch/run.py")
    args = script.load_config(["--code-length", "32"])
    assert (args.dataset, args.root, args.arch, args.batch_size, args.lr, args.max_iter) == (
        "fashion_mnist",
        None,
        "alexnet",
        256,
        1e-5,
        500,
    )
    assert (
        args.num_workers,
        args.topk,
        args.gpu,
        args.lamda,
        args.seed,
        args.evaluate_interval,
    ) == (6, -1, None, 1.0, 3367, 10)
    with pytest.raises(SystemExit):
        script.load_config([])  # --code-length is required
    with pytest.raises(SystemExit):
        script.load_config(["--code-length", "16", "--arch", "vgg16"])


def test_dhn_pytorch_split_rule():
    script = load_script("examples/dhn_pytorch/run.py")
    labels = np.array([1, 0, 1, 0, 0, 1, 1, 0, 0, 1])
    query, train, database = script.dhn_pytorch_class_split(labels, 1, 2)
    # Sorted by class, file order kept: class 0 = [1, 3, 4, 7, 8], class 1 = [0, 2, 5, 6, 9].
    np.testing.assert_array_equal(query, [1, 0])
    np.testing.assert_array_equal(train, [3, 4, 2, 5])
    np.testing.assert_array_equal(database, [7, 8, 6, 9])


def test_dhn_pytorch_reads_idx_files(fake_fashion_mnist):
    script = load_script("examples/dhn_pytorch/run.py")
    images, labels = script.fashion_mnist_arrays(fake_fashion_mnist)
    assert images.shape == (6010, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels).tolist() == [601] * 10


@pytest.mark.slow
def test_dhn_pytorch_run_end_to_end(fake_fashion_mnist, tmp_path, monkeypatch):
    monkeypatch.setenv("FASHION_MNIST_DIR", fake_fashion_mnist)
    script = load_script("examples/dhn_pytorch/run.py")
    result = script.main(
        [
            "--code-length",
            "16",
            "--max-iter",
            "4",
            "--evaluate-interval",
            "2",
            "--lr",
            "3e-3",
            "--batch-size",
            "64",
            "--num-query",
            "100",
            "--num-train",
            "500",
            "--save-dir",
            str(tmp_path / "checkpoints"),
            "--log-dir",
            str(tmp_path / "logs"),
        ]
    )
    assert [epoch for epoch, _ in result["history"]] == [2, 4]
    assert result["map"] > 0.2
    assert os.path.exists(result["path"])
    codes = np.load(result["path"][: -len(".keras")] + "_codes.npz")
    assert codes["qB"].shape == (100, 16) and codes["rB"].shape == (6010 - 600, 16)
    log = (tmp_path / "logs" / "fashion_mnist_model_alexnet_code_16_lamda_1.log").read_text()
    assert "[iter:2/4]" in log and "[code_length:16][map:" in log


@pytest.mark.slow
@pytest.mark.tensorflow_only
def test_train_val_sh_passes_the_positional_arguments(fake_fashion_mnist, tmp_path):
    env = dict(os.environ, DATASET="fashion_mnist", ITER_NUM="2", OUTPUT_DIM="8")
    command = [
        "bash",
        os.path.join(ROOT, "examples/dhn/train_val.sh"),
        "-1",
        fake_fashion_mnist,
        "--batch-size",
        "64",
        "--val-batch-size",
        "1000",
        "--save-dir",
        str(tmp_path / "models"),
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "i2i_map_radius_2: " in done.stdout
    assert "'alpha': 10.0" in done.stdout and "'learning_rate': 5e-05" in done.stdout


@pytest.mark.tensorflow_only
def test_deephash_dhn_script_skips_bad_images_in_every_list(tmp_path):
    # The script's own list loader read the query and database labels from the files, so with
    # --on-bad-image skip its labels no longer matched the images it kept.
    from tests.fake_data import write_png_list_dataset

    root = write_png_list_dataset(str(tmp_path), num_labels=10)
    for name in ("test_1.png", "database_2.png"):
        os.remove(os.path.join(root, "images", name))
    script = load_script("examples/dhn/train_val_script.py")
    args = script.build_parser().parse_args(
        [
            "0.1",
            "8",
            "1",
            "0",
            "10",
            "cifar10",
            "-1",
            "tflog",
            root,
            "--on-bad-image",
            "skip",
            "-b",
            "4",
        ]
    )
    data = script.load_data(args)
    assert len(data.query_labels) == 3 == sum(len(batch) for batch in data.query)
    assert len(data.database_labels) == 5 == sum(len(batch) for batch in data.database)
