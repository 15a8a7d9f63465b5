"""Cross-modal hashing losses: DADH (adversarial, triplet, discrete) and DJSRH (reconstruction).

DADH (Zjut-MultimediaPlus/DADH triplet_loss.py and main.py, `train`): a cross-modal triplet loss on
cosine distances with in-batch NDCG weights, the standard GAN discriminator/generator losses, the
WGAN-GP gradient penalty and a sum-reduced quantization term. DJSRH (zs-zhong/DJSRH train.py,
`Session.train`): the joint-semantics affinity `S` built from both modalities' cosine similarities
and the MSE losses that reconstruct it from code inner products.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops
from numpy.typing import ArrayLike

from keras_hashing._types import Tensor

# PyTorch's `F.cosine_similarity` and `F.normalize` guards (DADH triplet_loss.py, DJSRH train.py).
COSINE_EPS = 1e-8
NORMALIZE_EPS = 1e-12


def _float(x):
    return ops.cast(ops.convert_to_tensor(x), "float32")


def _check_rank2(name, x):
    if len(x.shape) != 2:
        raise ValueError(
            f"`{name}` must be a 2-D (batch, dim) tensor, found shape {tuple(x.shape)}."
        )


def cosine_distance_matrix(
    source: ArrayLike | Tensor, target: ArrayLike | Tensor, eps: float = COSINE_EPS
) -> Tensor:
    """`d_ij = max(0, 1 - cos(source_i, target_j))` as DADH's `cos_distance`.

    Args:
        source: `(N, K)` tensor.
        target: `(M, K)` tensor.
        eps: float, default 1e-8, PyTorch's guard on the product of the norms.

    Returns:
        `(N, M)` float tensor.
    """
    source, target = _float(source), _float(target)
    norms = ops.sqrt(ops.sum(ops.square(source), axis=1, keepdims=True)) * ops.transpose(
        ops.sqrt(ops.sum(ops.square(target), axis=1, keepdims=True))
    )
    cosine = ops.matmul(source, ops.transpose(target)) / ops.maximum(norms, eps)
    return ops.maximum(1.0 - cosine, 0.0)


def ndcg_relevance(
    source_labels: ArrayLike | Tensor, target_labels: ArrayLike | Tensor | None = None
) -> tuple[Tensor, Tensor]:
    """DADH's in-batch graded relevance `s_ij = (2^{r_ij} - 1) / Z_i`.

    Zjut-MultimediaPlus/DADH triplet_loss.py, `get_triplet_mask`.

    `r_ij = l_i . l_j` counts shared labels and `Z_i = sum_q (2^{r_i(q)} - 1) / log2(q + 1)` is the
    ideal DCG of row i over every column of the batch. A row with no label gives `Z = 0` and NaN,
    exactly as the original (which never meets one on its datasets).

    Returns:
        `(relevance, shared)`: the `(N, M)` weights and the raw shared-label counts `r`.
    """
    source_labels = _float(source_labels)
    target_labels = source_labels if target_labels is None else _float(target_labels)
    shared = ops.matmul(source_labels, ops.transpose(target_labels))
    ideal = ops.flip(ops.sort(shared, axis=1), axis=1)
    positions = ops.arange(1, ops.shape(shared)[1] + 1, dtype="float32")
    discounts = ops.log2(positions + 1.0)
    normalizer = ops.sum((ops.power(2.0, ideal) - 1.0) / discounts[None, :], axis=1, keepdims=True)
    return (ops.power(2.0, shared) - 1.0) / normalizer, shared


def dadh_triplet_loss(
    source_codes: ArrayLike | Tensor,
    target_codes: ArrayLike | Tensor,
    labels: ArrayLike | Tensor,
    target_labels: ArrayLike | Tensor | None = None,
    margin: float = 0.4,
    kappa: float = 1.1,
    ndcg_weights: bool = True,
    ndcg_scale: float = 10.0,
) -> Tensor:
    """DADH's weighted cross-modal triplet loss `T(source -> target)`, sum-reduced.

    For anchors `i` (source), positives `j` and negatives `k` (target) with
    `m_ijk = [r_ij > 0][r_ik = 0]`:

    * `ndcg_weights=True`:
      `sum relu(ndcg_scale * kappa^2 * (s_ij - s_ik) * m_ijk * (d_ij - d_ik + margin))`
    * `ndcg_weights=False`: `sum relu(kappa * m_ijk * (d_ij - d_ik + margin))`

    `d` is `cosine_distance_matrix`, `s` is `ndcg_relevance`. The pair `j = i` (the item's own other
    modality) is a valid positive. The original multiplies before clamping (the order is kept; it
    only matters for a negative `kappa`).

    Args:
        source_codes: `(B, K)` anchors (e.g. image hash outputs).
        target_codes: `(B, K)` positives/negatives (e.g. text hash outputs).
        labels: `(B, C)` multi-hot labels of the anchors.
        target_labels: optional `(B, C)` labels of the targets (default `labels`).
        margin: float, default 0.4.
        kappa: float, default 1.1. The original's `flag + 0.1 = beta * gamma + 0.1` factor, which
            it puts both in the mask and in the weight (DADH triplet_loss.py,
            `get_triplet_mask`).
        ndcg_weights: bool, default True. The original turns them on only when `alpha == 10`.
        ndcg_scale: float, default 10.0, the constant in front of the weighted form.

    Returns:
        scalar float tensor.

    Example:
    >>> import numpy as np
    >>> codes = np.tanh(np.random.default_rng(0).normal(size=(4, 8))).astype("float32")
    >>> labels = np.eye(2, dtype="float32")[[0, 0, 1, 1]]
    >>> float(dadh_triplet_loss(codes, codes[::-1], labels)) >= 0
    True

    References:
        Bai et al., "Deep Adversarial Discrete Hashing for Cross-Modal Retrieval", ICMR 2020.
    """
    source_codes, target_codes = _float(source_codes), _float(target_codes)
    _check_rank2("source_codes", source_codes)
    _check_rank2("target_codes", target_codes)
    relevance, shared = ndcg_relevance(labels, target_labels)
    distances = cosine_distance_matrix(source_codes, target_codes)
    similar = ops.cast(shared > 0, "float32")
    mask = similar[:, :, None] * (1.0 - similar[:, None, :]) * kappa
    hinge = distances[:, :, None] - distances[:, None, :] + margin
    if ndcg_weights:
        weight = (relevance[:, :, None] - relevance[:, None, :]) * kappa
        return ops.sum(ops.relu(ndcg_scale * weight * mask * hinge))
    return ops.sum(ops.relu(mask * hinge))


def discriminator_loss(real_logits: ArrayLike | Tensor, fake_logits: ArrayLike | Tensor) -> Tensor:
    """`-mean log sigmoid(real) - mean log(1 - sigmoid(fake))` (DADH's D losses before gamma).

    Computed with softplus, which equals the original's `log(sigmoid(.))` wherever that is finite
    and stays finite where the original overflows to infinity.
    """
    real_logits, fake_logits = _float(real_logits), _float(fake_logits)
    return ops.mean(ops.softplus(-real_logits)) + ops.mean(ops.softplus(fake_logits))


def generator_adversarial_loss(fake_logits: ArrayLike | Tensor) -> Tensor:
    """`-mean log sigmoid(D(fake))`: the text side pretends to be the image side."""
    return ops.mean(ops.softplus(-_float(fake_logits)))


def gradient_penalty(input_gradients: ArrayLike | Tensor) -> Tensor:
    """WGAN-GP penalty `mean_b (||g_b||_2 - 1)^2` of per-sample input gradients `(B, dim)`."""
    input_gradients = _float(input_gradients)
    _check_rank2("input_gradients", input_gradients)
    squared = ops.sum(ops.square(input_gradients), axis=1)
    # A zero gradient (every ReLU dead) has norm 0 and, as in PyTorch's norm backward, a zero
    # subgradient; the plain sqrt would give NaN.
    positive = squared > 0
    norms = ops.where(positive, ops.sqrt(ops.where(positive, squared, 1.0)), 0.0)
    return ops.mean(ops.square(norms - 1.0))


def dadh_quantization_loss(codes: ArrayLike | Tensor, outputs: ArrayLike | Tensor) -> Tensor:
    """`||B - H||_F^2`, summed over the batch (not averaged), as DADH."""
    return ops.sum(ops.square(_float(codes) - _float(outputs)))


def _row_normalize(x):
    norms = ops.sqrt(ops.sum(ops.square(x), axis=1, keepdims=True))
    return x / ops.maximum(norms, NORMALIZE_EPS)


def djsrh_affinity(
    image_features: ArrayLike | Tensor,
    text_features: ArrayLike | Tensor,
    beta: float,
    eta: float,
    mu: float,
    normalizer: float | None = None,
) -> Tensor:
    """DJSRH's joint-semantics affinity matrix `S` (zs-zhong/DJSRH train.py, `Session.train`).

    `S_I = 2 cos(F_I) - 1`, `S_T = 2 cos(F_T) - 1`, `S~ = beta S_I + (1 - beta) S_T` and
    `S = mu ((1 - eta) S~ + eta S~ S~^T / m)`. A zero feature row normalises to zeros (its
    cosines are 0, so its row of `S_*` is -1, the diagonal included), as `F.normalize` does.

    Args:
        image_features: `(m, F_I)` image features (the frozen copy's fc7 in the original).
        text_features: `(m, F_T)` text features (bag of words).
        beta: float in [0, 1], the image share (0.9 MIR, 0.6 NUS, 0.3 WIKI).
        eta: float, the weight of the second-order term (0.4).
        mu: float, the scale of the targets (1.5; beyond cosine range, as intended).
        normalizer: optional float `m` dividing `S~ S~^T`. The original divides by the constant
            `BATCH_SIZE`; with `drop_last` batches that is the batch size, the default here.

    Returns:
        `(m, m)` float tensor.

    Example:
    >>> import numpy as np
    >>> features = np.abs(np.random.default_rng(0).normal(size=(4, 6))).astype("float32")
    >>> tuple(djsrh_affinity(features, features, beta=0.6, eta=0.4, mu=1.5).shape)
    (4, 4)

    References:
        Su, Zhong, Zhang, "Deep Joint-Semantics Reconstructing Hashing for Large-Scale
        Unsupervised Cross-Modal Retrieval", ICCV 2019.
    """
    image_features = _float(image_features)
    text_features = _float(text_features)
    _check_rank2("image_features", image_features)
    _check_rank2("text_features", text_features)
    if (
        image_features.shape[0] is not None
        and text_features.shape[0] is not None
        and image_features.shape[0] != text_features.shape[0]
    ):
        raise ValueError(
            f"djsrh_affinity: image_features has {image_features.shape[0]} rows but text_features "
            f"has {text_features.shape[0]}; both modalities must describe the same batch."
        )
    image_unit = _row_normalize(image_features)
    text_unit = _row_normalize(text_features)
    image_similarity = 2.0 * ops.matmul(image_unit, ops.transpose(image_unit)) - 1.0
    text_similarity = 2.0 * ops.matmul(text_unit, ops.transpose(text_unit)) - 1.0
    joint = beta * image_similarity + (1.0 - beta) * text_similarity
    if normalizer is None:
        normalizer = ops.cast(ops.shape(joint)[0], "float32")
    second_order = ops.matmul(joint, ops.transpose(joint)) / normalizer
    return mu * ((1.0 - eta) * joint + eta * second_order)


def djsrh_reconstruction_loss(
    image_codes: ArrayLike | Tensor,
    text_codes: ArrayLike | Tensor,
    affinity: ArrayLike | Tensor,
    lambda1: float = 0.1,
    lambda2: float = 0.1,
    return_parts: bool = False,
) -> Tensor | tuple[Tensor, tuple[Tensor, Tensor, Tensor]]:
    """`lambda1 MSE(B_I B_I^T, S) + MSE(B_I B_T^T, S) + lambda2 MSE(B_T B_T^T, S)`.

    zs-zhong/DJSRH train.py, `Session.train`.

    `B_* = rownorm(codes)`; each MSE is a mean over the `m^2` entries.

    Args:
        image_codes, text_codes: `(m, K)` relaxed codes `tanh(alpha * hid)`.
        affinity: `(m, m)` target, from `djsrh_affinity`.
        lambda1, lambda2: floats, default 0.1 (0.3 for WIKI).
        return_parts: also return the three MSE terms.

    Returns:
        scalar tensor, or `(total, (image_image, image_text, text_text))`.
    """
    image_unit = _row_normalize(_float(image_codes))
    text_unit = _row_normalize(_float(text_codes))
    affinity = _float(affinity)
    image_image = ops.mean(ops.square(ops.matmul(image_unit, ops.transpose(image_unit)) - affinity))
    image_text = ops.mean(ops.square(ops.matmul(image_unit, ops.transpose(text_unit)) - affinity))
    text_text = ops.mean(ops.square(ops.matmul(text_unit, ops.transpose(text_unit)) - affinity))
    total = lambda1 * image_image + image_text + lambda2 * text_text
    if return_parts:
        return total, (image_image, image_text, text_text)
    return total


def _split_pair(y_pred, name):
    y_pred = _float(y_pred)
    width = y_pred.shape[-1]
    if width is None or width % 2:
        raise ValueError(
            f"{name}: y_pred must concatenate two (B, K) code matrices along the last "
            f"axis (even width), found shape {tuple(y_pred.shape)}."
        )
    return y_pred[:, : width // 2], y_pred[:, width // 2 :]


@keras.saving.register_keras_serializable(package="keras_hashing")
class DADHTripletLoss(keras.losses.Loss):
    """`dadh_triplet_loss` as a Keras loss: `y_true` labels, `y_pred = concat([source, target])`.

    Args:
        margin: float, default 0.4.
        kappa: float, default 1.1.
        ndcg_weights: bool, default True.
        ndcg_scale: float, default 10.0.
    """

    def __init__(
        self,
        margin: float = 0.4,
        kappa: float = 1.1,
        ndcg_weights: bool = True,
        ndcg_scale: float = 10.0,
        name: str = "dadh_triplet_loss",
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, **kwargs)
        self.margin = float(margin)
        self.kappa = float(kappa)
        self.ndcg_weights = bool(ndcg_weights)
        self.ndcg_scale = float(ndcg_scale)

    def call(self, y_true, y_pred):
        source, target = _split_pair(y_pred, "DADHTripletLoss")
        return dadh_triplet_loss(
            source,
            target,
            y_true,
            margin=self.margin,
            kappa=self.kappa,
            ndcg_weights=self.ndcg_weights,
            ndcg_scale=self.ndcg_scale,
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "margin": self.margin,
                "kappa": self.kappa,
                "ndcg_weights": self.ndcg_weights,
                "ndcg_scale": self.ndcg_scale,
            }
        )
        return config


@keras.saving.register_keras_serializable(package="keras_hashing")
class DJSRHReconstructionLoss(keras.losses.Loss):
    """`djsrh_reconstruction_loss` as a Keras loss: `y_true` is the affinity `S` `(m, m)`,
    `y_pred = concat([image_codes, text_codes], -1)`.

    Args:
        lambda1, lambda2: floats, default 0.1.
    """

    def __init__(
        self,
        lambda1: float = 0.1,
        lambda2: float = 0.1,
        name: str = "djsrh_reconstruction_loss",
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, **kwargs)
        self.lambda1 = float(lambda1)
        self.lambda2 = float(lambda2)

    def call(self, y_true, y_pred):
        image_codes, text_codes = _split_pair(y_pred, "DJSRHReconstructionLoss")
        return djsrh_reconstruction_loss(
            image_codes, text_codes, y_true, self.lambda1, self.lambda2
        )

    def get_config(self):
        config = super().get_config()
        config.update({"lambda1": self.lambda1, "lambda2": self.lambda2})
        return config
