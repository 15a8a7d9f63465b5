"""Block-diagonal k-means initialisation of the codebook (thulab/DeepHash `initial_centers`)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from keras_hashing import validation

__all__ = ["KMEANS_DEFAULTS", "kmeans_init_codebook"]

# scikit-learn's MiniBatchKMeans defaults of the releases thulab/DeepHash ran with (HEAD is from
# 2019: scikit-learn 0.20-0.22, unpinned in its requirements.txt). They changed later
# (batch_size 1024 from 1.2, n_init "auto" = 1 from 1.4), so they are pinned here; pass
# batch_size=1024, n_init="auto" for today's behaviour.
KMEANS_DEFAULTS: dict[str, Any] = {
    "init": "k-means++",
    "max_iter": 100,
    "batch_size": 100,
    "n_init": 3,
    "tol": 0.0,
    "max_no_improvement": 10,
    "init_size": None,  # 3 * batch_size, raised to 3 * n_clusters when smaller than n_clusters
    "reassignment_ratio": 0.01,
    "compute_labels": True,
}


def kmeans_init_codebook(
    outputs: ArrayLike,
    num_codebooks: int,
    num_codewords: int,
    seed: int | np.random.Generator | None = None,
    **kmeans_kwargs: Any,
) -> np.ndarray:
    """Fits one MiniBatchKMeans per subspace and returns the block-diagonal codebook.

    With `d = D // M`, codebook `m` (rows `m*K .. m*K+K-1`) holds the `K` centres of the columns
    `m*d .. (m+1)*d - 1` in those columns and zeros elsewhere, so that ICM against it is exactly
    product quantization. When `D % M != 0` the last `D - M*d` columns are covered by no
    codebook and stay zero, as in the original.

    scikit-learn defaults reproduced (those of 0.20-0.22, which the original used):
    `batch_size=100`, `n_init=3`, `max_iter=100`, `init="k-means++"`, `tol=0.0`,
    `max_no_improvement=10`, `init_size=None`, `reassignment_ratio=0.01` (see
    `KMEANS_DEFAULTS`). `kmeans_kwargs` override them.

    Args:
        outputs: float array `(N, D)` with `N >= K`.
        num_codebooks: int, `M` (at most `D`).
        num_codewords: int, `K`.
        seed: int, `numpy.random.Generator` or None, default None. Each subspace's
            `random_state` is drawn from `numpy.random.default_rng(seed)`; None is
            non-deterministic, as the original (which fixes no seed).
        **kmeans_kwargs: other `sklearn.cluster.MiniBatchKMeans` arguments.

    Returns:
        float32 `(M*K, D)` codebook.

    Raises:
        ValueError: on a wrong shape, `N < K`, `M > D`, non-finite outputs, or
            `n_clusters`/`random_state` among `kmeans_kwargs`.

    Example:
        >>> z = np.random.default_rng(0).normal(size=(64, 6)).astype("float32")
        >>> kmeans_init_codebook(z, 2, 4, seed=0).shape
        (8, 6)

    References:
        Jegou, Douze and Schmid, "Product quantization for nearest neighbor search", TPAMI 2011.
        Cao et al., "Deep Quantization Network for Efficient Image Retrieval", AAAI 2016.
    """
    from sklearn.cluster import MiniBatchKMeans

    where = "kmeans_init_codebook"
    num_codebooks = validation.positive_int("num_codebooks", num_codebooks, where)
    num_codewords = validation.positive_int("num_codewords", num_codewords, where)
    outputs = np.asarray(outputs)
    if outputs.ndim != 2:
        raise ValueError(f"{where}: `outputs` must be 2-D (N, D), found shape {outputs.shape}.")
    outputs = outputs.astype(np.float32, copy=False)
    num, dims = outputs.shape
    if not np.all(np.isfinite(outputs)):
        row = int(np.argwhere(~np.isfinite(outputs))[0, 0])
        raise ValueError(
            f"{where}: `outputs` must be finite, found a non-finite value in row {row}."
        )
    if num_codebooks > dims:
        raise ValueError(
            f"{where}: `num_codebooks`={num_codebooks} exceeds the output "
            f"dimension {dims}; each codebook needs at least one column."
        )
    if num < num_codewords:
        raise ValueError(
            f"{where}: k-means with {num_codewords} codewords needs at least "
            f"{num_codewords} outputs, found {num}."
        )
    for reserved in ("n_clusters", "random_state"):
        if reserved in kmeans_kwargs:
            raise ValueError(
                f"{where}: `{reserved}` is set from `num_codewords`/`seed`; do not "
                f"pass it in kmeans_kwargs."
            )
    options = dict(KMEANS_DEFAULTS)
    options.update(kmeans_kwargs)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    states = rng.integers(0, 2**31 - 1, size=num_codebooks)
    width = dims // num_codebooks
    codebook = np.zeros((num_codebooks * num_codewords, dims), dtype=np.float32)
    for m in range(num_codebooks):
        columns = slice(m * width, (m + 1) * width)
        kmeans = MiniBatchKMeans(n_clusters=num_codewords, random_state=int(states[m]), **options)
        kmeans.fit(outputs[:, columns])
        codebook[m * num_codewords : (m + 1) * num_codewords, columns] = kmeans.cluster_centers_
    return codebook
