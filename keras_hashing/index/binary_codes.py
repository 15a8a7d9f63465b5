"""Checking and packing the binary codes every Hamming index takes.

Three forms are accepted: `{-1, +1}` signs (what `model.encode` returns), `{0, 1}` bits, and
codes already packed 8 bits a byte (`numpy.packbits` order, uint8, `ceil(code_length / 8)`
columns). Anything else (a real-valued output, NaN, a third value, the wrong width) is refused
with the row and column of the first offending entry, because a silently thresholded real output
would give plausible but wrong neighbours.

Code lengths that are not a multiple of 8 are padded with zero bits on the right: the padding is
identical in every code, so Hamming distances are unchanged.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from keras_hashing import validation

__all__ = ["num_code_bytes", "pack_codes", "unpack_codes"]


def num_code_bytes(code_length: int) -> int:
    """Bytes a packed code of `code_length` bits takes: `ceil(code_length / 8)`."""
    return -(-int(code_length) // 8)


def _first_bad(mask: np.ndarray) -> tuple[int, int]:
    row, column = np.argwhere(mask)[0]
    return int(row), int(column)


def pack_codes(
    codes: npt.ArrayLike, code_length: int | None = None, name: str = "codes"
) -> np.ndarray:
    """Checks binary codes and packs them into `(N, ceil(D / 8))` uint8, bit 1 for +1 (or 1).

    Args:
        codes: array-like `(N, D)` of `{-1, +1}` or `{0, 1}` values (any numeric or bool
            dtype), or uint8 `(N, ceil(D / 8))` codes packed by `numpy.packbits`.
        code_length: int or None, default None. The expected number of bits `D`; None takes
            it from the width of `codes` (which then cannot be packed).
        name: str, default "codes"; names the argument in error messages.

    Returns:
        uint8 array `(N, ceil(D / 8))`; when `D` is not a multiple of 8 the last byte's low
        bits are zero.

    Raises:
        ValueError: when `codes` is not 2-D, has a width that is neither `D` nor
            `ceil(D / 8)`, holds NaN or a value outside `{-1, +1}` / `{0, 1}` (naming the first
            row and column), mixes -1 with 0, or is packed with nonzero padding bits.

    Example:
    >>> pack_codes(np.array([[1, -1, -1, -1, -1, -1, -1, 1, 1, 1]])).tolist()
    [[129, 192]]
    """
    codes = np.asarray(codes)
    if codes.ndim != 2:
        raise ValueError(
            f"`{name}` must be a 2-D array (N, code_length), found shape {codes.shape}; "
            "pass a single code as codes[None]."
        )
    if code_length is None:
        code_length = codes.shape[1]
    code_length = validation.positive_int("code_length", code_length, "pack_codes")
    width = num_code_bytes(code_length)
    if codes.shape[1] == width and codes.dtype == np.uint8 and code_length != width:
        padding = 8 * width - code_length
        if padding and np.any(codes[:, -1] & ((1 << padding) - 1)):
            row = int(np.argmax(codes[:, -1] & ((1 << padding) - 1)))
            raise ValueError(
                f"`{name}` looks packed ({width} uint8 bytes for {code_length} bits) but row "
                f"{row} has nonzero padding bits in its last byte ({int(codes[row, -1])}); "
                "pack with numpy.packbits on zero-padded bits."
            )
        return np.ascontiguousarray(codes)
    if codes.shape[1] != code_length:
        raise ValueError(
            f"`{name}` must have {code_length} columns ({{-1, +1}} or {{0, 1}} values) or "
            f"{width} packed uint8 columns, found shape {codes.shape} with dtype {codes.dtype}."
        )
    if codes.dtype == bool:
        bits = codes
    elif np.issubdtype(codes.dtype, np.number):
        if np.issubdtype(codes.dtype, np.floating) and np.isnan(codes).any():
            row, column = _first_bad(np.isnan(codes))
            raise ValueError(f"`{name}` holds NaN at row {row}, column {column}.")
        bits = codes == 1
        zeros = codes == 0
        negatives = codes == -1
        bad = ~(bits | zeros | negatives)
        if bad.any():
            row, column = _first_bad(bad)
            raise ValueError(
                f"`{name}` must hold {{-1, +1}} or {{0, 1}} codes (take the sign of real "
                f"outputs first), found {codes[row, column].item()!r} at row {row}, "
                f"column {column}."
            )
        if zeros.any() and negatives.any():
            raise ValueError(f"`{name}` mixes -1 and 0: use {{-1, +1}} or {{0, 1}}, not both.")
    else:
        raise ValueError(f"`{name}` must be numeric or bool, found dtype {codes.dtype}.")
    return np.packbits(bits, axis=1)


def unpack_codes(packed: npt.ArrayLike, code_length: int) -> np.ndarray:
    """Packed uint8 codes back to `{-1, +1}` int8 `(N, code_length)`.

    Example:
    >>> unpack_codes(np.array([[129, 192]], np.uint8), 10).tolist()
    [[1, -1, -1, -1, -1, -1, -1, 1, 1, 1]]
    """
    bits = np.unpackbits(np.asarray(packed, np.uint8), axis=1, count=int(code_length))
    return (2 * bits.astype(np.int8) - 1).astype(np.int8)
