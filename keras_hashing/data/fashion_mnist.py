"""Fashion-MNIST from the four standard IDX files, split as `shared/benchmark_protocol.md` says.

The images come from Debian's `dataset-fashion-mnist` package (`/usr/share/datasets/fashion-mnist`)
or any folder holding `train-images-idx3-ubyte.gz`, `train-labels-idx1-ubyte.gz`,
`t10k-images-idx3-ubyte.gz` and `t10k-labels-idx1-ubyte.gz`. Ids index the 70 000 concatenation
(train file first, then t10k, in file order). The split mirrors thulab/DeepHash's CIFAR-10 one:
1 000 query images (the first 100 per class of the t10k file), the 69 000 others as database,
and 5 000 training images (500 per class) drawn from the database with a seeded generator.

Only NumPy is used here, so the loader also serves the NumPy baselines and benchmarks.
"""

from __future__ import annotations

import dataclasses
import gzip
import os
from typing import Tuple

import numpy as np

from keras_hashing import validation

__all__ = [
    "CLASS_NAMES",
    "DEFAULT_DATA_DIR",
    "FILE_NAMES",
    "FashionMNISTSplit",
    "load_fashion_mnist",
    "load_idx",
]

DEFAULT_DATA_DIR = "/usr/share/datasets/fashion-mnist"

# The label names of the Fashion-MNIST README (zalandoresearch/fashion-mnist), labels 0..9.
CLASS_NAMES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

FILE_NAMES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}

