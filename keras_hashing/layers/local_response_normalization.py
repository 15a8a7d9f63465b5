"""Local response normalisation across channels (TensorFlow's formula) for CaffeNet."""

from __future__ import annotations

from typing import Any

import keras

from keras_hashing import backend_ops
from keras_hashing import validation


@keras.saving.register_keras_serializable(package="keras_hashing")
class LocalResponseNormalization(keras.layers.Layer):
    """Normalises each channel by the energy of its neighbouring channels.

    For channel `c` at every position of a channels-last tensor with `C` channels:

        out_c = x_c / (bias + alpha * sum_{c'=c-r}^{c+r} x_{c'}^2) ** beta

    with `r = depth_radius`; channels outside `[0, C)` count as zero. This is
    `tf.nn.local_response_normalization`: alpha is *not* divided by the window size, so the defaults
    (radius 2, alpha 2e-5) equal Caffe's `local_size=5, alpha=1e-4` (thulab/DeepHash
    `img_alexnet_layers`). Under the TensorFlow backend that fused op runs (4-D float inputs);
    elsewhere a `keras.ops` composition of the same formula (`keras_hashing.backend_ops`).

    Args:
        depth_radius: int, default 2. Half-width of the channel window (window `2r + 1`).
        alpha: float, default 2e-5. Scale of the summed squares.
        beta: float, default 0.75. Exponent.
        bias: float, default 1.0. Additive constant inside the power.
        **kwargs: `keras.layers.Layer` arguments.

    Returns:
        A tensor of the input's shape.

    Example:
    >>> layer = LocalResponseNormalization()
    >>> tuple(layer(keras.ops.ones((1, 2, 2, 8))).shape)
    (1, 2, 2, 8)

    References:
        Krizhevsky, Sutskever, Hinton. "ImageNet Classification with Deep Convolutional Neural
        Networks", NeurIPS 2012, Section 3.3.
    """

    def __init__(
        self,
        depth_radius: int = 2,
        alpha: float = 2e-5,
        beta: float = 0.75,
        bias: float = 1.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        where = "LocalResponseNormalization"
        self.depth_radius = validation.nonnegative_int("depth_radius", depth_radius, where)
        self.alpha = validation.number("alpha", alpha, where)
        self.beta = validation.number("beta", beta, where)
        self.bias = validation.number("bias", bias, where)

    def build(self, input_shape):
        if len(input_shape) < 2 or input_shape[-1] is None:
            raise ValueError(
                "LocalResponseNormalization needs a known channel (last) dimension, "
                f"found input shape {tuple(input_shape)}."
            )
        self.built = True

    def call(self, inputs):
        # TensorFlow's fused LRN kernel under the TensorFlow backend, keras.ops otherwise.
        return backend_ops.local_response_normalization(
            inputs, self.depth_radius, bias=self.bias, alpha=self.alpha, beta=self.beta
        )

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "depth_radius": self.depth_radius,
                "alpha": self.alpha,
                "beta": self.beta,
                "bias": self.bias,
            }
        )
        return config
