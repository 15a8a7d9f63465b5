"""mAP@R after sign on the accelerator, with `keras.ops` (any backend).

The Hamming distances come from one matmul of the +-1 codes; the top `top_k` are chosen by
`ops.top_k` on the composite integer key `-(hamming * N + index)`, so ties break by database
index exactly as `map_after_sign(..., tie_break="index")` and the values agree with NumPy.
"""

from __future__ import annotations

import numpy as np
from keras import ops
from numpy.typing import ArrayLike

from keras_hashing.metrics import _core

_INT32_MAX = 2**31 - 1


@_core.renamed_arguments(R="top_k")
def map_after_sign_device(
    query_outputs: ArrayLike,
    query_labels: ArrayLike,
    database_outputs: ArrayLike,
    database_labels: ArrayLike,
    top_k: int | None,
    chunk_size: int | None = None,
    verbose: bool | str = "auto",
) -> float:
    """`map_after_sign` (index tie-break, `sign(0) = +1`) computed with `keras.ops`.

    Args:
        query_outputs: `(Q, D)` real outputs or codes.
        query_labels: `(Q, L)` 0/1 labels.
        database_outputs: `(N, D)` real outputs or codes.
        database_labels: `(N, L)` 0/1 labels.
        top_k: int in 1..N or None (the whole database): how many ranked database items
            count, the R of the original's mAP@R (the keyword `R` is a deprecated alias).
        chunk_size: int or None; queries per block (default keeps a block near 4M pairs).
        verbose: bool or "auto", a tqdm bar over blocks.

    Returns:
        float, the mAP (queries with no relevant item in their top `top_k` are skipped).

    Example:
    >>> q = np.array([[0.3, -0.2]]); x = np.array([[0.9, -0.1], [-1.0, 0.4], [0.5, 0.5]])
    >>> round(map_after_sign_device(q, [[1, 0]], x, [[1, 0], [0, 1], [1, 0]], top_k=2), 6)
    1.0

    References:
        thulab/DeepHash DeepHash/evaluation/__init__.py, `MAPs.get_mAPs_after_sign`.
    """
    query, query_labels, database, database_labels = _core.check_pair(
        query_outputs, query_labels, database_outputs, database_labels
    )
    num_database, bits = database.shape
    top_k = _core.check_top_k(top_k, num_database)
    if num_database * (bits + 1) > _INT32_MAX:
        raise ValueError(
            f"map_after_sign_device: the int32 ranking key needs N*(D+1) < 2**31, "
            f"found N={num_database}, D={bits}; use map_after_sign (NumPy)."
        )
    database_signs = ops.convert_to_tensor(np.where(database >= 0, 1.0, -1.0).astype(np.float32))
    database_labels_t = ops.convert_to_tensor(database_labels)
    index = ops.arange(num_database, dtype="int32")
    positions = ops.arange(1, top_k + 1, dtype="float32")
    bounds = _core.chunk_bounds(len(query), num_database, chunk_size)
    aps = []
    for start, stop in _core.progress(bounds, verbose, len(query), num_database, "mAP (device)"):
        signs = np.where(query[start:stop] >= 0, 1.0, -1.0).astype(np.float32)
        signs = ops.convert_to_tensor(signs)
        products = ops.matmul(signs, ops.transpose(database_signs))
        hamming = ops.cast(ops.round((bits - products) * 0.5), "int32")
        key = -(hamming * num_database + index[None, :])
        _, top = ops.top_k(key, k=top_k, sorted=True)
        labels = ops.convert_to_tensor(query_labels[start:stop])
        relevant = ops.cast(ops.matmul(labels, ops.transpose(database_labels_t)) > 0, "int32")
        ranked = ops.take_along_axis(relevant, top, axis=1)
        hits = ops.cumsum(ranked, axis=1)
        total = ops.sum(ops.cast(hits * ranked, "float32") / positions, axis=1)
        count = ops.convert_to_numpy(hits[:, -1]).astype(np.int64)
        total = ops.convert_to_numpy(total).astype(np.float64)
        kept = count > 0
        aps.append(total[kept] / count[kept])
    return _core.mean_or_nan(np.concatenate(aps) if aps else [])
