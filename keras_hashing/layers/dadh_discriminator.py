"""DADH's discriminator MLP (Zjut-MultimediaPlus/DADH, `models/dadh.py`, `Discriminator`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
from keras import ops

from keras_hashing import validation
from keras_hashing._types import Tensor


@keras.saving.register_keras_serializable(package="keras_hashing")
class DADHDiscriminator(keras.layers.Layer):
    """DADH's discriminators: a ReLU MLP ending in one logit, Kaiming-normal weights, zero biases.

    The feature discriminator is `hidden_units=(1024, 512)` on 2048-d features, the hash
    discriminator `(512,)` on K-bit outputs. `input_gradient(x)` gives `dD/dx` in closed form
    (backpropagation through the ReLU masks written with `keras.ops`), so the WGAN gradient
    penalty needs no backend-specific double differentiation; ReLU'(0) = 0 as in PyTorch.

    Args:
        hidden_units: tuple of ints.
        seed: optional int.
    """

    def __init__(
        self,
        hidden_units: Sequence[int] = (1024, 512),
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.hidden_units = tuple(
            validation.positive_int("hidden_units", u, "DADHDiscriminator") for u in hidden_units
        )
        if not self.hidden_units:
            raise ValueError("DADHDiscriminator: `hidden_units` must name at least one layer.")
        self.seed = seed
        self.dense_layers = []
        for i, units in enumerate(self.hidden_units + (1,)):
            self.dense_layers.append(
                keras.layers.Dense(
                    units,
                    # torch.nn.init.kaiming_normal_: untruncated N(0, 2 / fan_in), zero bias.
                    kernel_initializer=keras.initializers.VarianceScaling(
                        2.0, "fan_in", "untruncated_normal", seed=None if seed is None else seed + i
                    ),
                    bias_initializer="zeros",
                    name=f"dense_{i}",
                )
            )

    def build(self, input_shape):
        shape = tuple(input_shape)
        for layer in self.dense_layers:
            layer.build(shape)
            shape = shape[:-1] + (layer.units,)

    def call(self, inputs):
        x = inputs
        for layer in self.dense_layers[:-1]:
            x = ops.relu(layer(x))
        return ops.squeeze(self.dense_layers[-1](x), axis=-1)

    def input_gradient(self, inputs: Tensor) -> Tensor:
        """`d logit_b / d inputs_b` for every row b, `(B, input_dim)`."""
        masks = []
        x = inputs
        for layer in self.dense_layers[:-1]:
            pre = layer(x)
            masks.append(ops.cast(pre > 0, pre.dtype))
            x = ops.relu(pre)
        gradient = ops.transpose(self.dense_layers[-1].kernel)  # (1, units)
        for layer, mask in zip(reversed(self.dense_layers[:-1]), reversed(masks)):
            gradient = ops.matmul(gradient * mask, ops.transpose(layer.kernel))
        return gradient

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1])

    def get_config(self):
        config = super().get_config()
        config.update({"hidden_units": list(self.hidden_units), "seed": self.seed})
        return config
