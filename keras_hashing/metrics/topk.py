"""mAP@top-k over Hamming ranking, with DHN_PyTorch's conventions (`utils/evaluate.py`)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from keras_hashing import validation
from keras_hashing.metrics import _core
from keras_hashing.metrics import _counting


def _sign_codes(values, name):
    values = np.asarray(values, dtype=np.float32)
    if values.ndim != 2:
        raise ValueError(f"`{name}` must be a 2-D (N, bits) array, found shape {values.shape}.")
    # torch.sign: 0 stays 0 (tanh outputs are exactly 0 only by accident).
    return np.sign(values)


@_core.renamed_arguments(topk="top_k")
def map_at_topk(
    query_codes: ArrayLike,
    database_codes: ArrayLike,
    query_labels: ArrayLike,
    database_labels: ArrayLike,
    top_k: int | None = None,
    drop_last: bool = False,
    tie_break: str = "index",
    batch_size: int = 256,
) -> float:
    """Mean average precision of the top `top_k` Hamming neighbours, as DHN_PyTorch reports it.

    For each query the database is ranked by Hamming distance `(K - q . r) / 2` of the signs,
    the first `top_k` items are kept, and AP is the mean of `(rank among relevant) / position`
    over the relevant items retrieved. A query with no relevant item retrieved scores 0 and *is*
    counted: the mean is over every query. (`map_at_r`, the thulab/DeepHash metric, skips such
    queries instead.) Relevance is sharing a label, `y_q . y_r > 0`.

    `top_k=None` (or -1) ranks the whole database. The original passes `--topk -1` straight to a
    slice `[:topk]`, which drops the last-ranked item; `drop_last=True` reproduces that.

    Args:
        query_codes: `(Q, K)` codes or real outputs (their signs are used; `sign(0) = 0`).
        database_codes: `(N, K)` codes or outputs.
        query_labels: `(Q, L)` multi-hot labels.
        database_labels: `(N, L)` multi-hot labels.
        top_k: int or None, default None (all). -1 also means all. How many ranked database
            items count: the original's `--topk`, the R of mAP@R elsewhere (the keyword `topk`
            is a deprecated alias).
        drop_last: bool, default False. With `top_k` all, leave out the last-ranked item, as the
            original's `[:-1]` slice does.
        tie_break: "index" (default: equal distances in database order, as a stable sort) or
            "numpy" (NumPy's default sort; PyTorch's `argsort` order is unspecified too). With
            "index" and non-negative labels the ranking is a counting pass over the database
            per query (popcount distances, never sorted), as in `map_after_sign`.
        batch_size: int, default 256, queries ranked at once.

    Returns:
        float, the mAP.

    Example:
    >>> q = np.array([[1, 1], [-1, -1]]); r = np.array([[1, 1], [-1, 1], [-1, -1]])
    >>> yq = np.eye(2)[[0, 1]]; yr = np.eye(2)[[0, 1, 1]]
    >>> map_at_topk(q, r, yq, yr)
    1.0

    References:
        TreezzZ/DHN_PyTorch, `utils/evaluate.py::mean_average_precision`.
    """
    query = _sign_codes(query_codes, "query_codes")
    database = _sign_codes(database_codes, "database_codes")
    if query.shape[1] != database.shape[1]:
        raise ValueError(
            f"query codes have {query.shape[1]} bits but database codes {database.shape[1]}."
        )
    query_labels = np.asarray(query_labels, dtype=np.float32)
    database_labels = np.asarray(database_labels, dtype=np.float32)
    if len(query_labels) != len(query) or len(database_labels) != len(database):
        raise ValueError(
            f"labels must align with codes: query {query_labels.shape} vs {query.shape}, "
            f"database {database_labels.shape} vs {database.shape}."
        )
    validation.one_of("tie_break", tie_break, ("index", "numpy"), "map_at_topk")
    num_database = len(database)
    if top_k is None or top_k == -1:
        cutoff = num_database - 1 if drop_last else num_database
    elif isinstance(top_k, (int, np.integer)) and not isinstance(top_k, bool) and top_k > 0:
        cutoff = min(int(top_k), num_database)
    else:
        raise ValueError(f"`top_k` must be a positive int, -1 or None, found {top_k!r}.")
    if tie_break == "index" and np.all(query_labels >= 0) and np.all(database_labels >= 0):
        # For non-negative labels `y_q . y_r > 0` is "some label > 0 on both sides", which the
        # counting pass tests on packed bits; ties by index are its natural order.
        _, hits, sums = _counting.rank_by_hamming(
            query, database, query_labels, database_labels, cutoff=cutoff, chunk_size=batch_size
        )
        total, found = sums.sum(axis=1), hits.sum(axis=1)
        return float(np.sum(np.where(found > 0, total / np.maximum(found, 1), 0.0))) / max(
            len(query), 1
        )
    kind = "stable" if tie_break == "index" else None
    total = 0.0
    for start in range(0, len(query), batch_size):
        stop = start + batch_size
        hamming = 0.5 * (query.shape[1] - query[start:stop] @ database.T)
        order = np.argsort(hamming, axis=1, kind=kind)[:, :cutoff]
        relevant = query_labels[start:stop] @ database_labels.T > 0
        ranked = np.take_along_axis(relevant, order, axis=1).astype(np.float64)
        hits = np.cumsum(ranked, axis=1)
        positions = np.arange(1, cutoff + 1, dtype=np.float64)
        num_hits = hits[:, -1] if cutoff else np.zeros(len(ranked))
        precision_sum = np.sum(ranked * hits / positions, axis=1)
        total += float(np.sum(np.where(num_hits > 0, precision_sum / np.maximum(num_hits, 1), 0.0)))
    return total / max(len(query), 1)


def hamming_pr_curve(
    query_codes: ArrayLike,
    database_codes: ArrayLike,
    query_labels: ArrayLike,
    database_labels: ArrayLike,
) -> tuple[np.ndarray, np.ndarray]:
    """DHN_PyTorch's precision-recall curve over Hamming radii `0..K` (`evaluate.py::pr_curve`).

    Per query with at least one relevant item, `P_r = #relevant within r / #within r` (0.1
    substituted for an empty count) and `R_r = #relevant within r / #relevant`. Both are averaged
    over the queries with `P_r > 0` at that radius; recall shares that denominator, a quirk kept.

    Returns:
        `(precision, recall)`, two float arrays of length `K + 1`.
    """
    query = _sign_codes(query_codes, "query_codes")
    database = _sign_codes(database_codes, "database_codes")
    bits = query.shape[1]
    query_labels = np.asarray(query_labels, np.float32)
    relevant = query_labels @ np.asarray(database_labels, np.float32).T > 0
    hamming = 0.5 * (bits - query @ database.T)
    radii = np.arange(bits + 1, dtype=np.float32)
    precision = np.zeros((len(query), bits + 1))
    recall = np.zeros((len(query), bits + 1))
    for i in range(len(query)):
        num_relevant = relevant[i].sum()
        if num_relevant == 0:
            continue
        within = hamming[i][None, :] <= radii[:, None]
        count = within.sum(axis=1).astype(np.float64)
        count = count + (count == 0) * 0.1
        hits = (within & relevant[i][None, :]).sum(axis=1)
        precision[i] = hits / count
        recall[i] = hits / num_relevant
    counted = (precision > 0).sum(axis=0).astype(np.float64)
    counted = counted + (counted == 0) * 0.1
    return precision.sum(axis=0) / counted, recall.sum(axis=0) / counted
