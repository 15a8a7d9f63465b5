"""TFDS datasets through `tensorflow_datasets.testing.mock_data` (no download)."""

import cv2
import numpy as np
import pytest

tfds = pytest.importorskip("tensorflow_datasets")

from keras_hashing.data.tfds import convert_images  # noqa: E402
from keras_hashing.data.tfds import dataset_from_spec  # noqa: E402
from keras_hashing.data.tfds import load_retrieval_data  # noqa: E402
from keras_hashing.data.tfds import load_tfds_split  # noqa: E402
from keras_hashing.data.tfds import retrieval_split  # noqa: E402


def test_convert_images_matches_opencv_resize_of_bgr():
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (2, 5, 7, 3), dtype=np.uint8)
    out = convert_images(rgb, 16, bgr=True)
    assert out.shape == (2, 16, 16, 3) and out.dtype == np.uint8
    for i in range(2):
        bgr = np.ascontiguousarray(rgb[i][..., ::-1])
        expected = cv2.resize(bgr, (16, 16), interpolation=cv2.INTER_LINEAR)
        np.testing.assert_array_equal(out[i], expected)
    gray = rng.integers(0, 256, (1, 4, 4, 1), dtype=np.uint8)
    replicated = convert_images(gray, bgr=True)
    assert replicated.shape == (1, 4, 4, 3)
    np.testing.assert_array_equal(replicated[..., 0], gray[..., 0])
    np.testing.assert_array_equal(replicated[..., 2], gray[..., 0])
    np.testing.assert_array_equal(convert_images(rgb), rgb)
    with pytest.raises(ValueError, match="uint8"):
        convert_images(rgb.astype(np.float32))


def test_retrieval_split_is_a_disjoint_per_class_partition():
    labels = np.repeat(np.arange(3), 10)  # 10 per class
    query_mask = np.tile(np.r_[np.zeros(6, bool), np.ones(4, bool)], 3)  # 4 candidates per class
    query, train, database = retrieval_split(
        labels, query_mask, query_per_class=2, train_per_class=3, seed=0
    )
    assert len(query) == 6 and len(train) == 9 and len(database) == 15
    assert query_mask[query].all()
    assert not set(query) & set(train) and not set(query) & set(database)
    assert not set(train) & set(database)
    np.testing.assert_array_equal(np.sort(np.concatenate([query, train, database])), np.arange(30))
    np.testing.assert_array_equal(np.bincount(labels[query]), [2, 2, 2])
    np.testing.assert_array_equal(np.bincount(labels[train]), [3, 3, 3])
    again = retrieval_split(np.eye(3)[labels], np.flatnonzero(query_mask), 2, 3, seed=0)
    for a, b in zip(again, (query, train, database)):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="Class 0 has 4 query candidates"):
        retrieval_split(labels, query_mask, query_per_class=5)


@pytest.mark.tensorflow_only
def test_load_tfds_split_arrays_and_dataset():
    with tfds.testing.mock_data(num_examples=6):
        images, labels = load_tfds_split("cifar10", "test")
        assert images.shape == (6, 32, 32, 3) and images.dtype == np.uint8
        assert labels.shape == (6, 10) and labels.dtype == np.float32
        np.testing.assert_array_equal(labels.sum(axis=1), 1)
        converted, labels2 = load_tfds_split("cifar10", "test", image_size=64, bgr=True)
        np.testing.assert_array_equal(labels2, labels)  # mock data is deterministic
        np.testing.assert_array_equal(converted, convert_images(images, 64, bgr=True))
        dataset = load_tfds_split(
            "cifar10", "test", image_size=64, bgr=True, as_dataset=True, batch_size=4
        )
        batches = list(dataset)
        assert [int(x.shape[0]) for x, _ in batches] == [4, 2]
        np.testing.assert_array_equal(np.concatenate([x for x, _ in batches]), converted)
        train = load_tfds_split("cifar10", "test", as_dataset=True, batch_size=4, training=True)
        assert [int(x.shape[0]) for x, _ in train] == [4]


@pytest.mark.tensorflow_only
def test_dataset_from_spec_resolves_tfds_and_lists(tmp_path):
    with tfds.testing.mock_data(num_examples=4):
        images, labels = dataset_from_spec("tfds:cifar10:test", image_size=256, bgr=True)
        assert images.shape == (4, 256, 256, 3) and labels.shape == (4, 10)
    cv2.imwrite(str(tmp_path / "a.png"), np.full((3, 3, 3), 9, np.uint8))
    (tmp_path / "list.txt").write_text("a.png 0 1\n")
    images, labels = dataset_from_spec(f"list:{tmp_path / 'list.txt'}")
    assert images.shape == (1, 256, 256, 3) and (images == 9).all()
    np.testing.assert_array_equal(labels, [[0, 1]])
    for bad in ("cifar10", "hub:x", "tfds:", "list:"):
        with pytest.raises(ValueError, match="spec"):
            dataset_from_spec(bad)
    with pytest.raises(ValueError, match="names split 'test' but split='train'"):
        dataset_from_spec("tfds:cifar10:test", split="train")


@pytest.mark.tensorflow_only
def test_load_retrieval_data_follows_the_cifar_protocol():
    with tfds.testing.mock_data(num_examples=60):
        data = load_retrieval_data(
            "cifar10",
            batch_size=4,
            val_batch_size=5,
            seed=0,
            query_per_class=1,
            train_per_class=2,
            image_size=32,
        )
    # Mock labels are random but seeded; each class has at least one test-split candidate here.
    assert data.input_kind == "caffe256" and data.num_labels == 10
    assert data.top_k == len(data.database_labels) == 120 - len(data.query_labels) - data.num_train
    x, y = next(iter(data.train))
    assert x.shape == (4, 32, 32, 3) and x.dtype == "uint8" and y.shape == (4, 10)
    query = np.concatenate(list(data.query))
    assert query.shape == (len(data.query_labels), 32, 32, 3)


@pytest.mark.tensorflow_only
def test_load_retrieval_data_serves_28x28_gray_as_floats():
    with tfds.testing.mock_data(num_examples=60):
        data = load_retrieval_data(
            "fashion_mnist",
            batch_size=4,
            val_batch_size=8,
            seed=0,
            query_per_class=1,
            train_per_class=2,
        )
    assert data.input_kind == "gray28" and data.name == "tfds:fashion_mnist"
    x, y = next(iter(data.train))
    assert x.shape == (4, 28, 28, 1) and x.dtype == "float32" and y.shape == (4, 10)
    assert 0.0 <= float(np.min(x)) and float(np.max(x)) <= 1.0
    database = np.concatenate(list(data.database))
    assert database.shape == (data.top_k, 28, 28, 1)
