"""NumPy distances of thulab/DeepHash (DeepHash/distance/npversion.py).

Every function returns a *distance*: smaller means more similar. `pair=True` compares every row
of `x1 (N1, D)` with every row of `x2 (N2, D)` and returns `(N1, N2)`; `pair=False` compares
row `i` with row `i` of two `(N, D)` arrays and returns `(N,)`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from keras_hashing import validation

# The NumPy original normalises with `x / (1e-20 + |x|)`; the TF version has no epsilon.
NORM_EPSILON = 1e-20

DIST_TYPES = (
    "euclidean2",
    "euclidean",
    "averaged_euclidean2",
    "averaged_euclidean",
    "normed_euclidean2",
    "inner_product",
    "cosine",
)

# Pairwise types other than inner product broadcast to (rows, N2, D); rows of x1 are processed in
# blocks so that block never holds more than this many elements.
_BROADCAST_BLOCK_ELEMENTS = 1 << 24


def norm(x: np.ndarray, keepdims: bool = False) -> np.ndarray:
    """Euclidean norm over the last axis."""
    return np.sqrt(np.sum(np.square(x), axis=-1, keepdims=keepdims))


def normed(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit norm, `x / (1e-20 + |x|)` as the NumPy original."""
    return x / (NORM_EPSILON + norm(x, keepdims=True))


def euclidean2(x1: np.ndarray, x2: np.ndarray) -> np.ndarray:
    """Squared Euclidean distance over the last axis (broadcasting)."""
    return np.sum(np.square(x1 - x2), axis=-1)


def euclidean(x1: np.ndarray, x2: np.ndarray) -> np.ndarray:
    """Euclidean distance over the last axis (broadcasting)."""
    return np.sqrt(euclidean2(x1, x2))


def averaged_euclidean2(x1: np.ndarray, x2: np.ndarray) -> np.ndarray:
    """Mean instead of sum of the squared differences."""
    return np.mean(np.square(x1 - x2), axis=-1)


def averaged_euclidean(x1: np.ndarray, x2: np.ndarray) -> np.ndarray:
    """Square root of `averaged_euclidean2`."""
    return np.sqrt(averaged_euclidean2(x1, x2))


def normed_euclidean2(x1: np.ndarray, x2: np.ndarray) -> np.ndarray:
    """Squared Euclidean distance of the normalised vectors."""
    return euclidean2(normed(x1), normed(x2))


def inner_product(x1: np.ndarray, x2: np.ndarray, pair: bool = False) -> np.ndarray:
    """Negative dot product: `-x1 . x2` row-wise, or `-x1 x2^T` with `pair=True`."""
    if pair:
        return -np.inner(x1, x2)
    return -np.sum(x1 * x2, axis=-1)


def cosine(x1: np.ndarray, x2: np.ndarray) -> np.ndarray:
    """`(1 - cos(x1, x2)) / 2`, in 0..1 (broadcasting)."""
    return (1 + inner_product(normed(x1), normed(x2))) / 2


_BROADCAST_FUNCTIONS = {
    "euclidean2": euclidean2,
    "euclidean": euclidean,
    "averaged_euclidean2": averaged_euclidean2,
    "averaged_euclidean": averaged_euclidean,
    "normed_euclidean2": normed_euclidean2,
    "cosine": cosine,
}


def check_dist_type(dist_type: str) -> None:
    validation.one_of("dist_type", dist_type, DIST_TYPES)


def distance(
    x1: ArrayLike,
    x2: ArrayLike | None = None,
    pair: bool = True,
    dist_type: str = "euclidean2",
    sign: bool = False,
) -> np.ndarray:
    """Distance between rows of `x1` and `x2` (`npversion.distance`), smaller is more similar.

    Args:
        x1: `(N1, D)` array.
        x2: `(N2, D)` array, default None (then `x1`).
        pair: bool, default True. True: every pair, `(N1, N2)`; False: row `i` against row `i`,
            `(N,)`, which needs `N1 == N2`.
        dist_type: str, default "euclidean2"; one of `DIST_TYPES`.
        sign: bool, default False. Apply `hash_sign(..., zero="positive")` to both sides first
            (the original's `ifsign`, which maps zeros to a random sign instead).

    Returns:
        NumPy array of distances.

    Example:
    >>> x1 = 2 * np.array([[1., 1, 1], [1, 1, 0]]); x2 = 3 * np.eye(3)
    >>> distance(x1, x2, dist_type="euclidean2").tolist()
    [[9.0, 9.0, 9.0], [5.0, 5.0, 17.0]]

    References:
        thulab/DeepHash, `DeepHash/distance/npversion.py`.
    """
    check_dist_type(dist_type)
    x1 = np.asarray(x1)
    x2 = x1 if x2 is None else np.asarray(x2)
    if x1.ndim != 2 or x2.ndim != 2 or x1.shape[1] != x2.shape[1]:
        raise ValueError(
            f"distance() expects (N1, D) and (N2, D) arrays with the same D, found "
            f"{x1.shape} and {x2.shape}."
        )
    if not pair and x1.shape[0] != x2.shape[0]:
        raise ValueError(
            f"distance(pair=False) needs as many rows on both sides, found "
            f"{x1.shape[0]} and {x2.shape[0]}."
        )
    if sign:
        from keras_hashing.metrics.retrieval import hash_sign

        x1, x2 = hash_sign(x1), hash_sign(x2)
    if dist_type == "inner_product":
        return inner_product(x1, x2, pair)
    function = _BROADCAST_FUNCTIONS[dist_type]
    if not pair:
        return function(x1, x2)
    # Same arithmetic as the original's (N1, 1, D) - (1, N2, D) broadcast, in bounded blocks.
    rows = max(1, _BROADCAST_BLOCK_ELEMENTS // max(1, x2.shape[0] * x2.shape[1]))
    blocks = [
        function(x1[start : start + rows, None, :], x2[None, :, :])
        for start in range(0, x1.shape[0], rows)
    ]
    if not blocks:
        return np.zeros((0, x2.shape[0]), dtype=np.result_type(x1, x2, np.float32))
    return np.concatenate(blocks, axis=0)
