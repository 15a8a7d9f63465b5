"""Fashion-MNIST IDX loader and the protocol split (shared/benchmark_protocol.md, "Split")."""

import gzip
import os
import struct

import numpy as np
import pytest

from keras_hashing.data.fashion_mnist import CLASS_NAMES
from keras_hashing.data.fashion_mnist import DEFAULT_DATA_DIR
from keras_hashing.data.fashion_mnist import FashionMNISTSplit
from keras_hashing.data.fashion_mnist import load_fashion_mnist
from keras_hashing.data.fashion_mnist import load_idx
from tests.fake_data import write_fake_fashion_mnist


def _idx_bytes(array, type_byte=0x08):
    array = np.asarray(array)
    header = bytes([0, 0, type_byte, array.ndim]) + struct.pack(
        ">" + "I" * array.ndim, *array.shape
    )
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def _write_idx(path, array, compress=True, type_byte=0x08):
    raw = _idx_bytes(array, type_byte)
    with open(path, "wb") as handle:
        handle.write(gzip.compress(raw) if compress else raw)
    return str(path)


# Fake data set: 60 "train file" images (6 per class), 40 "t10k" images (4 per class, shuffled);
# every image is filled with its id in the 100-image concatenation, so rows can be traced.
TRAIN_LABELS = np.arange(60, dtype=np.uint8) % 10
TEST_LABELS = np.random.default_rng(123).permutation(np.repeat(np.arange(10), 4)).astype(np.uint8)


def _fake_dir(tmp_path):
    folder = tmp_path / "fmnist"
    folder.mkdir()
    ids = np.arange(100, dtype=np.uint8)
    images = np.broadcast_to(ids[:, None, None], (100, 28, 28))
    _write_idx(folder / "train-images-idx3-ubyte.gz", images[:60])
    _write_idx(folder / "train-labels-idx1-ubyte.gz", TRAIN_LABELS)
    _write_idx(folder / "t10k-images-idx3-ubyte.gz", images[60:])
    _write_idx(folder / "t10k-labels-idx1-ubyte.gz", TEST_LABELS)
    return folder


def _oracle_split(train_labels, test_labels, per_query, per_train, seed=0):
    """The protocol written out with plain loops."""
    labels = list(train_labels) + list(test_labels)
    offset = len(train_labels)
    query = []
    for c in range(10):
        seen = 0
        for i, label in enumerate(test_labels):
            if label == c and seen < per_query:
                query.append(offset + i)
                seen += 1
    database = [i for i in range(len(labels)) if i not in set(query)]
    rng = np.random.default_rng(seed)
    train = []
    for c in range(10):
        of_class = np.array([i for i in database if labels[i] == c])
        train.extend(int(i) for i in rng.choice(of_class, per_train, replace=False))
    return sorted(query), database, train


def test_load_idx_reads_gzip_and_plain(tmp_path):
    data = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    gz = load_idx(_write_idx(tmp_path / "a.gz", data))
    plain = load_idx(_write_idx(tmp_path / "a.idx", data, compress=False))
    np.testing.assert_array_equal(gz, data)
    np.testing.assert_array_equal(plain, data)
    assert gz.dtype == np.uint8
    ints = np.array([[1, -2], [70000, 3]], dtype=np.int32)
    out = load_idx(_write_idx(tmp_path / "i.gz", ints, type_byte=0x0C))
    np.testing.assert_array_equal(out, ints)
    assert out.dtype == np.int32 and out.dtype.isnative