# IDX type byte -> big-endian NumPy dtype (yann.lecun.com/exdb/mnist, "THE IDX FILE FORMAT").
_IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def load_idx(path: str | os.PathLike, expected_ndim: int | None = None) -> np.ndarray:
    """Reads one IDX file (gzip-compressed or plain) into a NumPy array.

    The header is two zero bytes, a type byte (0x08 ubyte, 0x09 byte, 0x0B short, 0x0C int,
    0x0D float, 0x0E double) and the number of dimensions, then one big-endian uint32 per
    dimension. Gzip is detected from the file's first two bytes, not from its name.

    Args:
        path: str or path-like, the IDX file.
        expected_ndim: int or None, default None. When given, the number of dimensions the
            header must announce (3 for image files, 1 for label files).

    Returns:
        An array of the header's shape, in native byte order (uint8 for the Fashion-MNIST files).

    Raises:
        ValueError: naming the file, when it is missing, the magic number is wrong, the type
            byte is unknown, the dimensionality differs from `expected_ndim`, or the payload
            size differs from what the header announces.

    Example:
        >>> labels = load_idx("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz")
        ... # doctest: +SKIP
        >>> labels.shape  # doctest: +SKIP
        (10000,)
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ValueError(f"IDX file {path} does not exist.")
    with open(path, "rb") as handle:
        raw = handle.read()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as error:
            raise ValueError(f"IDX file {path}: corrupt gzip stream ({error}).") from error
    if len(raw) < 4:
        raise ValueError(
            f"IDX file {path}: expected a 4-byte magic number, found {len(raw)} bytes."
        )
    if raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES or raw[3] == 0:
        raise ValueError(
            f"IDX file {path}: bad magic number 0x{raw[:4].hex()}; expected 0x0000TTNN with type "
            f"TT in {{08, 09, 0b, 0c, 0d, 0e}} and NN >= 1 dimensions (0x00000803 for images, "
            f"0x00000801 for labels)."
        )
    dtype = _IDX_DTYPES[raw[2]]
    ndim = raw[3]
    if expected_ndim is not None and ndim != expected_ndim:
        raise ValueError(
            f"IDX file {path}: expected {expected_ndim} dimension(s), found {ndim} "
            f"(magic number 0x{raw[:4].hex()})."
        )
    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise ValueError(
            f"IDX file {path}: truncated header ({len(raw)} bytes, expected at least "
            f"{header_size})."
        )
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    expected_bytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    found_bytes = len(raw) - header_size
    if found_bytes != expected_bytes:
        raise ValueError(
            f"IDX file {path}: header announces shape {shape} ({expected_bytes} bytes of data), "
            f"found {found_bytes} bytes."
        )
    data = np.frombuffer(raw, dtype=dtype, offset=header_size).reshape(shape)
    return data.astype(dtype.newbyteorder("="), copy=True)


def _one_hot(labels, num_classes=10):
    out = np.zeros((len(labels), num_classes), dtype=np.float32)
    out[np.arange(len(labels)), labels] = 1.0
    return out


@dataclasses.dataclass
class FashionMNISTSplit:
    """The protocol split of Fashion-MNIST: train, query and database arrays and their ids.

    Images are uint8 `(N, 28, 28)`; labels are one-hot float32 `(N, 10)`; ids are int64 indices
    into the 70 000-image concatenation (train file, then t10k file). Query ids and database ids
    are in ascending order; train ids are in draw order (class 0's 500 draws, then class 1's...).

    Attributes:
        train_images, train_labels, train_ids: the training subset of the database.
        query_images, query_labels, query_ids: the held-out queries.
        database_images, database_labels, database_ids: the retrieval set.
        class_names: tuple of the 10 label names.

    Example:
        >>> split = load_fashion_mnist()  # doctest: +SKIP
        >>> split.train_images.shape, split.query_labels.shape  # doctest: +SKIP
        ((5000, 28, 28), (1000, 10))
    """

    train_images: np.ndarray
    train_labels: np.ndarray
    query_images: np.ndarray
    query_labels: np.ndarray
    database_images: np.ndarray
    database_labels: np.ndarray
    train_ids: np.ndarray
    query_ids: np.ndarray
    database_ids: np.ndarray
    class_names: Tuple[str, ...] = CLASS_NAMES

    def validation_split(
        self, size: float | int = 0.1, seed: int | None = 0, database: str = "train"
    ) -> FashionMNISTSplit:
        """Carves a validation set out of the training images, for hyperparameter selection.

        The held-out images play the query role, so that retrieval quality can be measured
        without touching the protocol's query set. They are drawn uniformly at random from the
        training images with `numpy.random.default_rng(seed)` and leave the training set.

        Args:
            size: float in (0, 1) (a fraction of the training images, rounded to the nearest
                integer, at least 1) or int (a count), default 0.1. At least one training image
                must remain.
            seed: int or None, default 0.
            database: "train" (default) or "database". "train": the retrieval set is the
                remaining training images (small and fast). "database": the protocol's database
                less the validation images (the full-size setting).

        Returns:
            A new `FashionMNISTSplit` whose `train_*` are the remaining training images (order
            kept), `query_*` the validation images (ascending position in the training set)
            and `database_*` as chosen by `database`. Ids still index the 70 000 concatenation.

        Example:
            >>> val = load_fashion_mnist().validation_split(0.1, seed=0)  # doctest: +SKIP
            >>> len(val.train_ids), len(val.query_ids)  # doctest: +SKIP
            (4500, 500)
        """
        num_train = len(self.train_ids)
        if isinstance(size, bool):
            raise ValueError(f"`size` must be a fraction in (0, 1) or a count, found {size!r}.")
        if isinstance(size, (float, np.floating)):
            fraction = validation.number_in_range(
                "size", size, 0, 1, "FashionMNISTSplit.validation_split", include_low=False
            )
            count = max(1, int(round(fraction * num_train)))
        elif isinstance(size, (int, np.integer)):
            count = int(size)
        else:
            raise ValueError(f"`size` must be a float fraction or an int count, found {size!r}.")
        if not 0 < count < num_train:
            raise ValueError(
                f"`size` must leave between 1 and {num_train - 1} validation images out of the "
                f"{num_train} training images, found {count}."
            )
        validation.one_of(
            "database", database, ("train", "database"), "FashionMNISTSplit.validation_split"
        )
        rng = np.random.default_rng(seed)
        held = np.zeros(num_train, dtype=bool)
        held[rng.choice(num_train, count, replace=False)] = True
        keep = ~held
        if database == "train":
            db_images, db_labels, db_ids = (
                self.train_images[keep],
                self.train_labels[keep],
                self.train_ids[keep],
            )
        else:
            in_db = ~np.isin(self.database_ids, self.train_ids[held])
            db_images, db_labels, db_ids = (
                self.database_images[in_db],
                self.database_labels[in_db],
                self.database_ids[in_db],
            )
        return FashionMNISTSplit(
            train_images=self.train_images[keep],
            train_labels=self.train_labels[keep],
            query_images=self.train_images[held],
            query_labels=self.train_labels[held],
            database_images=db_images,
            database_labels=db_labels,
            train_ids=self.train_ids[keep],
            query_ids=self.train_ids[held],
            database_ids=db_ids,
            class_names=self.class_names,
        )


def _read_pair(data_dir, images_key, labels_key):
    images_path = os.path.join(data_dir, FILE_NAMES[images_key])
    labels_path = os.path.join(data_dir, FILE_NAMES[labels_key])
    images = load_idx(images_path, expected_ndim=3)
    labels = load_idx(labels_path, expected_ndim=1)
    if images.dtype != np.uint8 or images.shape[1:] != (28, 28):
        raise ValueError(
            f"IDX file {images_path}: expected uint8 images (N, 28, 28), found "
            f"{images.dtype} {images.shape}."
        )
    if labels.dtype != np.uint8:
        raise ValueError(f"IDX file {labels_path}: expected uint8 labels, found {labels.dtype}.")
    if len(images) != len(labels):
        raise ValueError(
            f"IDX files {images_path} and {labels_path} disagree: {len(images)} "
            f"images but {len(labels)} labels."
        )
    if len(labels) and labels.max() > 9:
        bad = int(np.argmax(labels > 9))
        raise ValueError(
            f"IDX file {labels_path}: labels must lie in 0..9, found "
            f"{int(labels[bad])} at index {bad}."
        )
    return images, labels


def _read_files(
    data_dir: str | os.PathLike | None,
) -> tuple[str, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The resolved folder and its four arrays (train images and labels, then t10k's)."""
    if data_dir is None:
        data_dir = os.environ.get("FASHION_MNIST_DIR") or DEFAULT_DATA_DIR
    data_dir = os.path.expanduser(os.fspath(data_dir))
    hint = (
        "Install it with `apt-get install dataset-fashion-mnist` (Debian/Ubuntu), or point "
        "`data_dir` / the FASHION_MNIST_DIR environment variable at a folder holding "
        + ", ".join(FILE_NAMES.values())
        + "."
    )
    if not os.path.isdir(data_dir):
        raise ValueError(f"Fashion-MNIST folder {data_dir} does not exist. {hint}")
    missing = [
        name for name in FILE_NAMES.values() if not os.path.isfile(os.path.join(data_dir, name))
    ]
    if missing:
        raise ValueError(f"Fashion-MNIST folder {data_dir} lacks {', '.join(missing)}. {hint}")
    train_images, train_labels = _read_pair(data_dir, "train_images", "train_labels")
    test_images, test_labels = _read_pair(data_dir, "test_images", "test_labels")
    return data_dir, train_images, train_labels, test_images, test_labels


