"""Sign-quantization penalties that pull real outputs towards ±1."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops
from numpy.typing import ArrayLike

from keras_hashing._types import Tensor


def quantization_loss(outputs: ArrayLike | Tensor) -> Tensor:
    """`mean((|z| - 1)^2)` over every entry: the DHN/DCH quantization term.

    The original squares the gap rather than using the paper's log-cosh (DHN) or Cauchy (DCH)
    forms (thulab/DeepHash DeepHash/model/dhn/dhn.py and DeepHash/model/dch/dch.py,
    `apply_loss_function`); this is the formula the reported numbers came from.

    Args:
        outputs: `(B, D)` network outputs.

    Returns:
        Scalar tensor.
    """
    outputs = ops.cast(ops.convert_to_tensor(outputs), "float32")
    return ops.mean(ops.square(ops.abs(outputs) - 1.0))


@keras.saving.register_keras_serializable(package="keras_hashing")
class QuantizationLoss(keras.losses.Loss):
    """Loss class for `quantization_loss`; `y_true` is ignored."""

    def __init__(self, name: str = "quantization_loss", **kwargs: Any) -> None:
        super().__init__(name=name, reduction="sum", **kwargs)

    def call(self, y_true, y_pred):
        return quantization_loss(y_pred)

    def get_config(self):
        config = super().get_config()
        config.pop("reduction", None)
        return config
