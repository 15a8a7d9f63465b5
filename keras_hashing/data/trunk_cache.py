"""A frozen lower network's outputs, computed once per image (and per augmented view) on disk.

Fine-tuning a whole ImageNet network for thousands of steps does not fit on a few CPU cores,
but most of its cost sits in the first, high-resolution blocks. `TrunkCache` runs those blocks
(the *trunk*, frozen) once over every image of a benchmark, several augmented views per
training image, and stores the feature maps as float16 `.npy` files. The upper blocks and the
hash layer are then trained on the cached maps with the method's own loss, and every method and
bit length reuses the same cache. This is a departure from the originals, which fine-tune every
layer on every step; training the whole network instead needs only the images and a GPU.

The views follow thulab/DeepHash's image pipeline (`DeepHash/data_provider/image.py`): resize
to `resize_size` (256 for a 224 input), then a `image_size` crop, centred for view 0 and for
every query and database image, random with a random horizontal flip for the other training
views.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import TYPE_CHECKING
from typing import Callable
from typing import Mapping
from typing import Sequence

import cv2
import numpy as np
import numpy.typing as npt

from keras_hashing import validation
from keras_hashing.data.image_list import load_image

if TYPE_CHECKING:
    import tensorflow as tf

MANIFEST = "manifest.json"
CHUNK = 256  # images per write; the manifest records progress after each chunk


def crop_views(
    image: np.ndarray, num_views: int, image_size: int, rng: np.random.Generator
) -> np.ndarray:
    """`num_views` crops of one resized image: view 0 centred, the others random and maybe
    flipped left-right.

    Args:
        image: array `(S, S, C)`, already resized to the side `S >= image_size`.
        num_views: int >= 1.
        image_size: int, the side of each crop.
        rng: a `numpy.random.Generator` for the random crops and flips.

    Returns:
        array `(num_views, image_size, image_size, C)` of `image`'s dtype.
    """
    side = image.shape[0]
    if image.shape[1] != side or side < image_size:
        raise ValueError(
            f"crop_views: the image must be square and at least {image_size} pixels, "
            f"found shape {image.shape}."
        )
    margin = side - image_size
    centre = margin // 2
    views = np.empty((num_views, image_size, image_size, image.shape[2]), image.dtype)
    views[0] = image[centre : centre + image_size, centre : centre + image_size]
    for view in range(1, num_views):
        top, left = rng.integers(0, margin + 1, size=2)
        crop = image[top : top + image_size, left : left + image_size]
        views[view] = crop[:, ::-1] if rng.random() < 0.5 else crop
    return views


def _digest(paths: Sequence[str], labels: np.ndarray) -> str:
    hasher = hashlib.sha256()
    for path in paths:
        hasher.update(os.fspath(path).encode() + b"\n")
    hasher.update(np.ascontiguousarray(labels, dtype=np.float32).tobytes())
    return hasher.hexdigest()[:16]


def _write_json(path: str, payload: dict) -> None:
    temporary = path + ".tmp"
    with open(temporary, "w") as handle:
        json.dump(payload, handle, indent=1)
    os.replace(temporary, path)


def _open_manifest(directory, settings, entries, where):
    """A new manifest, or the one in `directory` when it was made with the same arguments."""
    manifest_path = os.path.join(directory, MANIFEST)
    manifest = {"settings": settings, "splits": entries, "feature_shape": None}
    if not os.path.exists(manifest_path):
        return manifest
    with open(manifest_path) as handle:
        previous = json.load(handle)

    def fixed(splits):
        return {n: {k: v for k, v in e.items() if k != "done"} for n, e in splits.items()}

    if previous["settings"] != settings or fixed(previous["splits"]) != fixed(entries):
        raise ValueError(
            f"{where}: {manifest_path} was made with other settings or image lists "
            f"({previous['settings']}); use another directory or delete it."
        )
    return previous


def _fill(directory, manifest, inputs_of, trunk, batch_size, verbose):
    """Runs `trunk` over every split's unfinished chunks, recording progress after each."""
    from keras.utils import Progbar

    manifest_path = os.path.join(directory, MANIFEST)
    for split_index, (name, entry) in enumerate(manifest["splits"].items()):
        if entry["done"] >= entry["size"]:
            continue
        num_views = entry["views"]
        features_path = os.path.join(directory, f"{name}.features.npy")
        bar = Progbar(entry["size"], unit_name="image") if verbose else None
        if bar is not None:
            print(f"TrunkCache: {name} ({entry['size']} images x {num_views} views)")
            bar.update(entry["done"])
        store = None
        for start in range(entry["done"], entry["size"], CHUNK):
            stop = min(start + CHUNK, entry["size"])
            inputs = inputs_of(split_index, name, start, stop)
            flat = inputs.reshape((-1, *inputs.shape[2:]))
            outputs = [
                np.asarray(trunk(flat[i : i + batch_size]))
                for i in range(0, len(flat), batch_size)
            ]
            outputs = np.concatenate(outputs).astype(np.float16)
            if store is None:
                shape = list(outputs.shape[1:])
                if manifest["feature_shape"] not in (None, shape):
                    raise ValueError(
                        f"TrunkCache: the trunk gives maps {shape}, the cache in {directory} "
                        f"holds {manifest['feature_shape']}."
                    )
                manifest["feature_shape"] = shape
                mode = "r+" if os.path.exists(features_path) else "w+"
                store = np.lib.format.open_memmap(
                    features_path,
                    mode=mode,
                    dtype=np.float16,
                    shape=(entry["size"], num_views, *shape),
                )
            store[start:stop] = outputs.reshape((stop - start, num_views, *shape))
            store.flush()
            entry["done"] = stop
            _write_json(manifest_path, manifest)
            if bar is not None:
                bar.update(stop)
        del store
    _write_json(manifest_path, manifest)


