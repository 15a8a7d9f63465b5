"""thulab/DeepHash's methods as recipes: DCH and DHN (binary codes), DQN, DVSQ and DTQ
(quantization codes), with the shared pieces in `keras_hashing.recipes.deephash.common`."""

from keras_hashing.recipes.deephash.hashers import DCHConfig
from keras_hashing.recipes.deephash.hashers import DCHRecipe
from keras_hashing.recipes.deephash.hashers import DHNConfig
from keras_hashing.recipes.deephash.hashers import DHNRecipe
from keras_hashing.recipes.deephash.quantizers import DQNConfig
from keras_hashing.recipes.deephash.quantizers import DQNRecipe
from keras_hashing.recipes.deephash.quantizers import DTQConfig
from keras_hashing.recipes.deephash.quantizers import DTQRecipe
from keras_hashing.recipes.deephash.quantizers import DVSQConfig
from keras_hashing.recipes.deephash.quantizers import DVSQRecipe
from keras_hashing.recipes.deephash.quantizers import QuantizerData
from keras_hashing.recipes.deephash.quantizers import load_quantizer_data

__all__ = [
    "DCHConfig",
    "DCHRecipe",
    "DHNConfig",
    "DHNRecipe",
    "DQNConfig",
    "DQNRecipe",
    "DTQConfig",
    "DTQRecipe",
    "DVSQConfig",
    "DVSQRecipe",
    "QuantizerData",
    "load_quantizer_data",
]
