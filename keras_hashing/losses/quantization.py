"""Sign-quantization penalties that pull real outputs towards ±1."""

import keras
from keras import ops


def quantization_loss(outputs):
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

    def __init__(self, name="quantization_loss", **kwargs):
        super().__init__(name=name, reduction="sum", **kwargs)

    def call(self, y_true, y_pred):
        return quantization_loss(y_pred)

    def get_config(self):
        config = super().get_config()
        config.pop("reduction", None)
        return config