class TrunkCache:
    """Cached feature maps of a frozen trunk for named splits ("train", "query", ...).

    Open an existing cache with `TrunkCache(directory)`; make (or finish) one with
    `TrunkCache.build(...)`. Each split has `features(split)`, a read-only float16 memmap
    `(N, num_views, H, W, C)`, and `labels(split)`, `(N, L)`.

    Example:
    >>> import tempfile, cv2
    >>> folder = tempfile.mkdtemp()
    >>> paths = []
    >>> for i in range(3):
    ...     paths.append(f"{folder}/{i}.png")
    ...     _ = cv2.imwrite(paths[-1], np.full((8, 8, 3), 40 * i, np.uint8))
    >>> trunk = lambda images: images[:, ::2, ::2, :1]  # any batch function
    >>> cache = TrunkCache.build(
    ...     f"{folder}/cache", trunk, {"train": (paths, np.eye(3))}, views={"train": 2},
    ...     image_size=8, resize_size=10, verbose=0)
    >>> tuple(cache.features("train").shape), tuple(cache.labels("train").shape)
    ((3, 2, 4, 4, 1), (3, 3))

    Args:
        directory: str, a folder written by `TrunkCache.build`.
    """

    def __init__(self, directory: str):
        self.directory = os.fspath(directory)
        manifest_path = os.path.join(self.directory, MANIFEST)
        if not os.path.exists(manifest_path):
            raise FileNotFoundError(
                f"TrunkCache: {manifest_path} does not exist; make the cache with "
                "TrunkCache.build(directory, trunk, splits, ...)."
            )
        with open(manifest_path) as handle:
            self.manifest = json.load(handle)
        for split, entry in self.manifest["splits"].items():
            if entry["done"] < entry["size"]:
                raise ValueError(
                    f"TrunkCache: split {split!r} in {self.directory} is incomplete "
                    f"({entry['done']} of {entry['size']} images); run TrunkCache.build "
                    "again with the same arguments to finish it."
                )

    @property
    def splits(self) -> list:
        return list(self.manifest["splits"])

    @property
    def feature_shape(self) -> tuple:
        """`(H, W, C)` of one cached feature map."""
        return tuple(self.manifest["feature_shape"])

    def num_views(self, split: str) -> int:
        return int(self._entry(split)["views"])

    def _entry(self, split):
        if split not in self.manifest["splits"]:
            raise KeyError(
                f"TrunkCache: no split {split!r} in {self.directory}; it has {self.splits}."
            )
        return self.manifest["splits"][split]

    def features(self, split: str) -> np.ndarray:
        """Read-only float16 memmap `(N, num_views, H, W, C)` of `split`."""
        self._entry(split)
        return np.load(os.path.join(self.directory, f"{split}.features.npy"), mmap_mode="r")

    def labels(self, split: str) -> np.ndarray:
        """Float32 labels `(N, L)` of `split`, in the order of its list."""
        self._entry(split)
        return np.load(os.path.join(self.directory, f"{split}.labels.npy"))

    @classmethod
    def build(
        cls,
        directory: str,
        trunk: Callable,
        splits: Mapping[str, tuple],
        views: Mapping[str, int] | int = 1,
        image_size: int = 224,
        resize_size: int | None = None,
        batch_size: int = 64,
        seed: int = 0,
        description: str = "",
        verbose: int = 1,
    ) -> "TrunkCache":
        """Computes (or resumes computing) the trunk's outputs for every split.

        Args:
            directory: str, the cache folder (made if missing).
            trunk: callable mapping a float32 batch `(B, image_size, image_size, 3)` of RGB
                values in [0, 255] to feature maps `(B, H, W, C)` (a Keras model's `predict`
                on batches, or a function that preprocesses and calls the frozen lower part).
            splits: `{name: (image_paths, labels)}`; the paths are read with OpenCV.
            views: int or `{name: int}` (default 1 for names not given): views per image of
                each split. View 0 is the centre crop; more views add random crops and flips.
            image_size: int, default 224, the trunk's input side.
            resize_size: int, default `round(image_size * 256 / 224)`: images are resized to
                this side before cropping.
            batch_size: int, default 64, images per trunk call.
            seed: int, default 0, for the random views.
            description: str, what the trunk is (e.g. "efficientnet lite0 imagenet, blocks
                0-7"); kept in the manifest and checked when a build resumes.
            verbose: 1 (default) shows a progress bar per split, 0 is silent.

        Returns:
            the finished `TrunkCache`.

        Raises:
            ValueError: when `directory` holds a cache made with other arguments, or when an
                image cannot be read (naming the file).
        """
        directory = os.fspath(directory)
        resize_size = int(resize_size or round(image_size * 256 / 224))
        if resize_size < image_size:
            raise ValueError(
                f"TrunkCache.build: `resize_size` ({resize_size}) must be >= `image_size` "
                f"({image_size})."
            )
        if isinstance(views, int):
            views = {name: views for name in splits}
        unknown = sorted(set(views) - set(splits))
        if unknown:
            raise ValueError(f"TrunkCache.build: `views` names unknown splits {unknown}.")
        os.makedirs(directory, exist_ok=True)
        settings = {
            "image_size": int(image_size),
            "resize_size": resize_size,
            "seed": int(seed),
            "description": str(description),
        }
        entries = {}
        for name, (paths, labels) in splits.items():
            labels = np.asarray(labels, dtype=np.float32)
            if labels.ndim != 2 or len(labels) != len(paths):
                raise ValueError(
                    f"TrunkCache.build: split {name!r} needs labels (N, L) for its {len(paths)} "
                    f"images, found shape {labels.shape}."
                )
            num_views = validation.positive_int(
                f"views[{name!r}]", views.get(name, 1), "TrunkCache.build"
            )
            entries[name] = {
                "size": len(paths),
                "views": num_views,
                "digest": _digest(paths, labels),
                "done": 0,
            }
        manifest = _open_manifest(directory, settings, entries, "TrunkCache.build")
        for name, (_, labels) in splits.items():
            np.save(
                os.path.join(directory, f"{name}.labels.npy"),
                np.asarray(labels, dtype=np.float32),
            )

        def views_of(split_index, name, start, stop):
            num_views = manifest["splits"][name]["views"]
            paths = splits[name][0]
            # One generator per chunk: a resumed build draws the same views.
            rng = np.random.default_rng([seed, split_index, start])
            batch = np.empty((stop - start, num_views, image_size, image_size, 3), "uint8")
            for row, path in enumerate(paths[start:stop]):
                image = load_image(path, resize_size)
                if image is None:
                    raise ValueError(
                        f"TrunkCache.build: cannot read image {path} (split {name!r}, "
                        f"line {start + row + 1})."
                    )
                image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
                batch[row] = crop_views(image, num_views, image_size, rng)
            return batch.astype(np.float32)

        _fill(directory, manifest, views_of, trunk, batch_size, verbose)
        return cls(directory)

    @classmethod
    def derive(
        cls,
        directory: str,
        source: "TrunkCache",
        part: Callable,
        description: str = "",
        batch_size: int = 64,
        verbose: int = 1,
    ) -> "TrunkCache":
        """A cache one frozen part deeper: `part` applied to every map of `source`.

        Freezing more blocks makes training cheaper; deriving from an existing cache costs only
        the extra blocks, not the images' whole way through the network again.

        Args:
            directory: str, the new cache folder.
            source: a finished `TrunkCache`.
            part: callable mapping a float32 batch of `source`'s maps to deeper maps.
            description: str, what `part` is; checked when a derivation resumes.
            batch_size, verbose: as `build`.

        Returns:
            the finished `TrunkCache`, with `source`'s splits, views and labels.
        """
        directory = os.fspath(directory)
        settings = {
            "source": os.path.abspath(source.directory),
            "source_settings": source.manifest["settings"],
            "description": str(description),
        }
        entries = {
            name: {**entry, "done": 0} for name, entry in source.manifest["splits"].items()
        }
        os.makedirs(directory, exist_ok=True)
        manifest = _open_manifest(directory, settings, entries, "TrunkCache.derive")
        for name in entries:
            np.save(os.path.join(directory, f"{name}.labels.npy"), source.labels(name))

        def maps_of(split_index, name, start, stop):
            return np.asarray(source.features(name)[start:stop], dtype=np.float32)

        _fill(directory, manifest, maps_of, part, batch_size, verbose)
        return cls(directory)


