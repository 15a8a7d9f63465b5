"""Deep Hashing Network's pairwise cross-entropy (thulab/DeepHash `model/dhn/dhn.py`) and the
DHN_PyTorch variant (TreezzZ/DHN_PyTorch `dhn.py`) with its log-cosh quantization term."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops
from numpy.typing import ArrayLike

from keras_hashing import validation
from keras_hashing._types import Tensor
from keras_hashing.losses.similarity import balance_weights
from keras_hashing.losses.similarity import label_similarity
from keras_hashing.losses.similarity import safe_norm_divisor

LOSS_TYPES = ("normed_cross_entropy", "cross_entropy")


def _softplus(x, stable):
    if stable:
        # Equal to log(1 + exp(x)) wherever that is finite in float32, finite beyond it.
        return ops.maximum(x, 0.0) + ops.log1p(ops.exp(-ops.abs(x)))
    return ops.log(1.0 + ops.exp(x))


def pairwise_cross_entropy(
    labels: ArrayLike | Tensor,
    outputs: ArrayLike | Tensor,
    alpha: float = 10.0,
    normed: bool = True,
    stable: bool = True,
) -> Tensor:
    """DHN's balanced pairwise cross-entropy over all `B^2` ordered pairs, diagonal included.

    With `s_ij = clip(y_i . y_j, 0, 1)` and `theta_ij` either `cos(z_i, z_j)` (`normed=True`, the
    `normed_cross_entropy` the original script trains with) or `clip(z_i . z_j, -15, 15)`
    (`normed=False`, `cross_entropy`), the loss is

        mean_ij  w_ij * (log(1 + exp(alpha * theta_ij)) - s_ij * alpha * theta_ij)

    with the DeepHash balance weights `w = |s - 1| + (sum|2s - 1| / sum s) * s` (thulab/DeepHash
    DeepHash/model/dhn/dhn.py, `DHN.cross_entropy`). As in the original the clip of the
    unnormalised branch comes *before* the multiplication by `alpha`, and the cosine has no
    epsilon: a zero output row gives NaN, as it does there.

    Args:
        labels: `(B, L)` multi-hot labels.
        outputs: `(B, D)` network outputs (after tanh by default).
        alpha: float, default 10.0 (`train_val.sh`; the original function defaults to 0.5).
        normed: bool, default True. Cosine similarities; False uses clipped inner products.
        stable: bool, default True. Evaluate `log(1 + exp(x))` as `max(x, 0) + log1p(exp(-|x|))`,
            which gives the original's values wherever they are finite. The original computes it
            literally, so `alpha * theta > 88` overflows to `inf` (reachable with `normed=False`
            and `alpha=10`); `stable=False` reproduces that.

    Returns:
        Scalar loss tensor.

    Example:
    >>> import numpy as np
    >>> z = np.array([[1., -1.], [1., -1.], [-1., 1.]], "float32")
    >>> y = np.eye(2, dtype="float32")[[0, 0, 1]]
    >>> float(pairwise_cross_entropy(y, z)) > 0
    True

    References:
        Zhu, Long, Wang, Cao, "Deep Hashing Network for Efficient Similarity Retrieval",
        AAAI 2016.
    """
    validation.positive_number("alpha", alpha, "pairwise_cross_entropy")
    outputs = ops.cast(ops.convert_to_tensor(outputs), "float32")
    similarity = label_similarity(labels)
    inner = ops.matmul(outputs, ops.transpose(outputs))
    if normed:
        squared_norms = ops.sum(ops.square(outputs), axis=1, keepdims=True)
        # A zero row gets cosine 0 instead of the original's NaN (`safe_norm_divisor`).
        theta = inner / safe_norm_divisor(ops.matmul(squared_norms, ops.transpose(squared_norms)))
    else:
        theta = ops.clip(inner, -15.0, 15.0)
    logits = alpha * theta
    pair_loss = _softplus(logits, stable) - similarity * logits
    return ops.mean(pair_loss * balance_weights(similarity))


def log_cosh_quantization_loss(outputs: ArrayLike | Tensor) -> Tensor:
    """`mean(log cosh(|h| - 1))` over every entry: the DHN paper's quantization term.

    DHN_PyTorch uses it (thulab/DeepHash squares the gap instead, see `quantization_loss`).
    Computed as `|x| + log1p(exp(-2|x|)) - log 2`, equal to `log(cosh(x))` and finite for any x.

    Args:
        outputs: `(B, D)` network outputs.

    Returns:
        Scalar tensor.
    """
    outputs = ops.cast(ops.convert_to_tensor(outputs), "float32")
    gap = ops.abs(ops.abs(outputs) - 1.0)
    return ops.mean(gap + ops.log1p(ops.exp(-2.0 * gap)) - 0.6931471805599453)


def dhn_pytorch_pairwise_loss(
    labels: ArrayLike | Tensor, outputs: ArrayLike | Tensor, lamda: float = 1.0
) -> Tensor:
    """DHN_PyTorch's unbalanced pairwise likelihood loss, its exact formula.

    With `theta_ij = h_i . h_j / 2` and `S_ij = 1[y_i . y_j > 0]` over all `B^2` ordered pairs:

        mean_ij  log(1 + exp(-|lamda * theta_ij|)) + max(theta_ij, 0) - lamda * S_ij * theta_ij

    For `lamda = 1` (every reported run) this is the stable `softplus(theta) - S theta`, i.e.
    DHN's cross-entropy with `alpha = 0.5` on raw inner products and without balance weights.
    For other `lamda` the original scales `theta` inside `|.|` and the `S` term but not inside
    `max(theta, 0)`; that inconsistency is kept (TreezzZ/DHN_PyTorch dhn.py, `DHNLoss`).

    Args:
        labels: `(B, L)` multi-hot labels.
        outputs: `(B, K)` outputs (tanh).
        lamda: float, default 1.0 (the original's spelling).

    Returns:
        Scalar tensor.
    """
    validation.nonnegative_number("lamda", lamda, "dhn_pytorch_pairwise_loss")
    outputs = ops.cast(ops.convert_to_tensor(outputs), "float32")
    similarity = label_similarity(labels)
    theta = ops.matmul(outputs, ops.transpose(outputs)) / 2.0
    scaled = lamda * theta
    pair_loss = ops.log1p(ops.exp(-ops.abs(scaled))) + ops.maximum(theta, 0.0) - similarity * scaled
    return ops.mean(pair_loss)


def dhn_pytorch_loss(
    labels: ArrayLike | Tensor, outputs: ArrayLike | Tensor, lamda: float = 1.0
) -> Tensor:
    """DHN_PyTorch's total loss: `dhn_pytorch_pairwise_loss + lamda * log_cosh_quantization_loss`.

    Args:
        labels: `(B, L)` multi-hot labels.
        outputs: `(B, K)` outputs (tanh).
        lamda: float, default 1.0. Weights the quantization term and enters the pair term
            (see `dhn_pytorch_pairwise_loss`).

    Returns:
        Scalar tensor.

    References:
        TreezzZ/DHN_PyTorch (`DHNLoss`), after Zhu et al., AAAI 2016.
    """
    return dhn_pytorch_pairwise_loss(labels, outputs, lamda) + lamda * log_cosh_quantization_loss(
        outputs
    )


def _strip_reduction(config):
    config.pop("reduction", None)
    return config


@keras.saving.register_keras_serializable(package="keras_hashing")
class PairwiseCrossEntropy(keras.losses.Loss):
    """Loss class wrapping `pairwise_cross_entropy` (`y_true` = labels, `y_pred` = outputs).

    Args:
        alpha: float, default 10.0.
        normed: bool, default True.
        stable: bool, default True.
    """

    def __init__(
        self,
        alpha: float = 10.0,
        normed: bool = True,
        stable: bool = True,
        name: str = "pairwise_cross_entropy",
        **kwargs: Any,
    ) -> None:
        alpha = validation.positive_number("alpha", alpha, type(self).__name__)
        super().__init__(name=name, reduction="sum", **kwargs)
        self.alpha = alpha
        self.normed = bool(normed)
        self.stable = bool(stable)

    def call(self, y_true, y_pred):
        return pairwise_cross_entropy(
            y_true, y_pred, alpha=self.alpha, normed=self.normed, stable=self.stable
        )

    def get_config(self):
        config = super().get_config()
        config.update({"alpha": self.alpha, "normed": self.normed, "stable": self.stable})
        return _strip_reduction(config)


@keras.saving.register_keras_serializable(package="keras_hashing")
class LogCoshQuantizationLoss(keras.losses.Loss):
    """Loss class for `log_cosh_quantization_loss`; `y_true` is ignored."""

    def __init__(self, name: str = "log_cosh_quantization_loss", **kwargs: Any) -> None:
        super().__init__(name=name, reduction="sum", **kwargs)

    def call(self, y_true, y_pred):
        return log_cosh_quantization_loss(y_pred)

    def get_config(self):
        return _strip_reduction(super().get_config())


@keras.saving.register_keras_serializable(package="keras_hashing")
class DHNPyTorchLoss(keras.losses.Loss):
    """Loss class wrapping `dhn_pytorch_loss` (`y_true` = labels, `y_pred` = outputs).

    Args:
        lamda: float, default 1.0.
    """

    def __init__(self, lamda: float = 1.0, name: str = "dhn_pytorch_loss", **kwargs: Any) -> None:
        lamda = validation.nonnegative_number("lamda", lamda, type(self).__name__)
        super().__init__(name=name, reduction="sum", **kwargs)
        self.lamda = lamda

    def call(self, y_true, y_pred):
        return dhn_pytorch_loss(y_true, y_pred, lamda=self.lamda)

    def get_config(self):
        config = super().get_config()
        config["lamda"] = self.lamda
        return _strip_reduction(config)
