"""The dataset preparation scripts in data/ (deephash.md §2.2, §10.1; the benchmark protocol)."""

import dataclasses
import gzip
import importlib.util
import pathlib
import pickle
import struct

import cv2
import numpy as np
import pytest

from keras_hashing.data.image_list import read_image_list

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _script(name):
    path = ROOT / "data" / name / "prepare.py"
    spec = importlib.util.spec_from_file_location(f"prepare_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --------------------------------------------------------------------------- CIFAR-10


def _fake_cifar(folder, per_class_train_batch=2, per_class_test=3, bytes_keys=True, seed=0):
    """Five training batches and a test batch in the python-version pickle format."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    names = [f"data_batch_{b}" for b in range(1, 6)] + ["test_batch"]
    for name in names:
        per_class = per_class_test if name == "test_batch" else per_class_train_batch
        labels = rng.permutation(np.repeat(np.arange(10), per_class)).tolist()
        data = rng.integers(0, 256, (len(labels), 3072), dtype=np.uint8)
        batch = {"data": data, "labels": labels}
        if bytes_keys:  # the real files are Python 2 pickles
            batch = {key.encode(): value for key, value in batch.items()}
        with open(folder / name, "wb") as handle:
            pickle.dump(batch, handle)
    return folder


def _lines(path):
    return [line.split()[0] for line in pathlib.Path(path).read_text().splitlines()]


def test_cifar_prepare_writes_a_disjoint_labelled_partition(tmp_path, capsys):
    cifar = _fake_cifar(tmp_path / "cifar-10-batches-py")
    module = _script("cifar10")
    out = tmp_path / "out"
    sizes = module.main(
        [
            "--cifar-dir",
            str(tmp_path),
            "--out",
            str(out),
            "--query-per-class",
            "2",
            "--train-per-class",
            "3",
            "--no-progress",
        ]
    )
    total = 5 * 20 + 30
    assert sizes == {"train": 30, "query": 20, "database": total - 50, "written": total}
    assert "R = 80" in capsys.readouterr().out
    train, query, database = (_lines(out / f"{n}.txt") for n in ("train", "test", "database"))
    assert not set(train) & set(query) and not set(train) & set(database)
    assert not set(query) & set(database)
    assert len(set(train) | set(query) | set(database)) == total
    assert all(path.startswith("test/999_") for path in query)  # queries come from the test batch

    source = module.load_cifar_batches(cifar)
    pairs = zip(source["batch_ids"], source["indices"])
    by_path = {module.relative_path(b, i): k for k, (b, i) in enumerate(pairs)}
    for name, per_class in (("train", 3), ("test", 2)):
        paths, labels = read_image_list(str(out / f"{name}.txt"), num_labels=10, data_root=str(out))
        np.testing.assert_array_equal(labels.sum(axis=0), [per_class] * 10)
        np.testing.assert_array_equal(labels.sum(axis=1), 1)
        for rel, row in zip(_lines(out / f"{name}.txt"), labels):
            assert row.argmax() == source["labels"][by_path[rel]]  # labels follow the images
    # Pixels: the PNG read back by OpenCV is the CIFAR row as BGR.
    k = by_path[query[0]]
    row = pickle.loads((cifar / "test_batch").read_bytes())[b"data"][source["indices"][k]]
    rgb = row.reshape(3, 32, 32).transpose(1, 2, 0)
    np.testing.assert_array_equal(cv2.imread(str(out / query[0])), rgb[..., ::-1])


def test_cifar_prepare_is_seeded_and_idempotent(tmp_path):
    _fake_cifar(tmp_path / "c", bytes_keys=False)
    module = _script("cifar10")
    args = [
        "--cifar-dir",
        str(tmp_path / "c"),
        "--query-per-class",
        "1",
        "--train-per-class",
        "2",
        "--no-progress",
    ]
    first = module.main(args + ["--out", str(tmp_path / "a")])
    again = module.main(args + ["--out", str(tmp_path / "a")])
    assert first["written"] == 130 and again["written"] == 0
    other = module.main(args + ["--out", str(tmp_path / "b"), "--seed", "1"])
    assert other["train"] == first["train"]
    assert _lines(tmp_path / "a" / "train.txt") != _lines(tmp_path / "b" / "train.txt")
    all_source = module.main(args + ["--out", str(tmp_path / "d"), "--query-source", "all"])
    assert all_source["query"] == 10


def test_cifar_prepare_reports_missing_batches_and_small_classes(tmp_path):
    module = _script("cifar10")
    with pytest.raises(ValueError, match="data_batch_1 does not exist"):
        module.load_cifar_batches(tmp_path)
    _fake_cifar(tmp_path / "c")
    with pytest.raises(ValueError, match="fewer than --query-per-class 4"):
        module.prepare(tmp_path / "c", tmp_path / "o", query_per_class=4, progress=False)


# --------------------------------------------------------------------------- CIFAR-10 image tree

TREE_CLASSES = ("cat", "airplane", "bird")  # created out of order: labels are alphabetical


def _fake_tree(root, train_per_class=9, test_per_class=3, classes=TREE_CLASSES):
    """`train/<class>/NNNN.jpg` and `test/<class>/NNNN.jpg`, each image a distinct solid colour."""
    value = 0
    for part, count in (("train", train_per_class), ("test", test_per_class)):
        for name in classes:
            folder = root / part / name
            folder.mkdir(parents=True, exist_ok=True)
            # Written in reverse so that directory order is not the protocol's order.
            for index in reversed(range(count)):
                image = np.full((4, 4, 3), value % 256, dtype=np.uint8)
                cv2.imwrite(str(folder / f"{index:04d}.jpg"), image)
                value += 7
    (root / "train" / classes[0] / "notes.txt").write_text("not an image")
    return root


def _protocol_oracle(root, query, train, validation, seed):
    """The benchmark protocol written out loop by loop: `{list name: [(path, label), ...]}`."""
    rng = np.random.default_rng(seed)
    classes = sorted(TREE_CLASSES)
    rows = {"query": [], "train": [], "database": []}
    for label, name in enumerate(classes):
        ordered = []
        for part in ("train", "test"):
            files = sorted(p.name for p in (root / part / name).iterdir() if p.suffix == ".jpg")
            ordered += [f"{part}/{name}/{file}" for file in files]
        perm = rng.permutation(len(ordered))
        rows["query"] += [(ordered[i], label) for i in perm[:query]]
        rows["train"] += [(ordered[i], label) for i in perm[query : query + train]]
        rows["database"] += [(ordered[i], label) for i in perm[query + train :]]
    for key in ("query", "train", "database"):
        rows[key] = [rows[key][i] for i in rng.permutation(len(rows[key]))]
    held_out = set()
    for label in range(len(classes)):
        mine = [row for row in rows["train"] if row[1] == label]
        held_out.update(mine[i] for i in rng.choice(len(mine), validation, replace=False))
    rows["val_test"] = [row for row in rows["train"] if row in held_out]
    rows["val_train"] = [row for row in rows["train"] if row not in held_out]
    return rows


def _labelled_lines(path):
    rows = []
    for line in pathlib.Path(path).read_text().splitlines():
        rel, *bits = line.split()
        rows.append((rel, [int(b) for b in bits].index(1)))
    return rows


def test_cifar_image_tree_writes_the_protocol_lists(tmp_path, capsys):
    tree = _fake_tree(tmp_path / "cifar10")
    module = _script("cifar10")
    argv = ["--image-dir", str(tree), "--query-per-class", "2", "--train-per-class", "4"]
    sizes = module.main(argv + ["--validation-per-class", "1", "--seed", "3"])
    assert "R = 18" in capsys.readouterr().out
    assert sizes == {
        "train": 12,
        "query": 6,
        "database": 18,
        "validation_train": 9,
        "validation_query": 3,
        "classes": ["airplane", "bird", "cat"],
    }
    want = _protocol_oracle(tree, query=2, train=4, validation=1, seed=3)
    for list_name, key in (
        ("test.txt", "query"),
        ("train.txt", "train"),
        ("database.txt", "database"),
        ("val_test.txt", "val_test"),
        ("val_train.txt", "val_train"),
    ):
        assert _labelled_lines(tree / list_name) == want[key], list_name
    got = {name: _lines(tree / f"{name}.txt") for name in ("train", "test", "database")}
    assert not set(got["train"]) & set(got["test"]) and not set(got["test"]) & set(got["database"])
    assert not set(got["train"]) & set(got["database"])
    assert len(set().union(*got.values())) == 36  # every image once; notes.txt is no image
    database_labels = [label for _, label in _labelled_lines(tree / "database.txt")]
    assert database_labels != sorted(database_labels)  # never sorted by class
    # Labels follow the folders: the pixels of a listed image identify its file.
    paths, labels = read_image_list(str(tree / "test.txt"), num_labels=3)
    for path, row, rel in zip(paths, labels, got["test"]):
        assert sorted(TREE_CLASSES)[row.argmax()] == rel.split("/")[1]
        assert cv2.imread(path).shape == (4, 4, 3)
    again = module.main(argv + ["--validation-per-class", "1", "--seed", "4"])
    assert again["train"] == 12 and _lines(tree / "train.txt") != got["train"]


def test_cifar_archive_is_unpacked_and_listed_relative_to_out(tmp_path):
    import tarfile

    tree = _fake_tree(tmp_path / "src" / "cifar10-images", train_per_class=6, test_per_class=2)
    archive = tmp_path / "images.tar.gz"
    with tarfile.open(archive, "w:gz") as handle:
        handle.add(tree, arcname="cifar10-images")
    module = _script("cifar10")
    out = tmp_path / "data" / "cifar10"
    argv = ["--archive", str(archive), "--out", str(out), "--query-per-class", "1"]
    sizes = module.main(argv + ["--train-per-class", "2", "--validation-per-class", "1"])
    assert (sizes["query"], sizes["train"], sizes["database"]) == (3, 6, 15)
    rows = _lines(out / "database.txt")
    assert all(rel.startswith("cifar10-images/") for rel in rows)
    assert all((out / rel).is_file() for rel in rows)
    with pytest.raises(SystemExit):
        module.main(["--archive", str(archive)])  # --out is required with an archive


def test_cifar_image_tree_reports_what_is_wrong(tmp_path):
    module = _script("cifar10")
    (tmp_path / "a" / "train" / "cat").mkdir(parents=True)
    with pytest.raises(ValueError, match=r"has no test/ folder; expected train/<class>/"):
        module.prepare_image_tree(tmp_path / "a")
    (tmp_path / "a" / "test" / "dog").mkdir(parents=True)
    with pytest.raises(ValueError, match=r"same non-empty class folders, found \['cat'\] and"):
        module.prepare_image_tree(tmp_path / "a")
    (tmp_path / "a" / "test" / "cat").mkdir()
    (tmp_path / "a" / "train" / "dog").mkdir()
    with pytest.raises(ValueError, match=r"class folder 'cat' holds no image \(\.jpg, "):
        module.prepare_image_tree(tmp_path / "a")
    tree = _fake_tree(tmp_path / "b", train_per_class=3, test_per_class=1)
    with pytest.raises(ValueError, match=r"Class 0 has 4 images, fewer than --query-per-class 2"):
        module.prepare_image_tree(tree, query_per_class=2, train_per_class=3)
    with pytest.raises(ValueError, match=r"Class 0 has 2 training images, fewer than"):
        module.prepare_image_tree(
            tree, query_per_class=1, train_per_class=2, validation_per_class=3
        )
    with pytest.raises(ValueError, match=r"Archive .*missing\.tar\.gz does not exist"):
        module.extract_archive(tmp_path / "missing.tar.gz", tmp_path / "x")


@pytest.mark.tensorflow_only
def test_registry_reads_the_cifar_lists_and_their_validation_split(tmp_path):
    from keras_hashing.data.registry import load_retrieval_data

    classes = [f"class{k}" for k in range(10)]
    tree = _fake_tree(tmp_path / "cifar10", train_per_class=7, test_per_class=1, classes=classes)
    module = _script("cifar10")
    module.prepare_image_tree(tree, query_per_class=1, train_per_class=3, validation_per_class=1)
    full = load_retrieval_data("cifar10", data_dir=str(tmp_path), batch_size=4)
    assert (full.num_train, len(full.query_labels), full.top_k) == (30, 10, 40)
    held_out = load_retrieval_data("cifar10", data_dir=str(tmp_path), batch_size=4, validation=1)
    assert (held_out.num_train, len(held_out.query_labels), held_out.top_k) == (20, 10, 40)
    np.testing.assert_array_equal(held_out.database_labels, full.database_labels)
    want = [label for _, label in _labelled_lines(tree / "val_test.txt")]
    np.testing.assert_array_equal(held_out.query_labels.argmax(axis=1), want)
    assert sorted(want) == list(range(10))


SHARED_ARCHIVE = ROOT.parent / "shared" / "data" / "cifar10" / "cifar10-images.tar.gz"


@pytest.mark.slow
@pytest.mark.skipif(not SHARED_ARCHIVE.is_file(), reason="needs ../shared/data/cifar10")
def test_the_real_cifar_archive_gives_the_protocol_sizes(tmp_path):
    module = _script("cifar10")
    argv = ["--archive", str(SHARED_ARCHIVE), "--out", str(tmp_path)]
    sizes = module.main(argv)
    assert (sizes["query"], sizes["train"], sizes["database"]) == (1000, 5000, 54000)
    assert (sizes["validation_query"], sizes["validation_train"]) == (500, 4500)
    assert sizes["classes"][0] == "airplane" and sizes["classes"][-1] == "truck"
    for name, per_class in (("test", 100), ("train", 500), ("val_test", 50)):
        labels = [label for _, label in _labelled_lines(tmp_path / f"{name}.txt")]
        np.testing.assert_array_equal(np.bincount(labels), [per_class] * 10)
    queries = set(_lines(tmp_path / "test.txt"))
    assert not queries & set(_lines(tmp_path / "database.txt"))


# --------------------------------------------------------------------------- Fashion-MNIST


def _write_idx(path, array):
    array = np.asarray(array, dtype=np.uint8)
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    with gzip.open(path, "wb") as handle:
        handle.write(header + array.tobytes())


def _fake_fashion(folder, per_class_train=505, per_class_test=101, seed=0):
    """A small IDX set the protocol split accepts (>= 100 queries, 500 training per class)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for prefix, per_class in (("train", per_class_train), ("t10k", per_class_test)):
        labels = rng.permutation(np.repeat(np.arange(10), per_class))
        images = rng.integers(0, 256, (len(labels), 28, 28), dtype=np.uint8)
        _write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", images)
        _write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", labels)
    return folder


@dataclasses.dataclass
class _StandInSplit:
    """A local stand-in with the `FashionMNISTSplit` fields the script reads."""

    train_ids: np.ndarray
    query_ids: np.ndarray
    database_ids: np.ndarray
    train_images: np.ndarray
    query_images: np.ndarray
    database_images: np.ndarray
    train_labels: np.ndarray
    query_labels: np.ndarray
    database_labels: np.ndarray


def test_fashion_prepare_with_a_stand_in_split(tmp_path, monkeypatch):
    import keras_hashing.data

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (40, 28, 28), dtype=np.uint8)
    labels = np.eye(10, dtype=np.float32)[np.arange(40) % 10]
    ids = {"query": np.arange(30, 40), "database": np.arange(30), "train": np.arange(0, 30, 3)}
    split = _StandInSplit(
        *(ids[k] for k in ("train", "query", "database")),
        *(images[ids[k]] for k in ("train", "query", "database")),
        *(labels[ids[k]] for k in ("train", "query", "database")),
    )
    requested = []

    def loader(data_dir=None):
        requested.append(data_dir)
        return split

    monkeypatch.setattr(keras_hashing.data, "load_fashion_mnist", loader, raising=False)
    module = _script("fashion_mnist")
    out = tmp_path / "out"
    sizes = module.main(["--out", str(out), "--data-dir", "/some/idx", "--no-progress"])
    assert requested == ["/some/idx"]
    assert sizes == {"train": 10, "query": 10, "database": 30, "written": 40}
    paths, parsed = read_image_list(str(out / "train.txt"), num_labels=10, data_root=str(out))
    assert _lines(out / "train.txt")[1] == "images/00003.png"
    np.testing.assert_array_equal(parsed, labels[ids["train"]].astype(np.int64))
    np.testing.assert_array_equal(cv2.imread(paths[1])[..., 2], images[3])
    assert module.prepare(out, "/some/idx", progress=False)["written"] == 0  # idempotent