def trunk_cache_dataset(
    cache: TrunkCache,
    split: str,
    batch_size: int,
    training: bool = False,
    seed: int = 0,
    rows: npt.ArrayLike | None = None,
    with_indices: bool = False,
) -> tf.data.Dataset:
    """A `tf.data.Dataset` over one split of a `TrunkCache`.

    Training: `(feature_maps, labels)` float32 batches, reshuffled every epoch, one randomly
    chosen view per image per epoch, full batches only. Otherwise: the centre view's maps in
    list order, the last batch partial (for `predict` and `encode`).

    Args:
        cache: a `TrunkCache`.
        split: str, one of `cache.splits`.
        batch_size: int > 0.
        training: bool, default False.
        seed: int, default 0, for the shuffle and the view choice.
        rows: optional integer array: only these items of the split, in this order (e.g. the
            validation part of the training split).
        with_indices: bool, default False; training only. Batches become
            `({"images": maps, "indices": i}, labels)`, `i` the int64 positions of the items in
            the split (in `rows` when given), which the quantizers (DQN, DVSQ) need to keep a
            code per training item, as `keras_hashing.data.indexed_dataset` gives them.

    Returns:
        a `tf.data.Dataset`.
    """
    import tensorflow as tf

    if with_indices and not training:
        raise ValueError(
            "trunk_cache_dataset: `with_indices` is for training batches (the quantizers' "
            "per-item codes); `predict` and `encode` take the maps alone."
        )

    batch_size = validation.positive_int("batch_size", batch_size, "trunk_cache_dataset")
    features = cache.features(split)
    labels = cache.labels(split)
    num_views = features.shape[1]
    map_shape = tuple(features.shape[2:])
    rows = np.arange(len(features)) if rows is None else np.asarray(rows, dtype=np.int64)
    if rows.ndim != 1 or (len(rows) and (rows.min() < 0 or rows.max() >= len(features))):
        raise ValueError(
            f"trunk_cache_dataset: `rows` must index split {split!r} (0..{len(features) - 1})."
        )
    num_items = len(rows)

    # The views come from one generator that lives as long as the dataset: a new epoch (a new
    # iterator) draws new views, which a tf.data random source would repeat from its seed.
    view_rng = np.random.default_rng(seed)

    def gather(positions, centre_only):
        items = rows[positions]
        if centre_only:
            views = np.zeros(len(items), dtype=np.int64)
        else:
            views = view_rng.integers(0, num_views, size=len(items))
        return features[items, views].astype(np.float32), labels[items]

    def read(positions, centre_only):
        maps, rows_ = tf.numpy_function(
            gather, [positions, centre_only], [tf.float32, tf.float32]
        )
        maps.set_shape((None, *map_shape))
        rows_.set_shape((None, labels.shape[1]))
        return maps, rows_

    positions = tf.data.Dataset.range(num_items)
    if not training:
        dataset = positions.batch(batch_size).map(lambda i: read(i, True)[0])
        return dataset.prefetch(tf.data.AUTOTUNE)
    if batch_size > num_items:
        raise ValueError(
            f"trunk_cache_dataset: batch_size {batch_size} is larger than split {split!r} "
            f"({num_items} images); no full batch can be made."
        )
    positions = positions.shuffle(num_items, seed=seed, reshuffle_each_iteration=True)
    dataset = positions.batch(batch_size, drop_remainder=True)

    def training_batch(batch_positions):
        maps, batch_labels = read(batch_positions, False)
        if with_indices:
            return {"images": maps, "indices": batch_positions}, batch_labels
        return maps, batch_labels

    # A sequential map keeps the draws in batch order, so a seed gives the same run.
    return dataset.map(training_batch).prefetch(tf.data.AUTOTUNE)
