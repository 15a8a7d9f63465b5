"""thulab/DeepHash's methods as recipes: DCH and DHN (binary codes), with the shared pieces in
`keras_hashing.recipes.deephash.common`."""

from keras_hashing.recipes.deephash.hashers import DCHConfig
from keras_hashing.recipes.deephash.hashers import DCHRecipe
from keras_hashing.recipes.deephash.hashers import DHNConfig
from keras_hashing.recipes.deephash.hashers import DHNRecipe

__all__ = ["DCHConfig", "DCHRecipe", "DHNConfig", "DHNRecipe"]
