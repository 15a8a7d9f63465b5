"""Code representations of the additive quantizers and the reconstruction from a codebook.

thulab/DeepHash stores a code as a float32 one-hot row of length `M*K` (one 1 in each block of `K`,
e.g. `b_img` in DeepHash/model/dqn/dqn.py); users usually want the compact `(N, M)` indices (uint8
for `K <= 256`), which take `M*K*4 / M` = 1 024 times less memory at the defaults.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from keras_hashing import validation

__all__ = ["codes_to_indices", "indices_to_codes", "reconstruct"]


def index_dtype(num_codewords: int) -> np.dtype:
    """The smallest unsigned dtype holding 0..num_codewords-1."""
    for dtype in (np.uint8, np.uint16, np.uint32):
        if num_codewords - 1 <= np.iinfo(dtype).max:
            return np.dtype(dtype)
    return np.dtype(np.uint64)


def codes_to_indices(codes: ArrayLike, num_codebooks: int, num_codewords: int) -> np.ndarray:
    """One-hot codes `(N, M*K)` to codeword indices `(N, M)`.

    Args:
        codes: array `(N, M*K)` with exactly one 1 (and K-1 zeros) in each block of `K`.
        num_codebooks: int, `M`.
        num_codewords: int, `K`.

    Returns:
        `(N, M)` indices of the smallest unsigned dtype that holds `K - 1` (uint8 for K <= 256,
        uint16 for K <= 65 536).

    Raises:
        ValueError: on a wrong shape, or naming the first row and codebook whose block is not
            one-hot.

    Example:
        >>> codes_to_indices(np.array([[0, 1, 0, 1, 0, 0]]), 2, 3)
        array([[1, 0]], dtype=uint8)
    """
    where = "codes_to_indices"
    num_codebooks = validation.positive_int("num_codebooks", num_codebooks, where)
    num_codewords = validation.positive_int("num_codewords", num_codewords, where)
    codes = np.asarray(codes)
    if codes.ndim != 2 or codes.shape[1] != num_codebooks * num_codewords:
        raise ValueError(
            f"{where}: `codes` must have shape (N, {num_codebooks * num_codewords}) "
            f"(M={num_codebooks} x K={num_codewords}), found {codes.shape}."
        )
    blocks = codes.reshape(len(codes), num_codebooks, num_codewords)
    ones = blocks == 1
    valid = (ones.sum(axis=2) == 1) & ((ones | (blocks == 0)).all(axis=2))
    if not valid.all():
        row, book = np.argwhere(~valid)[0]
        raise ValueError(
            f"{where}: row {row}, codebook {book} is not one-hot: found "
            f"{blocks[row, book].tolist()}."
        )
    return ones.argmax(axis=2).astype(index_dtype(num_codewords))


def indices_to_codes(indices: ArrayLike, num_codebooks: int, num_codewords: int) -> np.ndarray:
    """Codeword indices `(N, M)` to the original's float32 one-hot codes `(N, M*K)`.

    Args:
        indices: integer array `(N, M)` with entries in `0..K-1`.
        num_codebooks: int, `M`.
        num_codewords: int, `K`.

    Returns:
        float32 array `(N, M*K)`.

    Example:
        >>> indices_to_codes(np.array([[1, 0]]), 2, 3)
        array([[0., 1., 0., 1., 0., 0.]], dtype=float32)
    """
    where = "indices_to_codes"
    num_codebooks = validation.positive_int("num_codebooks", num_codebooks, where)
    num_codewords = validation.positive_int("num_codewords", num_codewords, where)
    indices = np.asarray(indices)
    if indices.ndim != 2 or indices.shape[1] != num_codebooks:
        raise ValueError(
            f"{where}: `indices` must have shape (N, {num_codebooks}), found {indices.shape}."
        )
    if not (np.issubdtype(indices.dtype, np.integer) or indices.size == 0):
        if not np.array_equal(indices, np.round(indices)):
            raise ValueError(f"{where}: `indices` must be integers, found dtype {indices.dtype}.")
    indices = indices.astype(np.int64)
    bad = (indices < 0) | (indices >= num_codewords)
    if bad.any():
        row, book = np.argwhere(bad)[0]
        raise ValueError(
            f"{where}: indices must lie in 0..{num_codewords - 1}, found "
            f"{indices[row, book]} at row {row}, codebook {book}."
        )
    codes = np.zeros((len(indices), num_codebooks * num_codewords), dtype=np.float32)
    columns = indices + np.arange(num_codebooks) * num_codewords
    codes[np.arange(len(indices))[:, None], columns] = 1.0
    return codes


def reconstruct(codes: ArrayLike, codebook: ArrayLike) -> np.ndarray:
    """The quantized vectors `B C`: the sum of each item's chosen codewords.

    Args:
        codes: one-hot `(N, M*K)` codes (the original's form; any numeric dtype), or integer
            indices `(N, M)`, in which case `K = codebook.shape[0] / M`.
        codebook: `(M*K, D)` codebook; rows `m*K .. m*K+K-1` are codebook `m`.

    Returns:
        float32 `(N, D)`.

    Example:
        >>> codebook = np.arange(12, dtype="float32").reshape(6, 2)  # M=2, K=3, D=2
        >>> reconstruct(np.array([[1, 2]]), codebook)   # rows 1 and 3+2
        array([[12., 14.]], dtype=float32)
    """
    codebook = np.asarray(codebook, dtype=np.float32)
    codes = np.asarray(codes)
    if codebook.ndim != 2:
        raise ValueError(f"reconstruct: `codebook` must be 2-D (M*K, D), found {codebook.shape}.")
    if codes.ndim != 2:
        raise ValueError(f"reconstruct: `codes` must be 2-D, found {codes.shape}.")
    rows = codebook.shape[0]
    if codes.shape[1] == rows:
        return codes.astype(np.float32) @ codebook
    if np.issubdtype(codes.dtype, np.integer) and codes.shape[1] and rows % codes.shape[1] == 0:
        num_codebooks = codes.shape[1]
        num_codewords = rows // num_codebooks
        if codes.size and (codes.min() < 0 or codes.max() >= num_codewords):
            raise ValueError(
                f"reconstruct: indices must lie in 0..{num_codewords - 1}, found "
                f"values in {codes.min()}..{codes.max()}."
            )
        rows_used = codes.astype(np.int64) + np.arange(num_codebooks) * num_codewords
        return codebook[rows_used].sum(axis=1, dtype=np.float32)
    raise ValueError(
        f"reconstruct: `codes` must be one-hot (N, {rows}) or integer indices (N, M) "
        f"with M dividing {rows}; found {codes.dtype} {codes.shape}."
    )
