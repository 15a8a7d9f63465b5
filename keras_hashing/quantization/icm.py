"""Iterated conditional modes (ICM) encoding against an additive codebook.

thulab/DeepHash DeepHash/model/dqn/dqn.py, `DQN.update_codes_ICM` and `update_codes_batch`.

For each item the codes start empty; each sweep visits the codebooks in a random order and
re-chooses codebook `m`'s codeword as the best one given the others:
`k* = argmin_k phi(x - sum_{j != m} C_j[k_j] - C_m[k])`, with `phi = ||.||^2` (DQN, DTQ) or
`||V .||^2` (DVSQ, `V` the `L x D` label embeddings). In the first sweep codebooks not yet
visited contribute nothing, so the start is greedy. With a block-diagonal codebook one sweep is
exact product-quantization encoding.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from keras_hashing import validation
from keras_hashing.quantization.codes import index_dtype
from keras_hashing.quantization.codes import indices_to_codes

__all__ = ["icm_encode"]


def _as_generator(seed):
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _icm_chunk(targets, blocks, norms, orders):
    """ICM on one chunk: `targets` (n, E), `blocks` (M, K, E) float64; returns (n, M) int64."""
    num, num_codebooks = len(targets), blocks.shape[0]
    indices = np.zeros((num, num_codebooks), dtype=np.int64)
    assigned = np.zeros(num_codebooks, dtype=bool)
    for order in orders:
        for m in order:
            residual = targets.copy()
            for j in range(num_codebooks):  # ascending j, the same sum as the reference loop
                if j != m and assigned[j]:
                    residual -= blocks[j][indices[:, j]]
            # ||r - c_k||^2 = ||r||^2 - 2 r.c_k + ||c_k||^2; ||r||^2 does not depend on k.
            costs = norms[m] - 2.0 * (residual @ blocks[m].T)
            indices[:, m] = np.argmin(costs, axis=1)  # first minimum: ties go to the lowest k
            assigned[m] = True
    return indices


def icm_encode(
    outputs: ArrayLike,
    codebook: ArrayLike,
    num_codebooks: int,
    num_codewords: int,
    sweeps: int = 3,
    seed: int | np.random.Generator | None = None,
    label_embeddings: ArrayLike | None = None,
    batch_size: int = 500,
    verbose: bool = False,
    return_indices: bool = False,
) -> np.ndarray:
    """Encodes outputs against an `(M*K, D)` codebook with ICM; returns one-hot codes.

    Vectorised over samples and codewords (one matrix product per chunk, codebook and sweep)
    and processed in chunks of `batch_size` rows, so any `N` works (the original's fixed
    500-row `ICM_X` placeholder crashed below 500). The codebook orders
    (`sweeps` permutations of `0..M-1`) are drawn once from `numpy.random.default_rng(seed)`
    and shared by every chunk, so `batch_size` only bounds memory and never changes the codes
    (the original draws new orders for each 500-row chunk with Python's `random`). Ties go to
    the lowest codeword index (TensorFlow's CPU `argmin`). Codes from a previous round are not
    used: every call starts from empty codes, as the original.

    Args:
        outputs: float array `(N, D)`.
        codebook: float array `(M*K, D)`; rows `m*K .. m*K+K-1` are codebook `m`.
        num_codebooks: int, `M`.
        num_codewords: int, `K`.
        sweeps: int, default 3 (the original's `max_iter_update_b`).
        seed: int, `numpy.random.Generator` or None, default None: the codebook orders.
        label_embeddings: float array `(L, D)` or None, default None. When given, the cost is
            `||V r||^2` (`DVSQ.update_codes_ICM`) instead of `||r||^2`.
        batch_size: int, default 500 (the original's `code_batch_size`), rows per chunk.
        verbose: bool, default False; True shows a tqdm progress bar over the chunks.
        return_indices: bool, default False. True returns the compact `(N, M)` indices
            (uint8 for K <= 256) instead of the one-hot codes.

    Returns:
        float32 one-hot codes `(N, M*K)` (the original's representation), or indices
        `(N, M)` with `return_indices=True`.

    Raises:
        ValueError: on shapes that disagree (naming them), non-positive sizes, or non-finite
            values.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> codebook = rng.normal(size=(8, 6)).astype("float32")   # M=2, K=4, D=6
        >>> codes = icm_encode(rng.normal(size=(5, 6)), codebook, 2, 4, seed=0)
        >>> codes.shape, codes.sum(axis=1).tolist()
        ((5, 8), [2.0, 2.0, 2.0, 2.0, 2.0])

    References:
        Zhang, Du and Wang, "Composite quantization for approximate nearest neighbor search",
        ICML 2014 (ICM for additive codes); Cao et al., "Deep Visual-Semantic Quantization for
        Efficient Image Retrieval", CVPR 2017.
    """
    where = "icm_encode"
    num_codebooks = validation.positive_int("num_codebooks", num_codebooks, where)
    num_codewords = validation.positive_int("num_codewords", num_codewords, where)
    sweeps = validation.positive_int("sweeps", sweeps, where)
    batch_size = validation.positive_int("batch_size", batch_size, where)
    outputs = np.asarray(outputs)
    codebook = np.asarray(codebook)
    if outputs.ndim != 2:
        raise ValueError(f"{where}: `outputs` must be 2-D (N, D), found shape {outputs.shape}.")
    dims = outputs.shape[1]
    expected = (num_codebooks * num_codewords, dims)
    if codebook.shape != expected:
        raise ValueError(
            f"{where}: `codebook` must have shape {expected} (M*K={expected[0]} rows "
            f"of the outputs' D={dims}), found {codebook.shape}."
        )
    if not np.all(np.isfinite(codebook)):
        raise ValueError(f"{where}: `codebook` must be finite.")
    blocks = codebook.astype(np.float64).reshape(num_codebooks, num_codewords, dims)
    projection = None
    if label_embeddings is not None:
        projection = np.asarray(label_embeddings, dtype=np.float64)
        if projection.ndim != 2 or projection.shape[1] != dims:
            raise ValueError(
                f"{where}: `label_embeddings` must have shape (L, {dims}), found "
                f"{projection.shape}."
            )
        # ||V (x - sum c)||^2 is the Euclidean cost between x V^T and the rows of C V^T.
        blocks = blocks @ projection.T
    norms = np.sum(blocks * blocks, axis=2)
    rng = _as_generator(seed)
    orders = [rng.permutation(num_codebooks) for _ in range(int(sweeps))]

    num = len(outputs)
    indices = np.zeros((num, num_codebooks), dtype=index_dtype(num_codewords))
    starts = range(0, num, int(batch_size))
    if verbose:
        from tqdm.auto import tqdm

        starts = tqdm(starts, total=len(starts), desc="ICM codes", unit="chunk")
    for start in starts:
        chunk = outputs[start : start + int(batch_size)].astype(np.float64)
        if not np.all(np.isfinite(chunk)):
            row = start + int(np.argwhere(~np.isfinite(chunk))[0, 0])
            raise ValueError(
                f"{where}: `outputs` must be finite, found a non-finite value in row {row}."
            )
        targets = chunk if projection is None else chunk @ projection.T
        indices[start : start + len(chunk)] = _icm_chunk(targets, blocks, norms, orders)
    if return_indices:
        return indices
    return indices_to_codes(indices, num_codebooks, num_codewords)
