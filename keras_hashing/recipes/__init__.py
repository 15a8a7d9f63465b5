"""Recipes: what one original codebase's scripts do, as reusable library code.

One module per original codebase: `deephash` (thulab/DeepHash: DCH, DHN, DQN, DVSQ, DTQ),
`dhn_pytorch` (TreezzZ/DHN_PyTorch), `drsh` (frankenstan/DRSH), `dadh`
(Zjut-MultimediaPlus/DADH) and `djsrh` (zs-zhong/DJSRH). Each recipe class takes the original
script's flags as settings (or a named preset) and `run()` does what the script does:

    from keras_hashing.recipes.deephash import DCHRecipe
    report = DCHRecipe.preset("fashion_mnist", iter_num=200).run()
"""

from keras_hashing.recipes import dadh  # noqa: F401
from keras_hashing.recipes import deephash  # noqa: F401
from keras_hashing.recipes import dhn_pytorch  # noqa: F401
from keras_hashing.recipes import djsrh  # noqa: F401
from keras_hashing.recipes import drsh  # noqa: F401
from keras_hashing.recipes.base import Recipe
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
    "Recipe",
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
