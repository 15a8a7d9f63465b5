"""Hashing losses: one function that does the math and one `keras.losses.Loss` class per loss."""

from keras_hashing.losses.cauchy import CauchyCrossEntropy
from keras_hashing.losses.cauchy import cauchy_cross_entropy
from keras_hashing.losses.quantization import QuantizationLoss
from keras_hashing.losses.quantization import quantization_loss
from keras_hashing.losses.similarity import balance_weights
from keras_hashing.losses.similarity import label_similarity