def read_fashion_mnist(data_dir: str | os.PathLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """All 70 000 Fashion-MNIST images and labels: the train file, then t10k, in file order.

    Args:
        data_dir: the folder of the four IDX files; default the environment variable
            `FASHION_MNIST_DIR`, else `/usr/share/datasets/fashion-mnist` (Debian package
            `dataset-fashion-mnist`).

    Returns:
        `(images, labels)`: uint8 `(70000, 28, 28)` and int64 `(70000,)`.

    Raises:
        ValueError: when the folder or a file is missing (the message names
            `apt-get install dataset-fashion-mnist`) or a file is malformed (naming it).
    """
    _, train_images, train_labels, test_images, test_labels = _read_files(data_dir)
    images = np.concatenate([train_images, test_images])
    labels = np.concatenate([train_labels, test_labels]).astype(np.int64)
    return images, labels


def load_fashion_mnist(
    data_dir: str | os.PathLike | None = None,
    num_train_per_class: int = 500,
    num_query_per_class: int = 100,
    seed: int = 0,
) -> FashionMNISTSplit:
    """Loads Fashion-MNIST and splits it as `shared/benchmark_protocol.md` prescribes.

    Query: the first `num_query_per_class` images of each class in the t10k file. Database:
    every other image of the 70 000. Train: for each class `c` in 0..9, in order,
    `rng.choice(database_ids_of_class_c, num_train_per_class, replace=False)` with one
    `rng = numpy.random.default_rng(seed)` (the database ids of a class in ascending order).
    Train is a subset of the database; query is disjoint from both.

    Args:
        data_dir: str or None, default None: the environment variable `FASHION_MNIST_DIR`, else
            `/usr/share/datasets/fashion-mnist` (Debian package `dataset-fashion-mnist`).
        num_train_per_class: int, default 500 (5 000 training images).
        num_query_per_class: int, default 100 (1 000 queries).
        seed: int, default 0, the seed of the training draws. The protocol fixes 0.

    Returns:
        A `FashionMNISTSplit`.

    Raises:
        ValueError: when the folder or a file is missing (the message names
            `apt-get install dataset-fashion-mnist`), when a file is malformed (naming it), or
            when a class has too few images for the requested counts.

    Example:
        >>> split = load_fashion_mnist()  # doctest: +SKIP
        >>> len(split.train_ids), len(split.query_ids), len(split.database_ids)  # doctest: +SKIP
        (5000, 1000, 69000)

    References:
        Xiao, Rasul and Vollgraf, "Fashion-MNIST: a Novel Image Dataset for Benchmarking
        Machine Learning Algorithms", arXiv:1708.07747, 2017.
    """
    num_train_per_class = validation.positive_int(
        "num_train_per_class", num_train_per_class, "load_fashion_mnist"
    )
    num_query_per_class = validation.positive_int(
        "num_query_per_class", num_query_per_class, "load_fashion_mnist"
    )
    data_dir, train_images, train_labels, test_images, test_labels = _read_files(data_dir)
    images = np.concatenate([train_images, test_images])
    labels = np.concatenate([train_labels, test_labels]).astype(np.int64)
    num_train_file = len(train_labels)

    query_parts = []
    for c in range(10):
        of_class = np.flatnonzero(test_labels == c)
        if len(of_class) < num_query_per_class:
            raise ValueError(
                f"{os.path.join(data_dir, FILE_NAMES['test_labels'])}: class {c} has "
                f"{len(of_class)} images, fewer than num_query_per_class={num_query_per_class}."
            )
        query_parts.append(of_class[:num_query_per_class] + num_train_file)
    query_ids = np.sort(np.concatenate(query_parts)).astype(np.int64)
    in_query = np.zeros(len(labels), dtype=bool)
    in_query[query_ids] = True
    database_ids = np.flatnonzero(~in_query).astype(np.int64)

    rng = np.random.default_rng(seed)
    database_classes = labels[database_ids]
    train_parts = []
    for c in range(10):
        of_class = database_ids[database_classes == c]
        if len(of_class) < num_train_per_class:
            raise ValueError(
                f"Fashion-MNIST in {data_dir}: class {c} has {len(of_class)} database images, "
                f"fewer than num_train_per_class={num_train_per_class}."
            )
        train_parts.append(rng.choice(of_class, num_train_per_class, replace=False))
    train_ids = np.concatenate(train_parts).astype(np.int64)

    one_hot = _one_hot(labels)
    return FashionMNISTSplit(
        train_images=images[train_ids],
        train_labels=one_hot[train_ids],
        query_images=images[query_ids],
        query_labels=one_hot[query_ids],
        database_images=images[database_ids],
        database_labels=one_hot[database_ids],
        train_ids=train_ids,
        query_ids=query_ids,
        database_ids=database_ids,
        class_names=CLASS_NAMES,
    )
