"""Sign with a straight-through gradient."""

from __future__ import annotations

import keras
from keras import ops

from keras_hashing._types import Tensor


def sign_codes(outputs: Tensor) -> Tensor:
    """`{-1, +1}` codes from real outputs; exact zeros map to +1.

    The original draws a random ±1 for exact zeros (thulab/DeepHash DeepHash/util/__init__.py,
    `sign`); a fixed rule keeps encoding deterministic.
    `keras_hashing.metrics.hash_sign(..., zero="random")` reproduces the original when needed.
    """
    return ops.where(outputs >= 0, 1.0, -1.0)


@keras.saving.register_keras_serializable(package="keras_hashing")
class SignSTE(keras.layers.Layer):
    """`sign(x)` in the forward pass, identity gradient in the backward pass.

    Example:
    >>> layer = SignSTE()
    >>> keras.ops.convert_to_numpy(layer(keras.ops.convert_to_tensor([[-0.3, 0.0, 2.0]]))).tolist()
    [[-1.0, 1.0, 1.0]]
    """

    def call(self, inputs):
        return inputs + ops.stop_gradient(sign_codes(inputs) - inputs)

    def compute_output_shape(self, input_shape):
        return input_shape
