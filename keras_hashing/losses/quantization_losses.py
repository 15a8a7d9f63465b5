"""Losses of the quantization methods: DQN's pairwise cosine loss, DVSQ's adaptive-margin loss,
and the (label-space) reconstruction terms that pull outputs towards their codebook reconstructions.

`codes` are the original's one-hot-per-codebook matrices: `(B, M*K)` with a single 1 inside each
block of K columns; `codebook` is the stacked `(M*K, D)` matrix, so the reconstruction of a row is
`codes @ codebook` (thulab/DeepHash DeepHash/model/dqn/dqn.py, `DQN.apply_loss_function`).
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops
from numpy.typing import ArrayLike

from keras_hashing._types import Tensor
from keras_hashing.losses.similarity import label_similarity
from keras_hashing.losses.similarity import safe_norm_divisor


def _float(value):
    return ops.cast(ops.convert_to_tensor(value), "float32")


def _check_rank(name, value, rank):
    if len(value.shape) != rank:
        raise ValueError(f"`{name}` must have rank {rank}, found shape {tuple(value.shape)}.")


def _row_cosine(a, b):
    # The original divides by the product of norms with no epsilon: a zero row gives NaN there;
    # here its cosine is 0 (`safe_norm_divisor`), every other value unchanged.
    dots = ops.matmul(a, ops.transpose(b))
    squared_a = ops.sum(ops.square(a), axis=1, keepdims=True)
    squared_b = ops.sum(ops.square(b), axis=1, keepdims=True)
    return dots / safe_norm_divisor(ops.matmul(squared_a, ops.transpose(squared_b)))


def cosine_pairwise_loss(labels: ArrayLike | Tensor, outputs: ArrayLike | Tensor) -> Tensor:
    """DQN's pairwise cosine loss `mean_{i,j} (2 s_ij - 1 - cos(z_i, z_j))^2`.

    Every one of the `B^2` ordered pairs of the batch counts, the diagonal included
    (thulab/DeepHash DeepHash/model/dqn/dqn.py, `DQN.apply_loss_function`).

    Args:
        labels: `(B, L)` multi-hot labels.
        outputs: `(B, D)` network outputs.

    Returns:
        Scalar tensor.

    Example:
    >>> import numpy as np
    >>> y = np.eye(2, dtype="float32"); z = np.array([[1.0, 0.0], [0.0, 1.0]], "float32")
    >>> float(cosine_pairwise_loss(y, z))
    0.5

    References:
        Cao, Long, Wang, Zhu, Wen, "Deep Quantization Network for Efficient Image Retrieval",
        AAAI 2016.
    """
    labels, outputs = _float(labels), _float(outputs)
    _check_rank("labels", labels, 2)
    _check_rank("outputs", outputs, 2)
    target = 2.0 * label_similarity(labels) - 1.0
    return ops.mean(ops.square(target - _row_cosine(outputs, outputs)))


def reconstruction_loss(
    outputs: ArrayLike | Tensor, codes: ArrayLike | Tensor, codebook: ArrayLike | Tensor
) -> Tensor:
    """Mean squared distance `mean_i ||z_i - C^T b_i||^2` to the codebook reconstruction.

    The quantization term of DQN and DTQ (`DQN.apply_loss_function`, `DTQ.quantization_loss`);
    codes and codebook are constants.

    Args:
        outputs: `(B, D)` outputs.
        codes: `(B, M*K)` one-hot-per-codebook codes.
        codebook: `(M*K, D)` stacked codebook.

    Returns:
        Scalar tensor.
    """
    outputs, codes, codebook = _float(outputs), _float(codes), _float(codebook)
    _check_rank("codes", codes, 2)
    _check_rank("codebook", codebook, 2)
    if (
        codes.shape[1] is not None
        and codebook.shape[0] is not None
        and codes.shape[1] != codebook.shape[0]
    ):
        raise ValueError(
            f"`codes` has {codes.shape[1]} columns but `codebook` has {codebook.shape[0]} "
            "rows; both must be M*K."
        )
    residual = outputs - ops.matmul(codes, codebook)
    return ops.mean(ops.sum(ops.square(residual), axis=1))


def semantic_reconstruction_loss(
    outputs: ArrayLike | Tensor,
    codes: ArrayLike | Tensor,
    codebook: ArrayLike | Tensor,
    label_embeddings: ArrayLike | Tensor,
) -> Tensor:
    """DVSQ's label-space quantization error `mean_i sum_l (v_l . (z_i - C^T b_i))^2`.

    Args:
        outputs: `(B, D)` outputs.
        codes: `(B, M*K)` one-hot-per-codebook codes.
        codebook: `(M*K, D)` codebook.
        label_embeddings: `(L, D)` label word vectors `V`.

    Returns:
        Scalar tensor.
    """
    outputs, codes = _float(outputs), _float(codes)
    codebook, label_embeddings = _float(codebook), _float(label_embeddings)
    _check_rank("label_embeddings", label_embeddings, 2)
    residual = outputs - ops.matmul(codes, codebook)
    projected = ops.matmul(residual, ops.transpose(label_embeddings))
    return ops.mean(ops.sum(ops.square(projected), axis=1))


def adaptive_margin_loss(
    labels: ArrayLike | Tensor,
    outputs: ArrayLike | Tensor,
    label_embeddings: ArrayLike | Tensor,
    negatives_only: bool = False,
    margin: float | None = None,
) -> Tensor:
    """DVSQ's soft adaptive-margin ranking loss against label word vectors.

    With `c_il = cos(z_i, v_l)` and the margin `d_ll' = 1 - cos(v_l, v_l')`:
    `sum_i sum_{l: y_il = 1} sum_l' max(0, d_ll' - c_il + c_il') / (L * sum y)`.

    As in the original the inner sum runs over every label `l'`, positives and `l' = l` included
    (thulab/DeepHash DeepHash/model/dvsq/dvsq.py, `DVSQ.apply_loss_function`); `negatives_only=True`
    is the paper's form, restricted to `y_il' = 0` (same normaliser). A float `margin` replaces
    `d_ll'` by that constant: the original's fixed-margin `cos_margin_multi_label` variant (0.7 in
    its config), which crashes there (`margin_param` is never set on the model).

    Args:
        labels: `(B, L)` multi-hot labels.
        outputs: `(B, D)` outputs, `D` the word-vector dimension.
        label_embeddings: `(L, D)` word vectors.
        negatives_only: bool, default False.
        margin: float or None (default): fixed margin instead of the adaptive one.

    Returns:
        Scalar tensor.

    References:
        Cao, Long, Wang, Liu, "Deep Visual-Semantic Quantization for Efficient Image Retrieval",
        CVPR 2017.
    """
    labels, outputs, label_embeddings = _float(labels), _float(outputs), _float(label_embeddings)
    _check_rank("labels", labels, 2)
    _check_rank("outputs", outputs, 2)
    _check_rank("label_embeddings", label_embeddings, 2)
    if outputs.shape[1] is not None and outputs.shape[1] != label_embeddings.shape[1]:
        raise ValueError(
            f"`outputs` has dimension {outputs.shape[1]} but the label embeddings have "
            f"{label_embeddings.shape[1]}; DVSQ needs them equal."
        )
    if labels.shape[1] is not None and labels.shape[1] != label_embeddings.shape[0]:
        raise ValueError(
            f"`labels` has {labels.shape[1]} columns but there are "
            f"{label_embeddings.shape[0]} label embeddings."
        )
    num_labels = label_embeddings.shape[0]
    cosines = _row_cosine(outputs, label_embeddings)  # (B, L)
    if margin is None:
        margins = 1.0 - _row_cosine(label_embeddings, label_embeddings)  # (L, L)
    else:
        margins = ops.full((num_labels, num_labels), float(margin), dtype="float32")
    hinge = ops.relu(margins[None, :, :] - cosines[:, :, None] + cosines[:, None, :])
    hinge = hinge * labels[:, :, None]
    if negatives_only:
        hinge = hinge * (1.0 - labels[:, None, :])
    return ops.sum(hinge) / (float(num_labels) * ops.sum(labels))


@keras.saving.register_keras_serializable(package="keras_hashing")
class CosinePairwiseLoss(keras.losses.Loss):
    """Loss class for `cosine_pairwise_loss` (`y_true` labels, `y_pred` outputs)."""

    def __init__(self, name: str = "cosine_pairwise_loss", **kwargs: Any) -> None:
        super().__init__(name=name, reduction="sum", **kwargs)

    def call(self, y_true, y_pred):
        return cosine_pairwise_loss(y_true, y_pred)

    def get_config(self):
        config = super().get_config()
        config.pop("reduction", None)
        return config


@keras.saving.register_keras_serializable(package="keras_hashing")
class AdaptiveMarginLoss(keras.losses.Loss):
    """Loss class for `adaptive_margin_loss`, holding the label embeddings.

    Args:
        label_embeddings: `(L, D)` array-like.
        negatives_only: bool, default False (the original sums over all labels).
        margin: float or None, default None (adaptive margin).
    """

    def __init__(
        self,
        label_embeddings: ArrayLike,
        negatives_only: bool = False,
        margin: float | None = None,
        name: str = "adaptive_margin_loss",
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, reduction="sum", **kwargs)
        self.label_embeddings = ops.convert_to_numpy(_float(label_embeddings))
        self.negatives_only = bool(negatives_only)
        self.margin = None if margin is None else float(margin)

    def call(self, y_true, y_pred):
        return adaptive_margin_loss(
            y_true,
            y_pred,
            self.label_embeddings,
            negatives_only=self.negatives_only,
            margin=self.margin,
        )

    def get_config(self):
        config = super().get_config()
        config.pop("reduction", None)
        config.update(
            {
                "label_embeddings": self.label_embeddings.tolist(),
                "negatives_only": self.negatives_only,
                "margin": self.margin,
            }
        )
        return config
