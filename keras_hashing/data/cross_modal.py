"""Cross-modal data: DADH's `.mat` files, DJSRH's DCMH-format files, two-view Fashion-MNIST.

Every loader returns a `CrossModalData` with train / query / database parts, each holding
images (or image features), text vectors, multi-hot labels and the row indices into the source
file, so that a split can be saved and reproduced. `paired_dataset` turns a part into `tf.data`.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from typing import TYPE_CHECKING
from typing import Any
from typing import Literal

import numpy as np
import numpy.typing as npt

from keras_hashing import validation

if TYPE_CHECKING:
    import tensorflow as tf

    from keras_hashing.data.fashion_mnist import FashionMNISTSplit

# DADH `config.py` (`Default.data`), `datasets/data_handler.py`: file, keys (images, text,
# labels), text width, labels, split sizes.
DADH_DATASETS = {
    "mir": {
        "file": "FLICKR-25K.mat",
        "keys": ("images", "YAll", "LAll"),
        "text_dim": 1386,
        "num_labels": 24,
        "query_size": 2000,
        "train_size": 10000,
        "database_size": 18015,
    },
    "nus": {
        "file": "NUS-WIDE-TC21.mat",
        "keys": ("image", "text", "label"),
        "text_dim": 1000,
        "num_labels": 21,
        "query_size": 2100,
        "train_size": 10000,
        "database_size": 193734,
    },
}
# DJSRH `datasets.py`: per-label (test, train) counts for the first and later labels.
DJSRH_PER_LABEL = {
    "MIRFlickr": ((160, 400), (80, 200), 5000),
    "NUSWIDE": ((200, 500), (200, 500), None),
}
WIKI_CATEGORIES = (
    "art",
    "biology",
    "geography",
    "history",
    "literature",
    "media",
    "music",
    "royalty",
    "sport",
    "warfare",
)
IMAGENET_MEAN = np.asarray((0.485, 0.456, 0.406), "float32")
IMAGENET_STD = np.asarray((0.229, 0.224, 0.225), "float32")


@dataclasses.dataclass
class CrossModalPart:
    """One part of a cross-modal split.

    Attributes:
        images: `(N, ...)` array, or an indexable lazy source (`HDF5Images`, `ImageFiles`).
        texts: `(N, D)` float32 text vectors.
        labels: `(N, C)` float32 multi-hot labels.
        indices: `(N,)` int64 rows of the source file.
    """

    images: Any
    texts: np.ndarray
    labels: np.ndarray
    indices: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)


@dataclasses.dataclass
class CrossModalData:
    """A cross-modal benchmark: `train` (inside `database` for DADH and DJSRH), `query`."""

    name: str
    train: CrossModalPart
    query: CrossModalPart
    database: CrossModalPart

    @property
    def text_dim(self) -> int:
        return int(self.train.texts.shape[1])

    @property
    def num_labels(self) -> int:
        return int(self.train.labels.shape[1])


def _read_mat(path, keys, transpose_hdf5=True):
    """Reads `keys` of a MATLAB file: scipy for v5, h5py (transposed to MATLAB order) for v7.3."""
    if not os.path.exists(path):
        raise ValueError(f"{path}: file not found.")
    import scipy.io

    try:
        contents = scipy.io.loadmat(path, variable_names=list(keys))
        available = {name for name, _, _ in scipy.io.whosmat(path)}
        found = {key: contents[key] for key in keys if key in contents}
    except (NotImplementedError, ValueError):
        import h5py

        with h5py.File(path, "r") as handle:
            available = set(handle.keys())
            found = {}
            for key in keys:
                if key in handle:
                    value = np.asarray(handle[key])
                    found[key] = value.T if transpose_hdf5 else value
    missing = [key for key in keys if key not in found]
    if missing:
        raise ValueError(f"{path}: missing key(s) {missing}; the file holds {sorted(available)}.")
    return found


def _check_rows(path, arrays):
    rows = {name: len(array) for name, array in arrays.items()}
    if len(set(rows.values())) != 1:
        raise ValueError(
            f"{path}: the modalities have different row counts {rows}; images, texts "
            "and labels must describe the same items in the same order."
        )
    return next(iter(rows.values()))


def _check_text_dim(path, texts, expected):
    if expected is not None and texts.shape[1] != expected:
        raise ValueError(
            f"{path}: text vectors have dimension {texts.shape[1]}, expected {expected}."
        )


def _part(images, texts, labels, indices):
    indices = np.asarray(indices, dtype=np.int64)
    taken_images = images[indices] if isinstance(images, np.ndarray) else _Subset(images, indices)
    return CrossModalPart(
        taken_images,
        np.asarray(texts[indices], "float32"),
        np.asarray(labels[indices], "float32"),
        indices,
    )


class _Subset:
    """Rows `indices` of a lazy image source, itself indexable by position."""

    def __init__(self, source, indices):
        self.source, self.indices = source, np.asarray(indices)

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, position):
        return self.source[int(self.indices[position])]


def dadh_split_indices(
    num_items: int,
    flag: str,
    query_size: int | None = None,
    train_size: int | None = None,
    database_size: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """DADH's fixed splits (no shuffling): `(train, query, database)` index arrays.

    Zjut-MultimediaPlus/DADH datasets/dataset.py, `Dataset.__init__`.

    mir: query = the last items from `database_size` on, train = the first 10,000, database = the
    first 18,015. nus: query = the first 2,100, train = the next 10,000, database = the rest.
    The sizes can be overridden (small test files, other releases).
    """
    validation.one_of("flag", flag, tuple(sorted(DADH_DATASETS)), "dadh_split_indices")
    settings = dict(DADH_DATASETS[flag])
    for key, value in (
        ("query_size", query_size),
        ("train_size", train_size),
        ("database_size", database_size),
    ):
        if value is not None:
            settings[key] = int(value)
    everything = np.arange(num_items)
    if flag == "mir":
        query = everything[settings["database_size"] :]
        train = everything[: settings["train_size"]]
        database = everything[: settings["database_size"]]
    else:
        query = everything[: settings["query_size"]]
        train = everything[settings["query_size"] : settings["query_size"] + settings["train_size"]]
        database = everything[settings["query_size"] :]
    if len(train) < settings["train_size"] or len(query) == 0:
        raise ValueError(
            f"DADH {flag}: {num_items} items are too few for the original split "
            f"(train {settings['train_size']}, query {settings['query_size']})."
        )
    return train, query, database


def load_dadh_mat(
    path: str | os.PathLike,
    flag: str = "mir",
    standardize: bool = True,
    text_dim: int | Literal["original"] | None = "original",
    split_sizes: Mapping[str, int] | None = None,
) -> CrossModalData:
    """Loads `FLICKR-25K.mat` (`flag="mir"`) or `NUS-WIDE-TC21.mat` (`"nus"`) as DADH does.

    Image features are standardised with one global scalar mean and standard deviation over the
    whole matrix, query included (`(X - X.mean()) / X.std()`, NumPy's population std); text is
    used raw (DADH `datasets/data_handler.py`, `load_flickr25k`, `load_nus_wide`).

    Args:
        path: the `.mat` file (or a folder holding the original file name).
        flag: "mir" or "nus".
        standardize: bool, default True.
        text_dim: "original" (1386 for mir, 1000 for nus), an int, or None (no check).
        split_sizes: optional dict overriding `query_size`, `train_size`, `database_size`.

    Returns:
        `CrossModalData`.
    """
    validation.one_of("flag", flag, tuple(sorted(DADH_DATASETS)), "load_dadh_mat")
    settings = DADH_DATASETS[flag]
    if os.path.isdir(path):
        path = os.path.join(path, settings["file"])
    image_key, text_key, label_key = settings["keys"]
    contents = _read_mat(path, settings["keys"])
    images = np.asarray(contents[image_key], dtype="float64")
    texts = np.asarray(contents[text_key], dtype="float32")
    labels = np.asarray(contents[label_key], dtype="float32")
    num_items = _check_rows(path, {image_key: images, text_key: texts, label_key: labels})
    _check_text_dim(path, texts, settings["text_dim"] if text_dim == "original" else text_dim)
    if standardize:
        images = (images - images.mean()) / images.std()
    images = images.astype("float32")
    train, query, database = dadh_split_indices(num_items, flag, **(split_sizes or {}))
    return CrossModalData(
        flag,
        _part(images, texts, labels, train),
        _part(images, texts, labels, query),
        _part(images, texts, labels, database),
    )


def djsrh_split_indices(
    labels: npt.ArrayLike, dataset: str = "MIRFlickr", seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """DJSRH's per-label split (zs-zhong/DJSRH `datasets.py`), seeded (the original never seeds
    NumPy).

    For each label column in order, its items are permuted; the first label gives `test` and
    `train` their first counts, every later label adds its counts from the items not chosen yet.
    The database is every item not in `test`. For MIRFlickr, `train` is topped up to 5,000 with
    random database items.

    Args:
        labels: `(N, C)` 0/1 label matrix.
        dataset: "MIRFlickr" or "NUSWIDE".
        seed: int, the NumPy `default_rng` seed.

    Returns:
        `(train, query, database)` int64 index arrays.
    """
    validation.one_of("dataset", dataset, tuple(sorted(DJSRH_PER_LABEL)), "djsrh_split_indices")
    (first_test, first_train), (later_test, later_train), train_size = DJSRH_PER_LABEL[dataset]
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    test, train = np.zeros(0, np.int64), np.zeros(0, np.int64)
    for column in range(labels.shape[1]):
        items = np.where(labels[:, column] == 1)[0]
        items = items[rng.permutation(len(items))]
        if column == 0:
            test, train = items[:first_test], items[first_test : first_test + first_train]
        else:
            chosen = set(train.tolist()) | set(test.tolist())
            items = np.asarray([i for i in items if i not in chosen], dtype=np.int64)
            test = np.concatenate([test, items[:later_test]])
            train = np.concatenate([train, items[later_test : later_test + later_train]])
    in_test = np.zeros(len(labels), bool)
    in_test[test] = True
    database = np.where(~in_test)[0]
    if train_size is not None and len(train) < train_size:
        in_train = np.zeros(len(labels), bool)
        in_train[train] = True
        pick = database[~in_train[database]]
        pick = pick[rng.permutation(len(pick))]
        train = np.concatenate([train, pick[: train_size - len(train)]])
    return train.astype(np.int64), test.astype(np.int64), database.astype(np.int64)


class HDF5Images:
    """DCMH's `IAll` image stack in a MATLAB v7.3 (HDF5) file, read one item at a time.

    Each stored item is transposed with axes (2, 1, 0) to `(H, W, 3)` uint8, as the original.
    """

    def __init__(self, path: str | os.PathLike, key: str = "IAll"):
        import h5py

        if not os.path.exists(path):
            raise ValueError(f"{path}: image file not found.")
        self.path, self.key = path, key
        with h5py.File(path, "r") as handle:
            if key not in handle:
                raise ValueError(
                    f"{path}: missing key {key!r}; the file holds {sorted(handle.keys())}."
                )
            self.shape = handle[key].shape
        self._handle = None

    def __len__(self) -> int:
        return int(self.shape[0])

    def __getitem__(self, index: int) -> np.ndarray:
        import h5py

        if self._handle is None:
            self._handle = h5py.File(self.path, "r")
        return np.transpose(np.asarray(self._handle[self.key][int(index)]), (2, 1, 0))

    def __getstate__(self):
        return {"path": self.path, "key": self.key, "shape": self.shape, "_handle": None}


class ImageFiles:
    """Images read with OpenCV from a list of paths and converted BGR -> RGB (DJSRH's WIKI)."""

    def __init__(self, paths: Iterable[str]):
        self.paths = list(paths)

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> np.ndarray:
        import cv2

        path = self.paths[int(index)]
        image = cv2.imread(path)
        if image is None:
            raise ValueError(f"{path}: cannot read the image (item {index}).")
        return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def _djsrh_dcmh(label_path, text_path, image_path, dataset, seed, text_dim, text_via_h5py):
    labels = np.asarray(_read_mat(label_path, ["LAll"])["LAll"], dtype="float32")
    if text_via_h5py:
        import h5py

        if not os.path.exists(text_path):
            raise ValueError(f"{text_path}: file not found.")
        with h5py.File(text_path, "r") as handle:
            if "YAll" not in handle:
                raise ValueError(
                    f"{text_path}: missing key 'YAll'; the file holds {sorted(handle.keys())}."
                )
            texts = np.asarray(handle["YAll"]).T.astype("float32")
    else:
        texts = np.asarray(_read_mat(text_path, ["YAll"])["YAll"], dtype="float32")
    images = HDF5Images(image_path) if image_path is not None else None
    arrays = {"LAll": labels, "YAll": texts}
    if images is not None:
        arrays["IAll"] = images
    _check_rows(f"{label_path} / {text_path}", arrays)
    _check_text_dim(text_path, texts, text_dim)
    train, query, database = djsrh_split_indices(labels, dataset, seed)
    if images is None:
        images = np.zeros((len(labels), 0), "float32")
    return CrossModalData(
        dataset,
        _part(images, texts, labels, train),
        _part(images, texts, labels, query),
        _part(images, texts, labels, database),
    )


def load_djsrh_mirflickr(
    data_dir: str | os.PathLike,
    seed: int = 0,
    load_images: bool = True,
    text_dim: int | None = 1386,
) -> CrossModalData:
    """DJSRH's MIRFlickr: `mirflickr25k-{lall,yall,iall}.mat` (scipy labels/text, HDF5 images)."""
    join = os.path.join
    return _djsrh_dcmh(
        join(data_dir, "mirflickr25k-lall.mat"),
        join(data_dir, "mirflickr25k-yall.mat"),
        join(data_dir, "mirflickr25k-iall.mat") if load_images else None,
        "MIRFlickr",
        seed,
        text_dim,
        text_via_h5py=False,
    )


def load_djsrh_nuswide(
    data_dir: str | os.PathLike,
    seed: int = 0,
    load_images: bool = True,
    text_dim: int | None = 1000,
) -> CrossModalData:
    """DJSRH's NUS-WIDE TC10: scipy labels, `YAll` text via h5py (transposed), `IAll/` images."""
    join = os.path.join
    return _djsrh_dcmh(
        join(data_dir, "nus-wide-tc10-lall.mat"),
        join(data_dir, "nus-wide-tc10-yall.mat"),
        join(data_dir, "IAll", "nus-wide-tc10-iall.mat") if load_images else None,
        "NUSWIDE",
        seed,
        text_dim,
        text_via_h5py=True,
    )


def _read_wiki_list(path):
    if not os.path.exists(path):
        raise ValueError(f"{path}: list file not found.")
    names, classes = [], []
    with open(path) as handle:
        for number, line in enumerate(handle, start=1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) < 3:
                raise ValueError(
                    f"{path}:{number}: expected 'text image ... class', found {line.strip()!r}."
                )
            names.append(fields[1])
            classes.append(int(fields[-1]) - 1)
            if not 0 <= classes[-1] < len(WIKI_CATEGORIES):
                raise ValueError(
                    f"{path}:{number}: class {fields[-1]} is outside 1..{len(WIKI_CATEGORIES)}."
                )
    return names, np.asarray(classes)


def load_djsrh_wiki(
    data_dir: str | os.PathLike,
    image_dir: str | os.PathLike | None = None,
    feature_file: str = "raw_features.mat",
    train_list: str = "trainset_txt_img_cat.list",
    test_list: str = "testset_txt_img_cat.list",
) -> CrossModalData:
    """DJSRH's WIKI: `raw_features.mat` (`T_tr`, `T_te`), the two lists, `<category>/<name>.jpg`.

    Train = database = the 2,173 training pairs, query = the 693 test pairs; labels are one-hot.
    """
    image_dir = image_dir or os.path.join(data_dir, "images")
    feature_path = os.path.join(data_dir, feature_file)
    features = _read_mat(feature_path, ["T_tr", "T_te"])
    parts = {}
    for part, list_name, key in (("train", train_list, "T_tr"), ("query", test_list, "T_te")):
        list_path = os.path.join(data_dir, list_name)
        names, classes = _read_wiki_list(list_path)
        texts = np.asarray(features[key], "float32")
        labels = np.eye(len(WIKI_CATEGORIES), dtype="float32")[classes]
        _check_rows(f"{feature_path}[{key}] / {list_path}", {key: texts, "list": labels})
        paths = [
            os.path.join(image_dir, WIKI_CATEGORIES[c], f"{n}.jpg") for n, c in zip(names, classes)
        ]
        parts[part] = CrossModalPart(ImageFiles(paths), texts, labels, np.arange(len(labels)))
    return CrossModalData("WIKI", parts["train"], parts["query"], parts["train"])


def two_view_fashion_mnist(
    split: FashionMNISTSplit | None = None, data_dir: str | os.PathLike | None = None
) -> CrossModalData:
    """Two views of Fashion-MNIST: the top half (rows 0-13) and the bottom half (rows 14-27).

    The "image" view is the top half and the "text" view the bottom half, each flattened to 392
    values in [0, 1]; labels are the one-hot classes. Train, query and database follow the protocol
    split of `shared/benchmark_protocol.md` (from `load_fashion_mnist`).

    Args:
        split: optional result of `keras_hashing.data.fashion_mnist.load_fashion_mnist`.
        data_dir: IDX folder when `split` is None.

    Returns:
        `CrossModalData` named "fashion_mnist_two_view".
    """
    if split is None:
        from keras_hashing.data.fashion_mnist import load_fashion_mnist

        split = load_fashion_mnist(data_dir)

    def part(images, labels, indices):
        images = np.asarray(images)
        if images.ndim != 3 or images.shape[1:] != (28, 28):
            raise ValueError(
                f"two_view_fashion_mnist: expected (N, 28, 28) images, found {images.shape}."
            )
        scaled = images.astype("float32") / 255.0
        top = scaled[:, :14, :].reshape(len(scaled), -1)
        bottom = scaled[:, 14:, :].reshape(len(scaled), -1)
        return CrossModalPart(
            top,
            bottom,
            np.asarray(labels, "float32"),
            np.asarray(indices if indices is not None else np.arange(len(images))),
        )

    return CrossModalData(
        "fashion_mnist_two_view",
        part(split.train_images, split.train_labels, getattr(split, "train_ids", None)),
        part(split.query_images, split.query_labels, getattr(split, "query_ids", None)),
        part(split.database_images, split.database_labels, getattr(split, "database_ids", None)),
    )


def imagenet_transform(images: tf.Tensor, training: bool, seed: int | None = None) -> tf.Tensor:
    """torchvision's `Resize(256)` then `RandomCrop(224)` + flip (training) or `CenterCrop(224)`,
    then ImageNet normalisation, on a uint8 RGB batch `(B, H, W, 3)` (a `tf.Tensor`)."""
    import tensorflow as tf

    images = tf.cast(images, tf.float32)
    height, width = tf.shape(images)[1], tf.shape(images)[2]
    scale = 256.0 / tf.cast(tf.minimum(height, width), tf.float32)
    size = tf.cast(tf.round(tf.cast(tf.stack([height, width]), tf.float32) * scale), tf.int32)
    images = tf.image.resize(images, size, method="bilinear", antialias=True)
    if training:
        images = tf.image.random_flip_left_right(images, seed=seed)
        images = tf.image.random_crop(
            images, tf.stack([tf.shape(images)[0], 224, 224, 3]), seed=seed
        )
    else:
        top = (size[0] - 224) // 2
        left = (size[1] - 224) // 2
        images = images[:, top : top + 224, left : left + 224, :]
    return (images / 255.0 - IMAGENET_MEAN) / IMAGENET_STD


def paired_dataset(
    part: CrossModalPart,
    batch_size: int,
    training: bool,
    shuffle_seed: int | None = None,
    with_index: bool = False,
    drop_remainder: bool | None = None,
    image_transform: Callable[[tf.Tensor, bool], tf.Tensor] | None = None,
    modalities: Sequence[str] = ("image", "text"),
    with_labels: bool = True,
) -> tf.data.Dataset:
    """`tf.data` of `({"image": ..., "text": ...[, "index": ...]}, labels)` batches of one part.

    Args:
        part: a `CrossModalPart`.
        batch_size: int.
        training: shuffle every epoch (seeded by `shuffle_seed`).
        shuffle_seed: optional int.
        with_index: add the position in the part (DADH's buffers and `B` rows).
        drop_remainder: default `training` is not used; None keeps the last partial batch
            (DADH), True drops it (DJSRH's `drop_last`).
        image_transform: optional `fn(batch, training) -> batch` applied to image batches
            (e.g. `imagenet_transform` for lazily read uint8 images).
        modalities: which inputs to include.
        with_labels: yield `(inputs, labels)` (True) or `inputs` only.

    Returns:
        `tf.data.Dataset`.
    """
    import tensorflow as tf

    batch_size = validation.positive_int("batch_size", batch_size, "paired_dataset")
    unknown = set(modalities) - {"image", "text"}
    if unknown or not modalities:
        raise ValueError(
            f"`modalities` must be a non-empty subset of ('image', 'text'), found {modalities!r}."
        )
    count = len(part)
    positions = tf.data.Dataset.range(count)
    if training:
        positions = positions.shuffle(count, seed=shuffle_seed, reshuffle_each_iteration=True)
    positions = positions.batch(int(batch_size), drop_remainder=bool(drop_remainder))
    texts = tf.constant(part.texts)
    labels = tf.constant(part.labels)
    lazy = not isinstance(part.images, np.ndarray)
    if "image" in modalities and lazy:
        example = np.asarray(part.images[0])

        def read(batch_positions):
            return np.stack([np.asarray(part.images[int(p)]) for p in batch_positions])

        def load_images(batch_positions):
            images = tf.numpy_function(read, [batch_positions], tf.as_dtype(example.dtype))
            return tf.ensure_shape(images, (None,) + example.shape)
    elif "image" in modalities:
        images_constant = tf.constant(part.images)

        def load_images(batch_positions):
            return tf.gather(images_constant, batch_positions)

    def assemble(batch_positions):
        inputs = {}
        if "image" in modalities:
            images = load_images(batch_positions)
            if image_transform is not None:
                images = image_transform(images, training)
            inputs["image"] = images
        if "text" in modalities:
            inputs["text"] = tf.gather(texts, batch_positions)
        if with_index:
            inputs["index"] = batch_positions
        return (inputs, tf.gather(labels, batch_positions)) if with_labels else inputs

    return positions.map(assemble, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)
