"""The NumPy steps of a code-update round, on compact `(n, M)` codeword indices.

One chunking and seeding rule for every caller (the DQN/DVSQ/DTQ callbacks, the models'
`quantize_outputs` and the evaluation): ICM runs over `chunk_size` rows at a time, and each chunk
draws its own codebook-order seed from one `np.random.Generator`, so the codes depend on the
generator's seed and the chunk size only, not on how the caller splits the work.
"""

from __future__ import annotations

import keras
import numpy as np
from numpy.typing import ArrayLike

from keras_hashing.quantization.codes import indices_to_codes
from keras_hashing.quantization.icm import icm_encode
from keras_hashing.quantization.least_squares import update_codebook


def icm_codes(
    outputs: ArrayLike,
    codebook: ArrayLike,
    num_codebooks: int,
    num_codewords: int,
    sweeps: int,
    chunk_size: int,
    rng: np.random.Generator | None = None,
    label_embeddings: ArrayLike | None = None,
    verbose: int = 0,
) -> np.ndarray:
    """ICM codeword indices `(n, M)` of `(n, D)` outputs, chunk by chunk.

    thulab/DeepHash `DeepHash/model/dqn/dqn.py`, `update_codes_batch`: the original encodes
    `code_batch_size` rows at a time with `max_iter_update_b` ICM sweeps.

    Args:
        outputs: `(n, D)` float array.
        codebook: `(M*K, D)` codebook.
        num_codebooks: int, `M`.
        num_codewords: int, `K`.
        sweeps: int, ICM sweeps per chunk (`max_iter_update_b`).
        chunk_size: int, rows per chunk (`code_batch_size`).
        rng: `np.random.Generator` drawing each chunk's seed; default a fresh unseeded one.
        label_embeddings: optional `(L, D)` matrix for DVSQ's `||V r||^2` cost.
        verbose: int, 1 shows a progress bar.

    Returns:
        int64 array `(n, M)`.

    Example:
    >>> z = np.random.default_rng(0).normal(size=(10, 4)).astype("float32")
    >>> c = np.random.default_rng(1).normal(size=(8, 4)).astype("float32")
    >>> icm_codes(z, c, 2, 4, sweeps=3, chunk_size=4, rng=np.random.default_rng(0)).shape
    (10, 2)
    """
    rng = np.random.default_rng() if rng is None else rng
    outputs = np.asarray(outputs, dtype=np.float32)
    num = len(outputs)
    chunk_size = max(1, int(chunk_size))
    bar = keras.utils.Progbar(num, unit_name="code") if verbose else None
    codes = np.zeros((num, num_codebooks), dtype=np.int64)
    for start in range(0, num, chunk_size):
        stop = min(start + chunk_size, num)
        codes[start:stop] = icm_encode(
            outputs[start:stop],
            codebook,
            num_codebooks,
            num_codewords,
            sweeps=sweeps,
            seed=int(rng.integers(2**31 - 1)),
            label_embeddings=label_embeddings,
            return_indices=True,
        )
        if bar is not None:
            bar.update(stop)
    return codes


def least_squares_codebook(
    outputs: ArrayLike,
    codes: ArrayLike,
    previous: ArrayLike | None,
    num_codebooks: int,
    num_codewords: int,
    ridge: float = 1e-3,
) -> np.ndarray:
    """The closed-form ridge codebook for `(n, M)` indices; unused codewords keep `previous`.

    thulab/DeepHash `DeepHash/model/dvsq/dvsq.py`, `update_centers`.

    Args:
        outputs: `(n, D)` float array.
        codes: `(n, M)` int codeword indices.
        previous: `(M*K, D)` codebook the unused rows are taken from.
        num_codebooks: int, `M`.
        num_codewords: int, `K`.
        ridge: float, default 1e-3.

    Returns:
        float32 `(M*K, D)` codebook.
    """
    one_hot = indices_to_codes(codes, num_codebooks, num_codewords)
    return np.asarray(
        update_codebook(outputs, one_hot, ridge=ridge, previous=previous), dtype=np.float32
    )