def test_load_idx_errors_name_the_file(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        load_idx(tmp_path / "missing.gz")
    bad = tmp_path / "bad-magic.gz"
    bad.write_bytes(gzip.compress(b"\x01\x02\x08\x01" + struct.pack(">I", 1) + b"\x00"))
    with pytest.raises(ValueError, match="bad-magic.gz.*bad magic number 0x01020801"):
        load_idx(bad)
    labels = _write_idx(tmp_path / "labels.gz", np.zeros(5, np.uint8))
    with pytest.raises(ValueError, match="labels.gz: expected 3 dimension"):
        load_idx(labels, expected_ndim=3)
    truncated = tmp_path / "short.gz"
    truncated.write_bytes(gzip.compress(_idx_bytes(np.zeros((3, 28, 28), np.uint8))[:-5]))
    with pytest.raises(ValueError, match=r"short.gz: header announces shape \(3, 28, 28\)"):
        load_idx(truncated)
    corrupt = tmp_path / "corrupt.gz"
    corrupt.write_bytes(gzip.compress(b"\x00" * 100)[:20])
    with pytest.raises(ValueError, match="corrupt.gz"):
        load_idx(corrupt)


def test_split_follows_the_protocol(tmp_path):
    folder = _fake_dir(tmp_path)
    split = load_fashion_mnist(str(folder), num_train_per_class=3, num_query_per_class=2)
    query, database, train = _oracle_split(TRAIN_LABELS, TEST_LABELS, 2, 3)
    np.testing.assert_array_equal(split.query_ids, query)
    np.testing.assert_array_equal(split.database_ids, database)
    np.testing.assert_array_equal(split.train_ids, train)  # draw order kept
    assert (len(split.query_ids), len(split.database_ids), len(split.train_ids)) == (20, 80, 30)
    assert not set(split.query_ids) & set(split.database_ids)
    assert set(split.train_ids) <= set(split.database_ids)
    assert np.all(split.query_ids >= 60)  # queries come from the t10k file
    all_labels = np.concatenate([TRAIN_LABELS, TEST_LABELS])
    for part in ("train", "query", "database"):
        ids = getattr(split, f"{part}_ids")
        images = getattr(split, f"{part}_images")
        labels = getattr(split, f"{part}_labels")
        assert images.dtype == np.uint8 and images.shape == (len(ids), 28, 28)
        assert labels.dtype == np.float32 and labels.shape == (len(ids), 10)
        np.testing.assert_array_equal(images[:, 5, 7], ids)  # every row is its own image
        np.testing.assert_array_equal(labels.argmax(1), all_labels[ids])
        np.testing.assert_array_equal(labels.sum(1), 1.0)
    np.testing.assert_array_equal(split.train_labels.sum(0), 3)
    np.testing.assert_array_equal(split.query_labels.sum(0), 2)
    assert split.class_names == CLASS_NAMES and split.class_names[0] == "T-shirt/top"
    other_seed = load_fashion_mnist(
        str(folder), num_train_per_class=3, num_query_per_class=2, seed=1
    )
    assert not np.array_equal(other_seed.train_ids, split.train_ids)


def test_data_dir_from_environment(tmp_path, monkeypatch):
    folder = _fake_dir(tmp_path)
    monkeypatch.setenv("FASHION_MNIST_DIR", str(folder))
    split = load_fashion_mnist(num_train_per_class=2, num_query_per_class=1)
    assert len(split.query_ids) == 10 and len(split.train_ids) == 20


def test_missing_folder_or_files_say_how_to_install(tmp_path, monkeypatch):
    monkeypatch.delenv("FASHION_MNIST_DIR", raising=False)
    with pytest.raises(ValueError, match="nowhere.*apt-get install dataset-fashion-mnist"):
        load_fashion_mnist(str(tmp_path / "nowhere"))
    folder = _fake_dir(tmp_path)
    os.remove(folder / "t10k-labels-idx1-ubyte.gz")
    with pytest.raises(ValueError, match="lacks t10k-labels-idx1-ubyte.gz.*apt-get install"):
        load_fashion_mnist(str(folder))


def test_malformed_files_are_named(tmp_path):
    folder = _fake_dir(tmp_path)
    _write_idx(folder / "t10k-labels-idx1-ubyte.gz", TEST_LABELS[:-1])
    with pytest.raises(
        ValueError, match="t10k-images-idx3-ubyte.gz and .*t10k-labels.*40 images but 39 labels"
    ):
        load_fashion_mnist(str(folder), num_train_per_class=1, num_query_per_class=1)
    _write_idx(folder / "t10k-labels-idx1-ubyte.gz", np.full(40, 12, np.uint8))
    with pytest.raises(ValueError, match="t10k-labels-idx1-ubyte.gz: labels must lie in 0..9"):
        load_fashion_mnist(str(folder), num_train_per_class=1, num_query_per_class=1)
    _write_idx(folder / "t10k-images-idx3-ubyte.gz", np.zeros((40, 32, 32), np.uint8))
    with pytest.raises(
        ValueError,
        match=r"t10k-images-idx3-ubyte.gz: expected uint8 images "
        r"\(N, 28, 28\)",
    ):
        load_fashion_mnist(str(folder), num_train_per_class=1, num_query_per_class=1)


def test_too_few_images_per_class(tmp_path):
    folder = _fake_dir(tmp_path)
    with pytest.raises(ValueError, match="class 0 has 4 images, fewer than num_query_per_class=5"):
        load_fashion_mnist(str(folder), num_train_per_class=1, num_query_per_class=5)
    with pytest.raises(ValueError, match="class 0 has 8 database images.*=9"):
        load_fashion_mnist(str(folder), num_train_per_class=9, num_query_per_class=2)
    with pytest.raises(ValueError, match="num_train_per_class"):
        load_fashion_mnist(str(folder), num_train_per_class=0)


def test_validation_split(tmp_path):
    split = load_fashion_mnist(
        str(_fake_dir(tmp_path)), num_train_per_class=4, num_query_per_class=2
    )
    val = split.validation_split(0.25, seed=3)
    assert isinstance(val, FashionMNISTSplit)
    assert (len(val.query_ids), len(val.train_ids)) == (10, 30)
    assert set(val.query_ids) | set(val.train_ids) == set(split.train_ids)
    assert not set(val.query_ids) & set(val.train_ids)
    assert not set(val.query_ids) & set(split.query_ids)  # the protocol's queries stay unseen
    np.testing.assert_array_equal(val.database_ids, val.train_ids)
    np.testing.assert_array_equal(val.query_images[:, 0, 0], val.query_ids)
    np.testing.assert_array_equal(
        val.train_labels, split.train_labels[np.isin(split.train_ids, val.train_ids)]
    )
    again = split.validation_split(0.25, seed=3)
    np.testing.assert_array_equal(again.query_ids, val.query_ids)
    assert not np.array_equal(split.validation_split(0.25, seed=4).query_ids, val.query_ids)

    full = split.validation_split(7, seed=0, database="database")
    assert len(full.query_ids) == 7 and len(full.database_ids) == len(split.database_ids) - 7
    assert not set(full.query_ids) & set(full.database_ids)
    np.testing.assert_array_equal(full.database_images[:, 0, 0], full.database_ids)

    for bad in (0, 40, 1.0, 0.0, True, "a"):
        with pytest.raises(ValueError, match="size"):
            split.validation_split(bad)
    with pytest.raises(ValueError, match="database"):
        split.validation_split(0.1, database="query")


@pytest.mark.skipif(
    not os.path.isdir(DEFAULT_DATA_DIR),
    reason=f"{DEFAULT_DATA_DIR} is missing (apt-get install dataset-fashion-mnist; CI installs it)",
)
def test_real_files_split():
    split = load_fashion_mnist(DEFAULT_DATA_DIR)
    assert split.train_images.shape == (5000, 28, 28)
    assert split.query_images.shape == (1000, 28, 28)
    assert split.database_images.shape == (69000, 28, 28)
    np.testing.assert_array_equal(split.train_labels.sum(0), 500)
    np.testing.assert_array_equal(split.query_labels.sum(0), 100)
    np.testing.assert_array_equal(split.database_labels.sum(0), [6900] * 10)
    assert not set(split.query_ids.tolist()) & set(split.database_ids.tolist())
    assert set(split.train_ids.tolist()) <= set(split.database_ids.tolist())
    test_labels = load_idx(os.path.join(DEFAULT_DATA_DIR, "t10k-labels-idx1-ubyte.gz"))
    train_labels = load_idx(os.path.join(DEFAULT_DATA_DIR, "train-labels-idx1-ubyte.gz"))
    assert (len(train_labels), len(test_labels)) == (60000, 10000)
    for c in range(10):
        expected = np.flatnonzero(test_labels == c)[:100] + 60000
        assert set(expected) <= set(split.query_ids.tolist())
    all_labels = np.concatenate([train_labels, test_labels])
    database_ids = split.database_ids
    rng = np.random.default_rng(0)
    expected_train = np.concatenate(
        [
            rng.choice(database_ids[all_labels[database_ids] == c], 500, replace=False)
            for c in range(10)
        ]
    )
    np.testing.assert_array_equal(split.train_ids, expected_train)
    # Regression pin of the protocol's draw (NumPy's Generator.choice stream is stable).
    np.testing.assert_array_equal(split.train_ids[:5], [65264, 55593, 10561, 24332, 68197])


def test_read_fashion_mnist_gives_train_then_t10k(tmp_path, monkeypatch):
    from keras_hashing.data import read_fashion_mnist

    folder = write_fake_fashion_mnist(str(tmp_path / "fm"), train_per_class=5, test_per_class=2)
    images, labels = read_fashion_mnist(folder)
    assert images.shape == (70, 28, 28) and images.dtype == np.uint8
    assert labels.dtype == np.int64 and np.bincount(labels).tolist() == [7] * 10
    assert np.bincount(labels[:50]).tolist() == [5] * 10  # the train file first, then t10k
    monkeypatch.setenv("FASHION_MNIST_DIR", folder)
    np.testing.assert_array_equal(read_fashion_mnist(None)[1], labels)
    with pytest.raises(ValueError, match=r"lacks train-images-idx3-ubyte\.gz.*apt-get install"):
        read_fashion_mnist(str(tmp_path))
