"""A dense layer initialised as PyTorch's `nn.Linear`."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import ops

from keras_hashing import validation


@keras.saving.register_keras_serializable(package="keras_hashing")
class TorchDense(keras.layers.Layer):
    """A dense layer initialised as PyTorch's `nn.Linear`: W, b ~ U(+-1/sqrt(fan_in)).

    Args:
        units: int, output width.
        seed: optional int for the initialisers.

    Example:
    >>> layer = TorchDense(4)
    >>> tuple(layer(keras.ops.ones((2, 9))).shape)
    (2, 4)
    """

    def __init__(self, units: int, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.units = validation.positive_int("units", units, "TorchDense")
        self.seed = seed

    def build(self, input_shape):
        fan_in = int(input_shape[-1])
        limit = 1.0 / np.sqrt(fan_in)
        self.kernel = self.add_weight(
            name="kernel",
            shape=(fan_in, self.units),
            initializer=keras.initializers.RandomUniform(-limit, limit, seed=self.seed),
        )
        bias_seed = None if self.seed is None else self.seed + 1
        self.bias = self.add_weight(
            name="bias",
            shape=(self.units,),
            initializer=keras.initializers.RandomUniform(-limit, limit, seed=bias_seed),
        )

    def call(self, inputs):
        return ops.matmul(inputs, self.kernel) + self.bias

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units, "seed": self.seed})
        return config
