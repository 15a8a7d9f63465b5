"""Batch normalisation with PyTorch's running-variance rule."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_hashing")
class TorchBatchNormalization(keras.layers.BatchNormalization):
    """`keras.layers.BatchNormalization` that updates its moving variance as PyTorch does.

    Both normalise a training batch with its biased variance. Keras then folds that same biased
    variance into the moving average; PyTorch's `nn.BatchNorm1d/2d` fold in the unbiased one,
    `var * n / (n - 1)` with `n` the number of values per channel. The difference shows at
    inference: about 1% of the output at batch 128, several percent on a small last batch. Ports
    of PyTorch originals (DADH's `ImgModule`/`TxtModule` BatchNorm1d) use this layer so that the
    evaluation outputs match theirs.

    Defaults are PyTorch's (`momentum=0.1` there is `momentum=0.9` here, `epsilon=1e-5`).
    Renormalisation and masks are not part of PyTorch's layer and are refused.

    Args:
        axis: int, default -1, the channel axis.
        momentum: float, default 0.9, the moving averages' decay (1 - PyTorch's momentum).
        epsilon: float, default 1e-5.
        **kwargs: other `keras.layers.BatchNormalization` arguments.

    Example:
    >>> import numpy as np
    >>> layer = TorchBatchNormalization()
    >>> x = np.array([[0.0], [2.0]], "float32")
    >>> _ = layer(x, training=True)
    >>> round(float(layer.moving_variance.numpy()[0]), 4)  # 0.9 * 1 + 0.1 * 2 (unbiased)
    1.1
    """

    def __init__(
        self, axis: int = -1, momentum: float = 0.9, epsilon: float = 1e-5, **kwargs: Any
    ) -> None:
        if kwargs.get("renorm"):
            raise ValueError("TorchBatchNormalization does not support `renorm=True`.")
        super().__init__(axis=axis, momentum=momentum, epsilon=epsilon, **kwargs)

    def call(self, inputs, training=None, mask=None):
        if mask is not None:
            raise ValueError("TorchBatchNormalization does not support masks.")
        if not (training and self.trainable):
            return super().call(inputs, training=False)
        inputs = ops.cast(inputs, "float32")
        rank = len(inputs.shape)
        channel_axis = self.axis % rank
        reduction_axes = [i for i in range(rank) if i != channel_axis]
        mean, variance = ops.moments(inputs, axes=reduction_axes)
        count = ops.cast(ops.size(inputs) // ops.shape(inputs)[channel_axis], "float32")
        # PyTorch divides by n - 1 (and fails on n = 1); n = 1 keeps the biased 0 here.
        unbiased = variance * count / ops.maximum(count - 1.0, 1.0)
        self.moving_mean.assign(
            self.moving_mean * self.momentum + mean * (1.0 - self.momentum)
        )
        self.moving_variance.assign(
            self.moving_variance * self.momentum + unbiased * (1.0 - self.momentum)
        )
        outputs = ops.batch_normalization(
            x=inputs,
            mean=mean,
            variance=variance,
            axis=self.axis,
            offset=self.beta if self.center else None,
            scale=self.gamma if self.scale else None,
            epsilon=self.epsilon,
        )
        return ops.cast(outputs, self.compute_dtype)
