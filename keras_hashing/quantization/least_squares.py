"""Closed-form ridge update of the codebook (thulab/DeepHash `update_centers`)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from keras_hashing import validation

__all__ = ["update_codebook"]

# Rows whose squared norm falls below this are unused codewords (the original's threshold).
UNUSED_ROW_THRESHOLD = 1e-8


def update_codebook(
    outputs: ArrayLike,
    codes: ArrayLike,
    ridge: float = 1e-3,
    previous: ArrayLike | None = None,
) -> np.ndarray:
    """Ridge least-squares codebook `C = (B^T B + ridge I)^-1 B^T Z`, in float32.

    Minimises `||Z - B C||_F^2 + ridge ||C||_F^2` over the whole set. The update is Euclidean even
    for DVSQ, as in `DVSQ.update_centers` (DeepHash/model/dvsq/dvsq.py): the unweighted solution
    also minimises the `V`-weighted objective. The system is solved with
    `numpy.linalg.solve` on float32 `B^T B + ridge I` and `B^T Z`; the original multiplies by an
    explicit float32 inverse, which is less accurate and gives the same codebook to about float32
    precision. A codeword no item uses gets a zero row; when `previous` is given, rows with squared
    norm below 1e-8 are restored from it, as the original does.

    Args:
        outputs: float array `Z` `(N, D)`.
        codes: one-hot codes `B` `(N, M*K)` (use `indices_to_codes` for indices).
        ridge: float, default 1e-3 (the original's constant), must be positive.
        previous: float array `(M*K, D)` or None, default None: the codebook before the update.

    Returns:
        float32 `(M*K, D)`. The result is dense: after one update the quantizer is additive,
        no longer block-diagonal.

    Example:
        >>> z = np.array([[1.0, 2.0], [3.0, 4.0]], "float32")
        >>> b = np.array([[1, 0], [0, 1]], "float32")
        >>> update_codebook(z, b, ridge=1e-3).round(3)
        array([[0.999, 1.998],
               [2.997, 3.996]], dtype=float32)
    """
    where = "update_codebook"
    outputs = np.asarray(outputs)
    codes = np.asarray(codes)
    if outputs.ndim != 2 or codes.ndim != 2 or len(outputs) != len(codes):
        raise ValueError(
            f"{where}: expected `outputs` (N, D) and `codes` (N, M*K) with the same "
            f"N, found {outputs.shape} and {codes.shape}."
        )
    ridge = validation.positive_number("ridge", ridge, where)
    outputs = outputs.astype(np.float32, copy=False)
    codes = codes.astype(np.float32, copy=False)
    rows = codes.shape[1]
    if previous is not None:
        previous = np.asarray(previous, dtype=np.float32)
        if previous.shape != (rows, outputs.shape[1]):
            raise ValueError(
                f"{where}: `previous` must have shape {(rows, outputs.shape[1])}, "
                f"found {previous.shape}."
            )
    gram = codes.T @ codes
    gram[np.diag_indices(rows)] += np.float32(ridge)
    codebook = np.linalg.solve(gram, codes.T @ outputs).astype(np.float32)
    if previous is not None:
        unused = np.sum(np.square(codebook), axis=1) < UNUSED_ROW_THRESHOLD
        codebook[unused] = previous[unused]
    return codebook
