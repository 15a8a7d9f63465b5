"""`tf.data` builders over arrays and the Fashion-MNIST split (spec deephash.md §2.5)."""

import dataclasses

import numpy as np
import pytest

from keras_hashing.data.pipelines import array_dataset
from keras_hashing.data.pipelines import fashion_mnist_datasets
from keras_hashing.data.pipelines import fashion_mnist_inputs


def _arrays(count=10):
    images = np.arange(count * 4, dtype=np.float32).reshape(count, 2, 2, 1)
    labels = np.zeros((count, 3), np.float32)
    labels[np.arange(count), np.arange(count) % 3] = 1
    return images, labels


@pytest.mark.tensorflow_only
def test_training_reshuffles_each_epoch_full_batches_aligned():
    images, labels = _arrays(10)
    dataset = array_dataset(images, labels, 4, training=True, shuffle_seed=1)
    orders = []
    for _ in range(4):
        order = []
        for x, y in dataset:
            assert x.shape == (4, 2, 2, 1) and y.shape == (4, 3)
            ids = (x.numpy()[:, 0, 0, 0] // 4).astype(int)
            np.testing.assert_array_equal(y.numpy(), labels[ids])
            order.extend(ids.tolist())
        assert len(order) == 8 and len(set(order)) == 8
        orders.append(tuple(order))
    assert len(set(orders)) > 1


@pytest.mark.tensorflow_only
def test_evaluation_keeps_order_and_short_last_batch():
    images, labels = _arrays(10)
    batches = list(array_dataset(images, labels, 4, training=False))
    assert [int(x.shape[0]) for x, _ in batches] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate([x for x, _ in batches]), images)
    only_images = list(array_dataset(images.astype(np.uint8), None, 3, training=False))
    assert only_images[0].dtype == "uint8"
    np.testing.assert_array_equal(np.concatenate(only_images), images.astype(np.uint8))


def test_array_dataset_validates():
    images, labels = _arrays(5)
    with pytest.raises(ValueError, match=r"shape \(5, L\)"):
        array_dataset(images, labels[:4], 2, training=False)
    with pytest.raises(ValueError, match="batch_size"):
        array_dataset(images, labels, 0, training=False)
    with pytest.raises(ValueError, match="no batch of 8"):
        array_dataset(images, labels, 8, training=True)


def test_fashion_mnist_inputs():
    raw = np.array([[[0, 255], [51, 102]]], np.uint8).repeat(14, 1).repeat(14, 2)
    inputs = fashion_mnist_inputs(raw)
    assert inputs.shape == (1, 28, 28, 1) and inputs.dtype == np.float32
    np.testing.assert_allclose(inputs[0, 0, :2, 0], [0.0, 0.0])
    np.testing.assert_allclose(inputs[0, 0, 14, 0], 1.0)
    np.testing.assert_allclose(inputs[0, 14, 0, 0], 0.2)
    np.testing.assert_array_equal(fashion_mnist_inputs(raw[..., None]), inputs)
    with pytest.raises(ValueError, match="uint8"):
        fashion_mnist_inputs(raw.astype(np.float32))
    with pytest.raises(ValueError, match=r"\(N, 28, 28\)"):
        fashion_mnist_inputs(np.zeros((2, 32, 32), np.uint8))


@dataclasses.dataclass
class _Split:
    """A local stand-in with the attributes `fashion_mnist_datasets` reads."""

    train_images: np.ndarray
    train_labels: np.ndarray
    query_images: np.ndarray
    query_labels: np.ndarray
    database_images: np.ndarray
    database_labels: np.ndarray


@pytest.mark.tensorflow_only
def test_fashion_mnist_datasets():
    rng = np.random.default_rng(0)

    def part(count):
        labels = np.eye(10, dtype=np.float32)[rng.integers(0, 10, count)]
        return rng.integers(0, 256, (count, 28, 28), dtype=np.uint8), labels

    split = _Split(*part(9), *part(5), *part(7))
    train, query, database = fashion_mnist_datasets(split, 4, val_batch_size=3, shuffle_seed=0)
    assert [int(x.shape[0]) for x, _ in train] == [4, 4]
    x, y = next(iter(train))
    assert x.dtype == "float32" and x.shape == (4, 28, 28, 1) and y.shape == (4, 10)
    expected = fashion_mnist_inputs(split.query_images)
    np.testing.assert_allclose(np.concatenate(list(query)), expected)
    assert [int(b.shape[0]) for b in database] == [3, 3, 1]
    with_labels = fashion_mnist_datasets(split, 4, eval_labels=True).database
    labels = np.concatenate([b[1] for b in with_labels])
    np.testing.assert_array_equal(labels, split.database_labels)
