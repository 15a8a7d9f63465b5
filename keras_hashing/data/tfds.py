"""TensorFlow Datasets (`tfds:<name>`) as hashing data: one-hot labels, DeepHash image convention.

AlexNet in this library takes what thulab/DeepHash's loader produced: 256x256 BGR uint8 images
resized with OpenCV's bilinear filter (DeepHash/data_provider/image/__init__.py, `get_img`).
`convert_images` turns TFDS's RGB (or grayscale) uint8 arrays into that convention; the retrieval
split follows the standard CIFAR-10 protocol (100 queries and 500 training images per class, the
rest is the database, all disjoint), which is what `data/cifar10/prepare.py` writes for list files.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

import cv2
import numpy as np
import numpy.typing as npt
import tensorflow as tf

from keras_hashing import validation
from keras_hashing.data import pipelines

if TYPE_CHECKING:
    from keras_hashing.data.registry import RetrievalData

__all__ = [
    "convert_images",
    "dataset_from_spec",
    "load_retrieval_data",
    "load_tfds_split",
    "retrieval_split",
]


def _tfds():
    try:
        import tensorflow_datasets
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(
            "`tfds:` datasets need the `tensorflow-datasets` package "
            "(pip install tensorflow-datasets)."
        ) from error
    return tensorflow_datasets


def convert_images(
    images: npt.ArrayLike, image_size: int | None = None, bgr: bool = False
) -> np.ndarray:
    """Converts uint8 RGB or grayscale images to the DeepHash convention when asked.

    Args:
        images: uint8 array `(N, H, W, C)` with C = 1 or 3 (RGB), or `(N, H, W)`.
        image_size: int or None, default None. Resize each image to `image_size x image_size`
            with `cv2.resize(..., cv2.INTER_LINEAR)`, as the original loader does.
        bgr: bool, default False. Reverse RGB to OpenCV's BGR order; grayscale images are first
            replicated to three channels (what `cv2.imread` returns for a gray file).

    Returns:
        uint8 array `(N, S, S, C')`.

    Example:
        >>> convert_images(np.zeros((2, 32, 32, 3), np.uint8), 256, bgr=True).shape
        (2, 256, 256, 3)
    """
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise ValueError(f"Images must be uint8, found {images.dtype}.")
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise ValueError(
            f"Images must have shape (N, H, W), (N, H, W, 1) or (N, H, W, 3), found {images.shape}."
        )
    if bgr:
        if images.shape[-1] == 1:
            images = np.repeat(images, 3, axis=-1)
        images = images[..., ::-1]
    if image_size is not None:
        size = validation.positive_int("image_size", image_size, "convert_images")
        out = np.empty((len(images), size, size, images.shape[-1]), np.uint8)
        for index, image in enumerate(images):
            resized = cv2.resize(
                np.ascontiguousarray(image), (size, size), interpolation=cv2.INTER_LINEAR
            )
            out[index] = resized.reshape(out.shape[1:])
        return out
    return np.ascontiguousarray(images)


def _label_encoder(feature, name, label_key):
    tfds = _tfds()
    if isinstance(feature, tfds.features.ClassLabel):
        width = feature.num_classes

        def encode(values):
            values = np.asarray(values).reshape(-1)
            return np.eye(width, dtype=np.float32)[values]

        return encode, width
    inner = getattr(feature, "feature", None)
    if isinstance(feature, tfds.features.Sequence) and isinstance(inner, tfds.features.ClassLabel):
        width = inner.num_classes

        def encode_multi(values):
            out = np.zeros((len(values), width), np.float32)
            for row, labels in enumerate(values):
                out[row, np.asarray(labels, dtype=np.int64)] = 1.0
            return out

        return encode_multi, width
    raise ValueError(
        f"tfds dataset {name!r}: feature {label_key!r} is {type(feature).__name__}; "
        "expected a ClassLabel (one-hot) or a Sequence of ClassLabel (multi-hot)."
    )


def _read_arrays(name, split, data_dir, download, image_key, label_key):
    tfds = _tfds()
    dataset, info = tfds.load(
        name, split=split, data_dir=data_dir, with_info=True, download=download
    )
    for key in (image_key, label_key):
        if key not in info.features:
            raise ValueError(
                f"tfds dataset {name!r} has no feature {key!r}; it has "
                f"{sorted(info.features.keys())}."
            )
    encode, _ = _label_encoder(info.features[label_key], name, label_key)
    images, labels = [], []
    multi = not isinstance(info.features[label_key], tfds.features.ClassLabel)
    if multi:
        for example in tfds.as_numpy(dataset):
            images.append(example[image_key][None])
            labels.append(encode([example[label_key]]))
    else:
        for batch in tfds.as_numpy(dataset.batch(1024)):
            images.append(batch[image_key])
            labels.append(encode(batch[label_key]))
    if not images:
        raise ValueError(f"tfds dataset {name!r}, split {split!r} is empty.")
    return np.concatenate(images), np.concatenate(labels)


def _caffe_batches(dataset, image_size, bgr, with_labels):
    """Maps a batched uint8 dataset through `convert_images` (OpenCV resize) lazily."""

    def convert(batch):
        return convert_images(batch, image_size, bgr)

    def convert_tensor(images):
        out = tf.numpy_function(convert, [images], tf.uint8, stateful=False)
        channels = 3 if bgr else images.shape[-1]
        size = image_size if image_size is not None else None
        out.set_shape((None, size, size, channels))
        return out

    if with_labels:
        return dataset.map(lambda x, y: (convert_tensor(x), y), num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.map(convert_tensor, num_parallel_calls=tf.data.AUTOTUNE)


def load_tfds_split(
    name: str,
    split: str,
    data_dir: str | os.PathLike | None = None,
    image_size: int | None = None,
    bgr: bool = False,
    as_dataset: bool = False,
    batch_size: int = 32,
    training: bool = False,
    shuffle_seed: int | None = None,
    download: bool = True,
    image_key: str = "image",
    label_key: str = "label",
) -> tuple[np.ndarray, np.ndarray] | tf.data.Dataset:
    """Loads one split of a TFDS image dataset with one-hot (or multi-hot) labels.

    Args:
        name: str, TFDS name such as "cifar10" or "fashion_mnist".
        split: str, TFDS split expression ("train", "test", "train[:10%]", ...).
        data_dir: str or None, default None (TFDS's default folder).
        image_size: int or None, default None (native size). 256 with `bgr=True` gives the
            DeepHash AlexNet convention.
        bgr: bool, default False. Reverse to BGR (grayscale is replicated to 3 channels first).
        as_dataset: bool, default False. False returns NumPy arrays (converted images use
            `N * image_size**2 * 3` bytes: 11.8 GB for 60 000 at 256x256); True returns a
            `tf.data.Dataset` of batches converted lazily.
        batch_size: int, default 32 (datasets only).
        training: bool, default False (datasets only): reshuffle each epoch and drop the remainder.
        shuffle_seed: int or None, default None.
        download: bool, default True. Let TFDS download and prepare the data when missing.
        image_key, label_key: feature names, default "image" and "label".

    Returns:
        `(images, labels)`: uint8 images `(N, H, W, C)` and float32 labels `(N, L)`; or, with
        `as_dataset=True`, a `tf.data.Dataset` of `(images, labels)` batches.

    Example:
        >>> x, y = load_tfds_split("cifar10", "test", image_size=256, bgr=True)  # doctest: +SKIP
    """
    images, labels = _read_arrays(name, split, data_dir, download, image_key, label_key)
    if not as_dataset:
        return convert_images(images, image_size, bgr), labels
    dataset = pipelines.array_dataset(
        images, labels, batch_size, training, shuffle_seed=shuffle_seed
    )
    if image_size is None and not bgr:
        return dataset
    return _caffe_batches(dataset, image_size, bgr, with_labels=True).prefetch(tf.data.AUTOTUNE)


def retrieval_split(
    labels: npt.ArrayLike,
    query_candidates: npt.ArrayLike,
    query_per_class: int = 100,
    train_per_class: int = 500,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The standard CIFAR-10 retrieval split: disjoint query / train / database index sets.

    For each class in order, `query_per_class` queries are drawn from `query_candidates`, then
    `train_per_class` training items from the class's remaining items; everything else is the
    database. All draws use one `numpy.random.default_rng(seed)`; indices come back sorted.

    Args:
        labels: int array `(N,)` of class indices, or one-hot `(N, L)`.
        query_candidates: bool mask `(N,)` or index array of items that may be queries (for
            CIFAR-10, the test batch).
        query_per_class: int, default 100.
        train_per_class: int, default 500.
        seed: int, default 0.

    Returns:
        `(query_ids, train_ids, database_ids)`, sorted int64 arrays partitioning `0..N-1`.
    """
    labels = np.asarray(labels)
    if labels.ndim == 2:
        if not np.all(labels.sum(axis=1) == 1):
            raise ValueError("The retrieval split needs single-label (one-hot) rows.")
        labels = labels.argmax(axis=1)
    num_items = len(labels)
    candidates = np.zeros(num_items, bool)
    query_candidates = np.asarray(query_candidates)
    if query_candidates.dtype == bool:
        if query_candidates.shape != (num_items,):
            raise ValueError(
                f"`query_candidates` mask must have shape ({num_items},), "
                f"found {query_candidates.shape}."
            )
        candidates = query_candidates.copy()
    else:
        candidates[query_candidates.astype(np.int64)] = True
    rng = np.random.default_rng(seed)
    query, train = [], []
    for label in np.unique(labels):
        pool = np.flatnonzero(candidates & (labels == label))
        if len(pool) < query_per_class:
            raise ValueError(
                f"Class {label} has {len(pool)} query candidates, fewer than "
                f"query_per_class={query_per_class}."
            )
        chosen = rng.choice(pool, query_per_class, replace=False)
        query.append(chosen)
        rest = np.setdiff1d(np.flatnonzero(labels == label), chosen)
        if len(rest) < train_per_class:
            raise ValueError(
                f"Class {label} has {len(rest)} items left after the queries, fewer "
                f"than train_per_class={train_per_class}."
            )
        train.append(rng.choice(rest, train_per_class, replace=False))
    query_ids = np.sort(np.concatenate(query)).astype(np.int64)
    train_ids = np.sort(np.concatenate(train)).astype(np.int64)
    database_ids = np.setdiff1d(np.arange(num_items), np.concatenate([query_ids, train_ids]))
    return query_ids, train_ids, database_ids.astype(np.int64)


def load_retrieval_data(
    name: str,
    data_dir: str | os.PathLike | None = None,
    batch_size: int = 128,
    val_batch_size: int = 16,
    seed: int | None = None,
    splits: Sequence[str] = ("train", "test"),
    query_split: str = "test",
    query_per_class: int = 100,
    train_per_class: int = 500,
    image_size: int = 256,
    download: bool = True,
) -> RetrievalData:
    """A TFDS dataset as a `RetrievalData` with the standard CIFAR-10 protocol split.

    The named splits are concatenated in order; queries are drawn from `query_split`
    (`query_per_class` per class), then `train_per_class` training items per class from the
    rest; the database is everything else (disjoint from both, R = its size, as for CIFAR-10's
    54 000). 28x28 single-channel datasets are served as float32 `(B, 28, 28, 1)` in [0, 1]
    ("gray28"); others as 256x256 BGR uint8 converted batch by batch ("caffe256").

    Args:
        name: TFDS name, e.g. "cifar10".
        data_dir: TFDS data folder or None.
        batch_size: int, default 128. val_batch_size: int, default 16.
        seed: int or None. Seeds the split (0 when None) and the training shuffle.
        splits: tuple of str, default ("train", "test").
        query_split: str, default "test".
        query_per_class: int, default 100. train_per_class: int, default 500.
        image_size: int, default 256.
        download: bool, default True.

    Returns:
        A `keras_hashing.data.registry.RetrievalData`.
    """
    from keras_hashing.data.registry import RetrievalData

    if query_split not in splits:
        raise ValueError(f"`query_split` {query_split!r} is not one of `splits` {splits!r}.")
    parts = [_read_arrays(name, split, data_dir, download, "image", "label") for split in splits]
    images = np.concatenate([part[0] for part in parts])
    labels = np.concatenate([part[1] for part in parts])
    sizes = [len(part[0]) for part in parts]
    start = sum(sizes[: splits.index(query_split)])
    query_mask = np.zeros(len(images), bool)
    query_mask[start : start + sizes[splits.index(query_split)]] = True
    query_ids, train_ids, database_ids = retrieval_split(
        labels, query_mask, query_per_class, train_per_class, seed=0 if seed is None else seed
    )

    gray28 = images.shape[1:] in ((28, 28, 1), (28, 28))
    if gray28:
        inputs = pipelines.fashion_mnist_inputs(images)

        def build(ids, size, training, with_labels):
            return pipelines.array_dataset(
                inputs[ids], labels[ids] if with_labels else None, size, training, shuffle_seed=seed
            )
    else:

        def build(ids, size, training, with_labels):
            dataset = pipelines.array_dataset(
                images[ids], labels[ids] if with_labels else None, size, training, shuffle_seed=seed
            )
            return _caffe_batches(dataset, image_size, True, with_labels).prefetch(tf.data.AUTOTUNE)

    return RetrievalData(
        name=f"tfds:{name}",
        train=build(train_ids, batch_size, True, True),
        num_train=len(train_ids),
        query=build(query_ids, val_batch_size, False, False),
        query_labels=labels[query_ids],
        database=build(database_ids, val_batch_size, False, False),
        database_labels=labels[database_ids],
        top_k=len(database_ids),
        num_labels=labels.shape[1],
        input_kind="gray28" if gray28 else "caffe256",
    )


@dataclasses.dataclass
class _Spec:
    kind: str
    name: str
    split: str


def _parse_spec(spec, split):
    if not isinstance(spec, str) or ":" not in spec:
        raise ValueError(f"Dataset spec {spec!r} must be 'tfds:<name>[:<split>]' or 'list:<path>'.")
    kind, rest = spec.split(":", 1)
    if kind == "tfds":
        name, _, spec_split = rest.partition(":")
        if not name:
            raise ValueError(f"Dataset spec {spec!r} names no TFDS dataset.")
        if spec_split and split and spec_split != split:
            raise ValueError(
                f"Dataset spec {spec!r} names split {spec_split!r} but split={split!r}."
            )
        return _Spec("tfds", name, spec_split or split or "train")
    if kind == "list":
        if not rest:
            raise ValueError(f"Dataset spec {spec!r} names no list file.")
        return _Spec("list", rest, split or "")
    raise ValueError(f"Dataset spec {spec!r}: unknown kind {kind!r}; expected 'tfds' or 'list'.")


def dataset_from_spec(
    spec: str,
    split: str | None = None,
    data_dir: str | os.PathLike | None = None,
    as_dataset: bool = False,
    image_size: int | None = None,
    bgr: bool | None = None,
    batch_size: int = 32,
    training: bool = False,
    shuffle_seed: int | None = None,
    download: bool = True,
    num_labels: int | None = None,
    on_error: str = "raise",
) -> tuple[np.ndarray, np.ndarray] | tf.data.Dataset:
    """Resolves a dataset spec string to `(images, labels)` arrays or a `tf.data.Dataset`.

    Specs:
        * `"tfds:<name>"` or `"tfds:<name>:<split>"` (split from the string, `split`, or "train");
          `bgr` defaults to False (TFDS's RGB).
        * `"list:<path/to/list.txt>"`, a DeepHash list file (paths relative to `data_dir`, or to
          the list's folder); always BGR, `image_size` defaults to 256.

    Args:
        spec: str, as above.
        split: str or None, default None.
        data_dir: str or None, default None.
        as_dataset: bool, default False.
        image_size: int or None, default None.
        bgr: bool or None, default None (see the dataset specs above).
        batch_size, training, shuffle_seed: batching when `as_dataset=True`.
        download: bool, default True (TFDS only).
        num_labels: int or None (list files only).
        on_error: "raise" or "skip" (list files only).

    Returns:
        `(images, labels)` (uint8, float32 one-hot/multi-hot) or a `tf.data.Dataset` of them.

    Example:
        >>> x, y = dataset_from_spec("tfds:cifar10:test", image_size=256,
        ...                          bgr=True)  # doctest: +SKIP
    """
    parsed = _parse_spec(spec, split)
    if parsed.kind == "tfds":
        return load_tfds_split(
            parsed.name,
            parsed.split,
            data_dir=data_dir,
            image_size=image_size,
            bgr=bool(bgr),
            as_dataset=as_dataset,
            batch_size=batch_size,
            training=training,
            shuffle_seed=shuffle_seed,
            download=download,
        )
    from keras_hashing.data.image_list import ImageListDataset

    if bgr is False:
        raise ValueError(
            "List files are read by OpenCV, which gives BGR images; `bgr=False` is not offered."
        )
    images = ImageListDataset(
        parsed.name,
        data_root=data_dir,
        num_labels=num_labels,
        on_error=on_error,
        image_size=256 if image_size is None else image_size,
        cache="memory" if as_dataset else None,
    )
    if as_dataset:
        return images.dataset(batch_size, training, shuffle_seed=shuffle_seed)
    stacked = np.stack([images.load(index) for index in range(len(images))])
    return stacked, images.labels.astype(np.float32)
