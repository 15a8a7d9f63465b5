"""DRSH's Euclidean triplet hinge on scaled real codes.

frankenstan/DRSH train.py, `CompAndTrain.CompileAndUpdate`.
"""

from __future__ import annotations

import keras
from keras import ops
from numpy.typing import ArrayLike

from keras_hashing import validation
from keras_hashing._types import Tensor

# The original normalises distances and loops over bits with a literal 32, whatever the code length.
ORIGINAL_DIVISOR = 32.0
ORIGINAL_BINARY_BITS = 32


def _margin_divisor(margin, divisor, where):
    return (
        validation.nonnegative_number("margin", margin, where),
        validation.positive_number("divisor", divisor, where),
    )


def _check_triplet(anchor, positive, negative, where):
    shapes = [tuple(t.shape) for t in (anchor, positive, negative)]
    if len(shapes[0]) != 2 or shapes[1] != shapes[0] or shapes[2] != shapes[0]:
        raise ValueError(
            f"{where}: anchor, positive and negative must be (B, K) of one shape, "
            f"found {shapes[0]}, {shapes[1]}, {shapes[2]}."
        )


def _row_norm(x):
    # sqrt has an infinite slope at 0 (NaN gradients when two codes coincide exactly, as in the
    # original); the guard only changes that exact case.
    squared = ops.sum(ops.square(x), axis=-1)
    safe = ops.where(squared > 0, squared, ops.ones_like(squared))
    return ops.where(squared > 0, ops.sqrt(safe), ops.zeros_like(squared))


def drsh_triplet_loss(
    anchor: ArrayLike | Tensor,
    positive: ArrayLike | Tensor,
    negative: ArrayLike | Tensor,
    margin: float = 2.0,
    divisor: float = ORIGINAL_DIVISOR,
) -> Tensor:
    """Per-triplet hinge `max(0, margin - ||y - y-|| / divisor + ||y - y+|| / divisor)`.

    The original (batch of one) takes the norms over its whole `(1, K)` tensor, i.e. per sample.

    Args:
        anchor: float `(B, K)` real codes `y` (scale * projection).
        positive: float `(B, K)` codes of the positives `y+`.
        negative: float `(B, K)` codes of the negatives `y-`.
        margin: float, default 2.0.
        divisor: float, default 32.0 (the original's hard-coded value, kept for any code length).

    Returns:
        float `(B,)` losses.

    Example:
    >>> import numpy as np
    >>> y = np.zeros((1, 4), "float32"); yp = y + 1.0; yn = y + 3.0
    >>> float(drsh_triplet_loss(y, yp, yn, divisor=1.0)[0])  # 2 - 6 + 2
    0.0

    References:
        Fu et al., "Supervised Hashing with Recurrent Scaling", APWeb-WAIM 2019.
    """
    margin, divisor = _margin_divisor(margin, divisor, "drsh_triplet_loss")
    anchor, positive, negative = (ops.convert_to_tensor(t) for t in (anchor, positive, negative))
    _check_triplet(anchor, positive, negative, "drsh_triplet_loss")
    negative_distance = _row_norm(anchor - negative) / divisor
    positive_distance = _row_norm(anchor - positive) / divisor
    return ops.maximum(0.0, margin - negative_distance + positive_distance)


def drsh_binary_triplet_loss(
    anchor: ArrayLike | Tensor,
    positive: ArrayLike | Tensor,
    negative: ArrayLike | Tensor,
    margin: float = 2.0,
    num_bits: int = ORIGINAL_BINARY_BITS,
) -> Tensor:
    """The original's `loss_3`: `sum_k max(0, margin - |b_k - b-_k| + |b_k - b+_k|)` on {0,1} bits.

    Bits are `1[y >= 0]`. The hard threshold has no gradient (the result is wrapped in
    `stop_gradient`); the original adds `0.1 *` this to its reported loss, a constant shift. It
    loops over a literal 32 bits; with fewer bits it would index past the end, here the sum stops
    at the code length.

    Args:
        anchor, positive, negative: float `(B, K)` real codes.
        margin: float, default 2.0.
        num_bits: int, default 32; the first `min(num_bits, K)` bits enter the sum.

    Returns:
        float `(B,)`.
    """
    anchor, positive, negative = (ops.convert_to_tensor(t) for t in (anchor, positive, negative))
    _check_triplet(anchor, positive, negative, "drsh_binary_triplet_loss")
    count = min(int(num_bits), int(anchor.shape[-1]))
    bits = [
        ops.cast(ops.greater_equal(t[:, :count], 0), anchor.dtype)
        for t in (anchor, positive, negative)
    ]
    terms = ops.maximum(0.0, margin - ops.abs(bits[0] - bits[2]) + ops.abs(bits[0] - bits[1]))
    return ops.stop_gradient(ops.sum(terms, axis=-1))


@keras.saving.register_keras_serializable(package="keras_hashing")
class DRSHTripletLoss(keras.losses.Loss):
    """`drsh_triplet_loss` as a Keras loss.

    `y_true` is ignored; `y_pred` is `(B, 3, K)` (anchor, positive, negative stacked on axis 1)
    or a `(anchor, positive, negative)` tuple.

    Args:
        margin: float, default 2.0.
        divisor: float, default 32.0.
        reduction, name, dtype: as `keras.losses.Loss`.

    Example:
    >>> import numpy as np
    >>> loss = DRSHTripletLoss()
    >>> float(loss(None, np.zeros((2, 3, 8), "float32")))
    2.0
    """

    def __init__(
        self,
        margin: float = 2.0,
        divisor: float = ORIGINAL_DIVISOR,
        reduction: str | None = "sum_over_batch_size",
        name: str = "drsh_triplet_loss",
        dtype: str | None = None,
    ) -> None:
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.margin, self.divisor = _margin_divisor(margin, divisor, type(self).__name__)

    def __call__(self, y_true, y_pred, sample_weight=None):
        if y_true is None:  # the base class wants a tensor it can cast
            y_true = ops.zeros((1,))
        return super().__call__(y_true, y_pred, sample_weight=sample_weight)

    def call(self, y_true, y_pred):
        if isinstance(y_pred, (list, tuple)):
            anchor, positive, negative = y_pred
        else:
            if len(y_pred.shape) != 3 or y_pred.shape[1] != 3:
                raise ValueError(
                    f"DRSHTripletLoss: y_pred must be (B, 3, K), found {tuple(y_pred.shape)}."
                )
            anchor, positive, negative = y_pred[:, 0], y_pred[:, 1], y_pred[:, 2]
        return drsh_triplet_loss(anchor, positive, negative, self.margin, self.divisor)

    def get_config(self):
        config = super().get_config()
        config.update({"margin": self.margin, "divisor": self.divisor})
        return config
