"""Recipes: what one original codebase's scripts do, as reusable library code."""

from keras_hashing.recipes.cached_trunk import Trunk
from keras_hashing.recipes.cached_trunk import build_list_cache
from keras_hashing.recipes.cached_trunk import deepen_cache
from keras_hashing.recipes.cached_trunk import efficientnet_lite_trunk
from keras_hashing.recipes.cached_trunk import with_trunk
from keras_hashing.recipes.fitting import fit_variable_epochs
from keras_hashing.recipes.image_networks import efficientnet_lite_crop
from keras_hashing.recipes.image_networks import efficientnet_lite_parts
from keras_hashing.recipes.presets import list_presets
from keras_hashing.recipes.presets import load_preset

__all__ = [
    "Trunk",
    "build_list_cache",
    "deepen_cache",
    "efficientnet_lite_crop",
    "efficientnet_lite_parts",
    "efficientnet_lite_trunk",
    "fit_variable_epochs",
    "list_presets",
    "load_preset",
    "with_trunk",
]
