"""DRSH's data path: HDF5 feature/attribute files keyed by image id, membership files, triplets.

frankenstan/DRSH (`train.py::run`; `preprocess/e_x.py`, `preprocess/transfer.py`) keeps

* a feature file (`NUSF.h5`): one dataset per image id, float[4096] (VGG fc7);
* an attribute file (`NUSGlove.h5`): one dataset per image id, float[10, 300] (the GloVe vectors of
  the image's top-10 concepts, stacked in vocabulary order);
* two membership files: `imageclas.h5` (one group per image id whose member names are its
  categories) and `class.h5` (one group per category whose member names are its image ids);
* train/test id lists (`truetrainid.npy`, `truetestid.npy`).

Triplets are drawn per anchor as the original does: the positive from a random category of the
anchor (any member but the anchor that is not a test id), the negative from a random category of
the negative list less the anchor's categories (any member that is not a test id).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence

import h5py
import numpy as np
import numpy.typing as npt
import tensorflow as tf

from keras_hashing import validation

# train.py's hard-coded negative categories (not the usual NUS-WIDE top-21 list).
NUS_NEGATIVE_CATEGORIES = (
    "animal",
    "beach",
    "bridge",
    "cat",
    "clouds",
    "flowers",
    "grass",
    "house",
    "lake",
    "mountain",
    "ocean",
    "reflection",
    "sand",
    "sky",
    "snow",
    "street",
    "sun",
    "sunset",
    "tree",
    "water",
    "window",
)


def _as_id(value):
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, (np.integer, int)):
        return str(int(value))
    return str(value)


def read_ids(path: str | os.PathLike) -> list[str]:
    """Reads an id list: a `.npy` array (unicode, bytes or ints) or a text file, one id a line.

    Returns:
        list of str.
    """
    path = os.path.expanduser(os.fspath(path))
    if not os.path.isfile(path):
        raise ValueError(f"Id list {path} does not exist.")
    if path.endswith(".npy"):
        return [_as_id(v) for v in np.load(path, allow_pickle=False).ravel()]
    with open(path, encoding="utf-8") as handle:
        return [line.strip() for line in handle if line.strip()]


def write_ids(path: str | os.PathLike, ids: Iterable[str | bytes | int]) -> None:
    """Writes ids as a unicode `.npy` array (the layout of `truetrainid.npy`)."""
    np.save(os.fspath(path), np.asarray([_as_id(i) for i in ids], dtype=np.str_))


def _missing_message(kind, source, missing, total, count):
    shown = ", ".join(repr(m) for m in missing[:5])
    more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
    return (
        f"{kind} {source} has no entry for {len(missing)} of the {total} requested ids: "
        f"{shown}{more} (the file holds {count} entries)."
    )


class _Entries:
    """Shared lookups of `H5Entries` and `ArrayEntries`."""

    kind = "entries"
    source = "?"
    shape = None

    def __contains__(self, key):
        return _as_id(key) in self.key_set

    def __len__(self):
        return len(self.key_set)

    def check_ids(self, ids: Iterable[str | bytes | int]) -> None:
        """Raise a `ValueError` naming the file and the ids it lacks."""
        ids = [_as_id(i) for i in ids]
        missing = [i for i in ids if i not in self.key_set]
        if missing:
            raise ValueError(_missing_message(self.kind, self.source, missing, len(ids), len(self)))

    def gather(self, ids: Iterable[str | bytes | int]) -> np.ndarray:
        """float32 array `(len(ids),) + shape`, in the order of `ids`."""
        ids = [_as_id(i) for i in ids]
        self.check_ids(ids)
        if not ids:
            return np.zeros((0,) + tuple(self.shape or ()), np.float32)
        return np.stack([self.get(i) for i in ids])


class H5Entries(_Entries):
    """One float array per image id in an HDF5 file (DRSH's `NUSF.h5` / `NUSGlove.h5` layout).

    Args:
        path: str, the HDF5 file (one dataset per id at the root).
        kind: str, "feature file" or "attribute file", for messages.
        expected_shape: optional tuple, the shape every entry must have (checked on read).

    Example:
        >>> features = H5Entries("NUSF.h5", "feature file", (4096,))  # doctest: +SKIP
        >>> features.gather(["1000073212"]).shape  # doctest: +SKIP
        (1, 4096)
    """

    def __init__(
        self,
        path: str | os.PathLike,
        kind: str = "feature file",
        expected_shape: Sequence[int] | None = None,
    ):
        self.source = os.path.expanduser(os.fspath(path))
        if not os.path.isfile(self.source):
            raise ValueError(f"{kind} {self.source} does not exist.")
        self.kind = kind
        self._file = h5py.File(self.source, "r")
        self.keys = list(self._file.keys())
        self.key_set = set(self.keys)
        if not self.keys:
            raise ValueError(f"{kind} {self.source} holds no entries.")
        first = self._file[self.keys[0]]
        if not isinstance(first, h5py.Dataset):
            raise ValueError(
                f"{kind} {self.source}: entry {self.keys[0]!r} is a group, expected a "
                "dataset of floats."
            )
        self.shape = tuple(expected_shape) if expected_shape is not None else tuple(first.shape)

    def get(self, key: str | bytes | int) -> np.ndarray:
        key = _as_id(key)
        if key not in self.key_set:
            raise ValueError(_missing_message(self.kind, self.source, [key], 1, len(self)))
        value = np.asarray(self._file[key][()], dtype=np.float32)
        if value.shape != self.shape:
            raise ValueError(
                f"{self.kind} {self.source}: entry {key!r} has shape {value.shape}, "
                f"expected {self.shape}."
            )
        return value

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> H5Entries:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ArrayEntries(_Entries):
    """In-memory `H5Entries`: rows of `values` keyed by `ids` (for data already in arrays)."""

    def __init__(
        self, ids: Iterable[str | bytes | int], values: npt.ArrayLike, kind: str = "feature array"
    ):
        self.ids = [_as_id(i) for i in ids]
        self.values = np.asarray(values, dtype=np.float32)
        if len(self.ids) != len(self.values):
            raise ValueError(f"{kind}: {len(self.ids)} ids but {len(self.values)} rows.")
        self.kind, self.source = kind, "(in memory)"
        self.key_set = {key: row for row, key in enumerate(self.ids)}
        if len(self.key_set) != len(self.ids):
            raise ValueError(f"{kind}: ids are not unique.")
        self.shape = tuple(self.values.shape[1:])

    def get(self, key: str | bytes | int) -> np.ndarray:
        key = _as_id(key)
        if key not in self.key_set:
            raise ValueError(_missing_message(self.kind, self.source, [key], 1, len(self)))
        return self.values[self.key_set[key]]

    def gather(self, ids: Iterable[str | bytes | int]) -> np.ndarray:
        ids = [_as_id(i) for i in ids]
        self.check_ids(ids)
        return self.values[[self.key_set[i] for i in ids]]


def write_h5_entries(
    path: str | os.PathLike, ids: Iterable[str | bytes | int], values: npt.ArrayLike
) -> None:
    """Writes one dataset per id (`values[i]` under key `ids[i]`), the layout `H5Entries` reads."""
    values = np.asarray(values, dtype=np.float32)
    ids = [_as_id(i) for i in ids]
    if len(ids) != len(values):
        raise ValueError(f"write_h5_entries({path}): {len(ids)} ids but {len(values)} rows.")
    with h5py.File(os.fspath(path), "w") as handle:
        for key, value in zip(ids, values):
            handle.create_dataset(key, data=value)


# ----------------------------------------------------------------------------- membership files


class Membership:
    """Image <-> category membership (`imageclas.h5` and `class.h5` of the original).

    Attributes:
        image_categories: dict id -> list of category names (file order).
        category_images: dict category -> list of ids (file order).
    """

    def __init__(
        self,
        image_categories: Mapping[str | bytes | int, Iterable[str]],
        category_images: Mapping[str, Iterable[str | bytes | int]],
    ):
        self.image_categories = {
            _as_id(k): [str(c) for c in v] for k, v in image_categories.items()
        }
        self.category_images = {str(k): [_as_id(i) for i in v] for k, v in category_images.items()}

    @classmethod
    def from_labels(
        cls, ids: Iterable[str | bytes | int], labels: npt.ArrayLike, category_names: Sequence[str]
    ) -> Membership:
        """Builds both maps from a multi-hot `(N, C)` label matrix."""
        labels = np.asarray(labels)
        ids = [_as_id(i) for i in ids]
        if labels.ndim != 2 or labels.shape != (len(ids), len(category_names)):
            raise ValueError(
                f"Membership.from_labels: labels must be ({len(ids)}, "
                f"{len(category_names)}), found {labels.shape}."
            )
        image_categories = {
            i: [category_names[c] for c in np.flatnonzero(row)] for i, row in zip(ids, labels)
        }
        category_images = {
            name: [ids[r] for r in np.flatnonzero(labels[:, c])]
            for c, name in enumerate(category_names)
        }
        return cls(image_categories, category_images)

    def write(
        self,
        image_categories_path: str | os.PathLike,
        category_images_path: str | os.PathLike,
    ) -> None:
        """Writes `imageclas.h5` (group per id, member per category) and `class.h5`."""
        for path, mapping in (
            (image_categories_path, self.image_categories),
            (category_images_path, self.category_images),
        ):
            with h5py.File(os.fspath(path), "w") as handle:
                for key, members in mapping.items():
                    group = handle.create_group(_h5_name(key, path))
                    for member in members:
                        group.create_group(_h5_name(member, path))


def _h5_name(name, path):
    if "/" in name or name in (".", ""):
        raise ValueError(
            f"{path}: {name!r} cannot be an HDF5 member name (it contains '/' or is empty)."
        )
    return name


def load_membership(
    image_categories_path: str | os.PathLike, category_images_path: str | os.PathLike
) -> Membership:
    """Reads the two membership files; the member *names* carry the information.

    Returns:
        A `Membership`.
    """
    maps = []
    for path in (image_categories_path, category_images_path):
        path = os.path.expanduser(os.fspath(path))
        if not os.path.isfile(path):
            raise ValueError(f"Membership file {path} does not exist.")
        with h5py.File(path, "r") as handle:
            mapping = {}
            for key in handle.keys():
                entry = handle[key]
                if not isinstance(entry, h5py.Group):
                    raise ValueError(
                        f"Membership file {path}: entry {key!r} must be a group whose "
                        "member names are the related ids/categories, found a dataset."
                    )
                mapping[key] = list(entry.keys())
            maps.append(mapping)
    return Membership(*maps)


# ----------------------------------------------------------------------------- triplets


class DRSHTripletSampler:
    """Draws (anchor, positive, negative) ids with the rules of DRSH's `train.py::run`.

    * Anchors: the training ids in a fresh random permutation every epoch.
    * Positive: one of the anchor's categories chosen at random, then a random member of it that
      is neither the anchor nor a test id.
    * Negative: the negative-category list less every category of the anchor, one of the rest at
      random, then a random member of it that is not a test id. As in the original the negative
      may share another category with the anchor; `strict_negatives=True` (a deviation) redraws
      until it shares none.

    A uniformly drawn valid member is what the original's "shuffle, take the first valid" gives.

    Args:
        membership: a `Membership`.
        train_ids: the anchor ids (each must appear in `membership.image_categories`).
        test_ids: ids never drawn as positives or negatives.
        negative_categories: the negative list; default: every category of the membership
            (`NUS_NEGATIVE_CATEGORIES` for the original's NUS-WIDE files). An anchor category
            outside
            the list raises a `ValueError`, as the original's `list.remove` does.
        strict_negatives: bool, default False.
        seed: int or None, default 0.

    Example:
        >>> sampler = DRSHTripletSampler(membership, train_ids, test_ids)  # doctest: +SKIP
        >>> anchor, positive, negative = sampler.sample(train_ids[0])  # doctest: +SKIP
    """

    def __init__(
        self,
        membership: Membership,
        train_ids: Iterable[str | bytes | int],
        test_ids: Iterable[str | bytes | int] = (),
        negative_categories: Iterable[str] | None = None,
        strict_negatives: bool = False,
        seed: int | None = 0,
    ):
        self.membership = membership
        self.train_ids = [_as_id(i) for i in train_ids]
        if not self.train_ids:
            raise ValueError("DRSHTripletSampler: `train_ids` is empty.")
        self.test_ids = {_as_id(i) for i in test_ids}
        if negative_categories is None:
            negative_categories = sorted(membership.category_images)
        self.negative_categories = [str(c) for c in negative_categories]
        unknown = [c for c in self.negative_categories if c not in membership.category_images]
        if unknown:
            raise ValueError(
                f"DRSHTripletSampler: negative categories {unknown} are not in the category file."
            )
        self.strict_negatives = bool(strict_negatives)
        self.rng = np.random.default_rng(seed)
        for anchor in self.train_ids:
            if not membership.image_categories.get(anchor):
                raise ValueError(
                    f"DRSHTripletSampler: training id {anchor!r} has no category in the "
                    "image-category file."
                )

    def _draw(self, members, valid):
        for _ in range(64):  # rejection first: the valid members are usually most of them
            candidate = members[int(self.rng.integers(len(members)))]
            if valid(candidate):
                return candidate
        pool = [m for m in members if valid(m)]
        return pool[int(self.rng.integers(len(pool)))] if pool else None

    def sample(self, anchor: str | bytes | int) -> tuple[str, str, str]:
        """`(anchor, positive, negative)` ids for one anchor."""
        anchor = _as_id(anchor)
        categories = self.membership.image_categories[anchor]
        category = categories[int(self.rng.integers(len(categories)))]
        positive = self._draw(
            self.membership.category_images[category],
            lambda i: i != anchor and i not in self.test_ids,
        )
        if positive is None:
            raise ValueError(
                f"DRSHTripletSampler: category {category!r} of anchor {anchor!r} has no "
                "other member outside the test ids to serve as a positive."
            )
        outside = [c for c in categories if c not in self.negative_categories]
        if outside:
            raise ValueError(
                f"DRSHTripletSampler: anchor {anchor!r} has categories {outside} that "
                f"are not in the negative-category list {self.negative_categories}."
            )
        remaining = [c for c in self.negative_categories if c not in categories]
        if not remaining:
            raise ValueError(
                f"DRSHTripletSampler: anchor {anchor!r} belongs to every negative "
                "category; no negative can be drawn."
            )
        anchor_categories = set(categories)

        def valid(i):
            if i in self.test_ids:
                return False
            if self.strict_negatives:
                return not anchor_categories.intersection(
                    self.membership.image_categories.get(i, ())
                )
            return True

        order = (
            list(self.rng.permutation(len(remaining)))
            if self.strict_negatives
            else [int(self.rng.integers(len(remaining)))]
        )
        for index in order:  # the original tries one category; strict mode moves on if it must
            negative = self._draw(self.membership.category_images[remaining[index]], valid)
            if negative is not None:
                return anchor, positive, negative
        raise ValueError(
            f"DRSHTripletSampler: no valid negative for anchor {anchor!r} "
            f"(strict_negatives={self.strict_negatives})."
        )

    def epoch(self) -> Iterator[tuple[str, str, str]]:
        """One epoch of triplets: every training id once, in a fresh random order."""
        for index in self.rng.permutation(len(self.train_ids)):
            yield self.sample(self.train_ids[index])

    def candidate_ids(self) -> list[str]:
        """Every id that can be drawn as anchor, positive or negative."""
        ids = set(self.train_ids)
        for members in self.membership.category_images.values():
            ids.update(i for i in members if i not in self.test_ids)
        return sorted(ids)


def drsh_triplet_dataset(
    features: H5Entries | ArrayEntries,
    attributes: H5Entries | ArrayEntries,
    sampler: DRSHTripletSampler,
    batch_size: int = 1,
    epochs: int | None = None,
    check: bool = True,
) -> tf.data.Dataset:
    """A `tf.data.Dataset` of DRSH triplet batches (the dict `DRSH.fit` expects).

    Each element is `{"features", "attributes", "positive_features", "positive_attributes",
    "negative_features", "negative_attributes"}` with float32 `(B, D)` / `(B, S, E)` values.
    Batches are whole (`drop_remainder`), so the batch size is static (faithful mode checks it).

    Args:
        features: `H5Entries` or `ArrayEntries` of visual features.
        attributes: `H5Entries` or `ArrayEntries` of attribute matrices.
        sampler: a `DRSHTripletSampler`.
        batch_size: int, default 1 (the original).
        epochs: int or None (default: endless; pair with `steps_per_epoch`).
        check: bool, default True: before anything is drawn, raise a `ValueError` naming the file
            and the ids it lacks when any id the sampler can draw is missing from either file.

    Returns:
        A `tf.data.Dataset`.
    """
    batch_size = validation.positive_int("batch_size", batch_size, "drsh_triplet_dataset")
    if check:
        candidates = sampler.candidate_ids()
        features.check_ids(candidates)
        attributes.check_ids(candidates)
    feature_shape = tuple(features.shape)
    attribute_shape = tuple(attributes.shape)
    if len(feature_shape) != 1 or len(attribute_shape) != 2:
        raise ValueError(
            f"drsh_triplet_dataset: features must be (D,) and attributes (S, E) per id, "
            f"found {feature_shape} and {attribute_shape}."
        )

    def generate():
        done = 0
        while epochs is None or done < epochs:
            for triplet in sampler.epoch():
                out = {}
                for prefix, key in zip(("", "positive_", "negative_"), triplet):
                    out[prefix + "features"] = features.get(key)
                    out[prefix + "attributes"] = attributes.get(key)
                yield out
            done += 1

    signature = {}
    for prefix in ("", "positive_", "negative_"):
        signature[prefix + "features"] = tf.TensorSpec(feature_shape, tf.float32)
        signature[prefix + "attributes"] = tf.TensorSpec(attribute_shape, tf.float32)
    dataset = tf.data.Dataset.from_generator(generate, output_signature=signature)
    return dataset.batch(int(batch_size), drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def id_dataset(
    features: H5Entries | ArrayEntries,
    attributes: H5Entries | ArrayEntries,
    ids: Iterable[str | bytes | int],
    batch_size: int = 256,
) -> tf.data.Dataset:
    """A `tf.data.Dataset` of `{"features", "attributes"}` batches for `ids`, in order."""
    ids = [_as_id(i) for i in ids]
    features.check_ids(ids)
    attributes.check_ids(ids)
    return tf.data.Dataset.from_tensor_slices(
        {"features": features.gather(ids), "attributes": attributes.gather(ids)}
    ).batch(batch_size)


# ----------------------------------------------------------------------------- attribute matrices


def top_k_vocabulary_order(scores: npt.ArrayLike, k: int = 10) -> np.ndarray:
    """Indices of the `k` highest scores, in ascending (vocabulary) order, as `e_x.py` stacks them.

    The original ranks with `argsort().argsort()` (NumPy's default, unstable); here ties are
    broken by a stable sort (lower vocabulary index ranks lower).

    Args:
        scores: `(V,)` or `(N, V)` per-concept scores.
        k: int, default 10.

    Returns:
        int64 `(k,)` or `(N, k)`, each row ascending.
    """
    scores = np.asarray(scores)
    single = scores.ndim == 1
    scores = np.atleast_2d(scores)
    k = validation.int_in_range("k", k, 1, scores.shape[1], "top_k_vocabulary_order")
    ranks = np.argsort(np.argsort(scores, axis=1, kind="stable"), axis=1, kind="stable")
    top = np.sort(np.nonzero(ranks >= scores.shape[1] - k)[1].reshape(len(scores), k), axis=1)
    return top[0] if single else top


def attribute_matrices(
    scores: npt.ArrayLike, word_vectors: npt.ArrayLike, k: int = 10
) -> np.ndarray:
    """`(N, k, d)` word vectors of each row's top-`k` concepts, stacked in vocabulary order.

    Args:
        scores: `(N, V)` concept scores.
        word_vectors: `(V, d)` vectors of the vocabulary, in vocabulary order.
        k: int, default 10.
    """
    word_vectors = np.asarray(word_vectors, dtype=np.float32)
    scores = np.atleast_2d(np.asarray(scores))
    if word_vectors.ndim != 2 or word_vectors.shape[0] != scores.shape[1]:
        raise ValueError(
            f"attribute_matrices: word vectors must be ({scores.shape[1]}, d) for a "
            f"{scores.shape[1]}-word vocabulary, found {word_vectors.shape}."
        )
    return word_vectors[top_k_vocabulary_order(scores, k)]


def read_vocabulary(path: str | os.PathLike, key: str = "all_label") -> list[str]:
    """A vocabulary list from a JSON file (a list, or a dict with it under `key`) or a text file."""
    path = os.path.expanduser(os.fspath(path))
    if not os.path.isfile(path):
        raise ValueError(f"Vocabulary file {path} does not exist.")
    if path.endswith(".json"):
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        if isinstance(data, dict):
            if key not in data:
                raise ValueError(
                    f"Vocabulary file {path}: no key {key!r} (found {sorted(data)[:10]})."
                )
            data = data[key]
        return [str(w) for w in data]
    with open(path, encoding="utf-8") as handle:
        return [line.strip() for line in handle if line.strip()]


def remap_keys(
    source_path: str | os.PathLike, out_path: str | os.PathLike, ids: Iterable[str | bytes | int]
) -> int:
    """`transfer.py`: the k-th key of `source_path` (h5py order) becomes `ids[k]`; repeats skipped.

    Returns:
        int, the number of entries written.
    """
    ids = [_as_id(i) for i in ids]
    seen = set()
    with (
        h5py.File(os.fspath(source_path), "r") as source,
        h5py.File(os.fspath(out_path), "w") as out,
    ):
        keys = list(source.keys())
        if len(ids) < len(keys):
            raise ValueError(
                f"remap_keys: {source_path} has {len(keys)} entries but the id list "
                f"has only {len(ids)}."
            )
        for key, new_key in zip(keys, ids):
            if new_key in seen:
                continue
            seen.add(new_key)
            out.create_dataset(new_key, data=source[key][()])
    return len(seen)


# ----------------------------------------------------------------------------- prepared folders

# File names of a prepared DRSH folder (data/drsh/prepare_*.py), by role.
DRSH_FILES = {
    "features": "features.h5",
    "attributes": "attributes.h5",
    "image_categories": "imageclas.h5",
    "category_images": "class.h5",
    "train_ids": "trainid.npy",
    "test_ids": "testid.npy",
    "database_ids": "databaseid.npy",
}
_ID_FILES = {"train": "train_ids", "query": "test_ids", "database": "database_ids"}


def feature_normalisation(
    train_features: npt.ArrayLike, feature_norm: float | None = None, centre: bool = True
) -> tuple[np.ndarray, np.float32]:
    """`(mean, scale)` of the map `features -> (features - mean) * scale` fitted on training rows.

    DRSH's bits are `sign(x W + b)` and its triplet loss hardly moves `b` (it cancels in the
    distances), so uncentred features give unbalanced bits; and its margin (2) and divisor (32)
    are absolute numbers set for VGG fc7 magnitudes (frankenstan/DRSH `train.py`), so a feature
    far smaller or larger than that spends the training rescaling `W`. One factor for every
    feature keeps the geometry (ITQ and Hamming ranking of a linear projection are unchanged).

    Args:
        train_features: `(N, D)` training features.
        feature_norm: float or None (default): the mean L2 norm of the (centred) training
            features after scaling; None keeps the scale (1).
        centre: bool, default True: subtract the training mean (else `mean` is zeros).

    Returns:
        `(mean float32 (D,), scale float32)`.

    Example:
    >>> mean, scale = feature_normalisation(np.array([[0.0, 0.0], [6.0, 8.0]]), 10.0)
    >>> mean.tolist(), float(scale)
    ([3.0, 4.0], 2.0)
    """
    train_features = np.asarray(train_features, np.float32)
    if train_features.ndim != 2 or not len(train_features):
        raise ValueError(
            f"feature_normalisation: training features must be (N, D) with N > 0, found "
            f"{train_features.shape}."
        )
    mean = train_features.mean(axis=0) if centre else np.zeros(train_features.shape[1], np.float32)
    scale = 1.0
    if feature_norm is not None:
        if isinstance(feature_norm, bool) or not float(feature_norm) > 0:
            raise ValueError(f"`feature_norm` must be positive, found {feature_norm!r}.")
        mean_norm = float(np.linalg.norm(train_features - mean, axis=1).mean())
        if not mean_norm > 0:
            raise ValueError("feature_normalisation: the training features are all equal.")
        scale = float(feature_norm) / mean_norm
    return mean.astype(np.float32), np.float32(scale)


def write_drsh_files(
    out_dir: str | os.PathLike,
    parts: Mapping[str, tuple],
    class_names: Sequence[str],
) -> dict[str, str]:
    """Writes a prepared DRSH folder: `DRSH_FILES`, the layout `DRSHRecipe` reads.

    Args:
        out_dir: str, the folder (made if missing).
        parts: `{"train" | "query" | "database": (ids, features (N, D), attributes (N, S, E),
            labels (N, C))}`; "train" and "query" are required. An id in several parts (the
            training images of a database that holds them) is written once, from its first part.
        class_names: the `C` category names of the label columns.

    Returns:
        `{role: path}` of the files written (no "database_ids" without a "database" part).
    """
    missing = [part for part in ("train", "query") if part not in parts]
    unknown = sorted(set(parts) - set(_ID_FILES))
    if missing or unknown:
        raise ValueError(
            f"write_drsh_files: parts must be train, query and optionally database; "
            f"missing {missing}, unknown {unknown}."
        )
    out_dir = os.path.expanduser(os.fspath(out_dir))
    os.makedirs(out_dir, exist_ok=True)
    order = [part for part in ("train", "query", "database") if part in parts]
    ids, features, attributes, labels, seen = [], [], [], [], set()
    for part in order:
        part_ids, part_features, part_attributes, part_labels = parts[part]
        for row, key in enumerate(part_ids):
            key = _as_id(key)
            if key in seen:
                continue
            seen.add(key)
            ids.append(key)
            features.append(part_features[row])
            attributes.append(part_attributes[row])
            labels.append(part_labels[row])
    paths = {role: os.path.join(out_dir, name) for role, name in DRSH_FILES.items()}
    write_h5_entries(paths["features"], ids, np.stack(features))
    write_h5_entries(paths["attributes"], ids, np.stack(attributes))
    Membership.from_labels(ids, np.stack(labels), list(class_names)).write(
        paths["image_categories"], paths["category_images"]
    )
    for part, role in _ID_FILES.items():
        if part in parts:
            write_ids(paths[role], parts[part][0])
        else:
            paths.pop(role)
    return paths


def read_drsh_files(directory: str | os.PathLike) -> dict:
    """Reads a folder written by `write_drsh_files` back into arrays.

    Returns:
        dict with `class_names` (the categories, sorted, as the membership file lists them) and,
        for each part among train/query/database whose id file exists: `<part>_ids` (str),
        `<part>_features (N, D)`, `<part>_attributes (N, S, E)`, `<part>_labels (N, C)`
        (multi-hot float32 in `class_names` order).

    Raises:
        ValueError: a file is missing, or an id has no feature, attribute or category entry.
    """
    directory = os.path.expanduser(os.fspath(directory))
    path = {role: os.path.join(directory, name) for role, name in DRSH_FILES.items()}
    membership = load_membership(path["image_categories"], path["category_images"])
    class_names = sorted(membership.category_images)
    column = {name: j for j, name in enumerate(class_names)}
    out = {"class_names": class_names}
    with (
        H5Entries(path["features"], "feature file") as features,
        H5Entries(path["attributes"], "attribute file") as attributes,
    ):
        for part, role in _ID_FILES.items():
            if part == "database" and not os.path.isfile(path[role]):
                continue
            ids = read_ids(path[role])
            labels = np.zeros((len(ids), len(class_names)), np.float32)
            for row, key in enumerate(ids):
                if key not in membership.image_categories:
                    raise ValueError(
                        f"{path['image_categories']}: id {key!r} of {path[role]} has no entry."
                    )
                labels[row, [column[c] for c in membership.image_categories[key]]] = 1.0
            out[f"{part}_ids"] = ids
            out[f"{part}_features"] = features.gather(ids)
            out[f"{part}_attributes"] = attributes.gather(ids)
            out[f"{part}_labels"] = labels
    return out
