"""Pairwise label similarity and the DeepHash balance weights, shared by the pairwise losses."""

from __future__ import annotations

from keras import ops
from numpy.typing import ArrayLike

from keras_hashing._types import Tensor


def label_similarity(
    labels_a: ArrayLike | Tensor, labels_b: ArrayLike | Tensor | None = None
) -> Tensor:
    """Pairwise similarity `s_ij = clip(y_i . y_j, 0, 1)` of multi-hot label rows.

    Two items are similar when they share at least one label, as in every thulab/DeepHash
    loss (e.g. DeepHash/model/dhn/dhn.py, `DHN.cross_entropy`).

    Args:
        labels_a: `(N, L)` multi-hot labels.
        labels_b: optional `(M, L)` labels; defaults to `labels_a` (the in-batch case).

    Returns:
        `(N, M)` float tensor of 0/1 similarities.
    """
    labels_a = ops.cast(ops.convert_to_tensor(labels_a), "float32")
    labels_b = (
        labels_a if labels_b is None else ops.cast(ops.convert_to_tensor(labels_b), "float32")
    )
    return ops.clip(ops.matmul(labels_a, ops.transpose(labels_b)), 0.0, 1.0)


def balance_weights(similarity: Tensor) -> Tensor:
    """DeepHash's pair weights `|s - 1| + (sum|2s - 1| / sum s) * s`.

    For binary `s` this is 1 for a dissimilar pair and `#pairs / #similar pairs` for a similar
    one: only similar pairs are up-weighted (thulab/DeepHash `DHN.cross_entropy` and
    `DCH.cauchy_cross_entropy`, kept exactly). Every entry of
    `similarity` counts, the diagonal included, whatever the caller later averages over.
    """
    total = ops.sum(ops.abs(2.0 * similarity - 1.0))
    # A batch with no similar pair has nothing to up-weight; the original divides by zero here
    # (0 * inf = NaN). The guard only changes that degenerate batch.
    num_similar = ops.maximum(ops.sum(similarity), 1e-12)
    return ops.abs(similarity - 1.0) + (total / num_similar) * similarity


def off_diagonal_mask(num_rows: int | Tensor) -> Tensor:
    """Float `(N, N)` mask that is 0 on the diagonal and 1 elsewhere."""
    return 1.0 - ops.eye(num_rows, dtype="float32")


def safe_norm_divisor(squared: Tensor) -> Tensor:
    """`sqrt(squared)` where it is positive and 1 where it is 0, for dividing by a norm.

    The originals divide by vector norms with no epsilon, so a zero output row (a dead ReLU
    trunk, an all-zero feature) turns the loss and every gradient into NaN. A zero row always
    has a zero numerator (`z . w = 0`, `z = 0`), so dividing it by 1 gives a cosine of 0 and a
    finite gradient, while every other value stays exactly the original's. The inner `where`
    keeps the untaken `sqrt(0)` branch out of the gradient (its derivative is infinite).

    Args:
        squared: tensor of squared norms (or products of them), `>= 0`.

    Returns:
        A tensor of the same shape, never 0.
    """
    positive = squared > 0
    return ops.where(positive, ops.sqrt(ops.where(positive, squared, 1.0)), 1.0)