def test_fashion_prepare_writes_pngs_and_protocol_lists(tmp_path):
    from keras_hashing.data.fashion_mnist import load_fashion_mnist

    idx = _fake_fashion(tmp_path / "idx")
    split = load_fashion_mnist(str(idx))
    module = _script("fashion_mnist")
    out = tmp_path / "out"
    sizes = module.main(["--out", str(out), "--data-dir", str(idx), "--no-progress"])
    total = 10 * (505 + 101)
    assert sizes["written"] == total
    assert (sizes["train"], sizes["query"], sizes["database"]) == (5000, 1000, total - 1000)
    for name, images, labels in (
        ("train", split.train_images, split.train_labels),
        ("test", split.query_images, split.query_labels),
        ("database", split.database_images, split.database_labels),
    ):
        paths, parsed = read_image_list(str(out / f"{name}.txt"), num_labels=10, data_root=str(out))
        np.testing.assert_array_equal(parsed, labels.astype(np.int64))
        for k in (0, len(paths) - 1):
            image = cv2.imread(paths[k])  # 3-channel BGR, the gray value in each channel
            assert image.shape == (28, 28, 3)
            np.testing.assert_array_equal(image[..., 1], images[k])
    assert not set(_lines(out / "test.txt")) & set(_lines(out / "database.txt"))
    assert set(_lines(out / "train.txt")) <= set(_lines(out / "database.txt"))
    assert module.main(["--out", str(out), "--data-dir", str(idx), "--no-progress"])["written"] == 0
