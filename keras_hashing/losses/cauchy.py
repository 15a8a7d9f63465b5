"""Deep Cauchy Hashing's Cauchy cross-entropy (thulab/DeepHash `model/dch/dch.py`)."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops
from numpy.typing import ArrayLike

from keras_hashing import validation
from keras_hashing._types import Tensor
from keras_hashing.losses.similarity import balance_weights
from keras_hashing.losses.similarity import label_similarity
from keras_hashing.losses.similarity import off_diagonal_mask
from keras_hashing.losses.similarity import safe_norm_divisor


def cauchy_cross_entropy(
    labels: ArrayLike | Tensor,
    outputs: ArrayLike | Tensor,
    gamma: float = 20.0,
    normed: bool = False,
) -> Tensor:
    """Balanced Cauchy cross-entropy over every ordered pair of a batch.

    With `d_ij` a distance between outputs, `sigma_ij = gamma / (gamma + d_ij)` is the
    probability that `i` and `j` are similar, and the loss is the balanced cross-entropy
    `-s log sigma - (1 - s) log(1 - sigma)` averaged over the `B(B-1)` off-diagonal pairs.

    `normed=False` is what DCH trains with: `d_ij = ||z_i - z_j||^2 + 0.001`. `normed=True` is the
    paper's normalised-Hamming proxy `(D/2)(1 - cos_ij + 1e-6)`, with the original's `1e-6` inside
    the norm product; the original function defaults to it but the model never uses it
    (thulab/DeepHash DeepHash/model/dch/dch.py, `DCH.cauchy_cross_entropy`, called with
    `normed=False` in `apply_loss_function`). The balance weights count the diagonal while the
    mean skips it, both kept from the original.

    Args:
        labels: `(B, L)` multi-hot labels.
        outputs: `(B, D)` network outputs (after tanh by default).
        gamma: float, default 20.0. The Cauchy scale; for ±1 codes `d = 4 * Hamming`, so 20
            means 5 bits.
        normed: bool, default False. Use the normalised distance instead.

    Returns:
        Scalar loss tensor.

    Example:
    >>> import numpy as np
    >>> z = np.array([[1., -1.], [1., -1.], [-1., 1.]], "float32")
    >>> y = np.eye(2, dtype="float32")[[0, 0, 1]]
    >>> float(cauchy_cross_entropy(y, z)) > 0
    True

    References:
        Cao et al., "Deep Cauchy Hashing for Hamming Space Retrieval", CVPR 2018.
    """
    validation.positive_number("gamma", gamma, "cauchy_cross_entropy")
    outputs = ops.cast(ops.convert_to_tensor(outputs), "float32")
    similarity = label_similarity(labels)
    squared_norms = ops.sum(ops.square(outputs), axis=1, keepdims=True)
    inner = ops.matmul(outputs, ops.transpose(outputs))
    if normed:
        code_length = ops.cast(ops.shape(outputs)[1], "float32")
        # The original's 1e-6 does not guard a zero row (0 * (0 + 1e-6) = 0): see
        # `safe_norm_divisor`, which gives it cosine 0 and leaves the other values as they were.
        norm_product = safe_norm_divisor(
            ops.matmul(squared_norms, ops.transpose(squared_norms + 1e-6))
        )
        distance = code_length / 2.0 * (1.0 - inner / norm_product + 1e-6)
    else:
        # A squared distance is >= 0, but with reduced-precision matmuls (TF32, the default of
        # JAX and TensorFlow on recent GPUs) the expansion of two near-equal rows can come out
        # below -0.001, and log(1 - cauchy) is then NaN. The clamp changes nothing in float32.
        squared = squared_norms - 2.0 * inner + ops.transpose(squared_norms)
        distance = ops.maximum(squared, 0.0) + 0.001
    cauchy = gamma / (distance + gamma)
    pair_loss = -similarity * ops.log(cauchy) - (1.0 - similarity) * ops.log(1.0 - cauchy)
    weighted = pair_loss * balance_weights(similarity)
    num_rows = ops.shape(outputs)[0]
    mask = off_diagonal_mask(num_rows)
    num_pairs = ops.cast(num_rows * (num_rows - 1), "float32")
    return ops.sum(weighted * mask) / ops.maximum(num_pairs, 1.0)


@keras.saving.register_keras_serializable(package="keras_hashing")
class CauchyCrossEntropy(keras.losses.Loss):
    """Loss class wrapping `cauchy_cross_entropy` (`y_true` = labels, `y_pred` = outputs).

    Args:
        gamma: float, default 20.0. See `cauchy_cross_entropy`.
        normed: bool, default False. See `cauchy_cross_entropy`.
    """

    def __init__(
        self,
        gamma: float = 20.0,
        normed: bool = False,
        name: str = "cauchy_cross_entropy",
        **kwargs: Any,
    ) -> None:
        gamma = validation.positive_number("gamma", gamma, type(self).__name__)
        super().__init__(name=name, reduction="sum", **kwargs)
        self.gamma = gamma
        self.normed = bool(normed)

    def call(self, y_true, y_pred):
        return cauchy_cross_entropy(y_true, y_pred, gamma=self.gamma, normed=self.normed)

    def get_config(self):
        config = super().get_config()
        config.update({"gamma": self.gamma, "normed": self.normed})
        config.pop("reduction", None)
        return config
