"""`tf.data` builders shared by the methods: in-memory arrays and the Fashion-MNIST split.

The batching rules follow thulab/DeepHash's iterators (`Dataset` in DeepHash/model/dhn/util.py and
its siblings): training batches are reshuffled every epoch and always full (the remainder is
dropped); evaluation batches keep file order and the last one is short (the original overlaps it
with the previous batch, an artefact of its static graph that changes no output, so the port drops
it).
"""

from __future__ import annotations

import collections
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import tensorflow as tf

from keras_hashing import validation

if TYPE_CHECKING:
    from keras_hashing.data.fashion_mnist import FashionMNISTSplit

__all__ = [
    "FashionMNISTDatasets",
    "array_dataset",
    "fashion_mnist_datasets",
    "fashion_mnist_inputs",
]


def array_dataset(
    images: npt.ArrayLike,
    labels: npt.ArrayLike | None,
    batch_size: int,
    training: bool,
    shuffle_seed: int | None = None,
) -> tf.data.Dataset:
    """A `tf.data.Dataset` of batches drawn from in-memory arrays.

    Batches are gathered by index from the arrays, which is much faster than slicing item by
    item. Dtypes are kept (uint8 stays uint8); labels become float32.

    Args:
        images: array `(N, ...)`.
        labels: array `(N, L)` or None. None yields images only (evaluation passes whose labels
            the caller keeps).
        batch_size: int.
        training: bool. True: reshuffle every epoch (seeded by `shuffle_seed`) and drop the
            remainder so every batch is full. False: keep the order, last batch short.
        shuffle_seed: int or None, default None.

    Returns:
        A `tf.data.Dataset` yielding `(images, labels)` batches, or images alone when `labels`
        is None. `fit` iterates it once per epoch; add `.repeat()` for step-based loops.

    Example:
        >>> x = np.zeros((10, 28, 28, 1), "float32"); y = np.eye(10, dtype="float32")
        >>> [int(b[0].shape[0]) for b in array_dataset(x, y, 4, training=True)]
        [4, 4]
    """
    batch_size = validation.positive_int("batch_size", batch_size, "array_dataset")
    images = np.asarray(images)
    if images.ndim < 1 or len(images) == 0:
        raise ValueError(
            f"`images` must be a non-empty array (N, ...), found shape {images.shape}."
        )
    num_items = len(images)
    if labels is not None:
        labels = np.asarray(labels, dtype=np.float32)
        if labels.ndim != 2 or len(labels) != num_items:
            raise ValueError(
                f"`labels` must have shape ({num_items}, L) to match `images`, "
                f"found {labels.shape}."
            )
    if training and num_items < batch_size:
        raise ValueError(
            f"Training drops the remainder, so {num_items} items give no batch of "
            f"{batch_size}; use a smaller batch size."
        )
    image_table = tf.constant(images)
    label_table = None if labels is None else tf.constant(labels)

    indices = tf.data.Dataset.range(num_items)
    if training:
        indices = indices.shuffle(num_items, seed=shuffle_seed, reshuffle_each_iteration=True)
    indices = indices.batch(batch_size, drop_remainder=bool(training))

    def gather(batch_indices):
        if label_table is None:
            return tf.gather(image_table, batch_indices)
        return tf.gather(image_table, batch_indices), tf.gather(label_table, batch_indices)

    return indices.map(gather, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True).prefetch(
        tf.data.AUTOTUNE
    )


def fashion_mnist_inputs(images_uint8: npt.ArrayLike) -> np.ndarray:
    """Fashion-MNIST pixels as network inputs: float32 `(N, 28, 28, 1)` in [0, 1].

    Args:
        images_uint8: uint8 array `(N, 28, 28)` or `(N, 28, 28, 1)`.

    Returns:
        float32 array `(N, 28, 28, 1)`, pixels divided by 255.

    Example:
        >>> float(fashion_mnist_inputs(np.full((2, 28, 28), 255, np.uint8)).max())
        1.0
    """
    images = np.asarray(images_uint8)
    if images.dtype != np.uint8:
        raise ValueError(f"Fashion-MNIST images must be uint8, found {images.dtype}.")
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(
            f"Fashion-MNIST images must have shape (N, 28, 28) or (N, 28, 28, 1), "
            f"found {images.shape}."
        )
    return (images.astype(np.float32) / np.float32(255.0))[..., None]


FashionMNISTDatasets = collections.namedtuple(
    "FashionMNISTDatasets", ["train", "query", "database"]
)
FashionMNISTDatasets.__doc__ = """The three `tf.data` pipelines of the Fashion-MNIST protocol split.

Attributes:
    train: `(images, labels)` batches, reshuffled each epoch, full batches.
    query: query images (with labels when asked), in split order.
    database: database images (with labels when asked), in split order.
"""


def fashion_mnist_datasets(
    split: FashionMNISTSplit,
    batch_size: int,
    val_batch_size: int | None = None,
    shuffle_seed: int | None = None,
    eval_labels: bool = False,
) -> FashionMNISTDatasets:
    """Train, query and database pipelines of a Fashion-MNIST split (float32 (B, 28, 28, 1) inputs).

    Args:
        split: a `FashionMNISTSplit` (`keras_hashing.data.load_fashion_mnist()`), or any object
            with `train_images`, `train_labels`, `query_images`, `query_labels`,
            `database_images` and `database_labels` (uint8 images, one-hot labels).
        batch_size: int, training batch size.
        val_batch_size: int or None, default None (= `batch_size`). Batch size of the query and
            database passes.
        shuffle_seed: int or None, default None.
        eval_labels: bool, default False. Whether query and database batches carry their labels
            (the labels are also on `split`, aligned with the batches' order).

    Returns:
        A `FashionMNISTDatasets(train, query, database)`.

    Example:
        >>> split = load_fashion_mnist()  # doctest: +SKIP
        >>> train, query, database = fashion_mnist_datasets(split, 128)  # doctest: +SKIP
    """
    batch_size = validation.positive_int("batch_size", batch_size, "fashion_mnist_datasets")
    if val_batch_size is None:
        val_batch_size = batch_size
    else:
        val_batch_size = validation.positive_int(
            "val_batch_size", val_batch_size, "fashion_mnist_datasets"
        )
    train = array_dataset(
        fashion_mnist_inputs(split.train_images),
        split.train_labels,
        batch_size,
        training=True,
        shuffle_seed=shuffle_seed,
    )

    def evaluation(images, labels):
        return array_dataset(
            fashion_mnist_inputs(images),
            labels if eval_labels else None,
            val_batch_size,
            training=False,
        )

    return FashionMNISTDatasets(
        train=train,
        query=evaluation(split.query_images, split.query_labels),
        database=evaluation(split.database_images, split.database_labels),
    )
