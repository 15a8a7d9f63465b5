"""thulab/DeepHash's retrieval metrics (DeepHash/evaluation/__init__.py), vectorised.

Every function takes real-valued query and database outputs with their 0/1 multi-hot labels;
an item is relevant to a query when they share at least one label (`get_mAPs`). Queries are
ranked in chunks (`chunk_size` queries at a time, by default as many as keep a chunk of the
distance matrix near 4M entries), with a tqdm bar over chunks for large inputs.

Ties. `tie_break="index"` (the default) orders equal distances by database index, which is
deterministic on every machine. `tie_break="numpy"` repeats the original's NumPy call sequence
(`argpartition` then the default, unstable `argsort`), which reproduces the
original's values on identical arrays; its tie order may change with the NumPy build and CPU.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from keras_hashing import validation
from keras_hashing.metrics import _core
from keras_hashing.metrics import _counting
from keras_hashing.metrics.distances import check_dist_type
from keras_hashing.metrics.distances import distance

SIGN_ZERO_RULES = ("positive", "random")


def hash_sign(x: ArrayLike, zero: str = "positive", seed: int | None = None) -> np.ndarray:
    """`sign(x)` as +-1 codes, with a rule for exact zeros.

    Args:
        x: array-like of real values.
        zero: "positive" (default: `sign(0) = +1`, deterministic, the rule of
            `keras_hashing.layers.sign_codes`) or "random" (a random +-1 for each exact zero, as
            the original `util.sign`).
        seed: int or None, default None; seeds the "random" rule (`numpy.random.default_rng`).

    Returns:
        A new array of the dtype of `x` (float32 for bool input) holding -1 and +1.

    Example:
    >>> hash_sign(np.array([-0.5, 0.0, 2.0])).tolist()
    [-1.0, 1.0, 1.0]

    References:
        thulab/DeepHash, `DeepHash/util/__init__.py::sign`.
    """
    validation.one_of("zero", zero, SIGN_ZERO_RULES, "hash_sign")
    x = np.asarray(x)
    if x.dtype == bool:
        x = x.astype(np.float32)
    signs = np.sign(x)
    zeros = signs == 0
    if np.any(zeros):
        if zero == "positive":
            signs[zeros] = 1
        else:
            signs[zeros] = np.random.default_rng(seed).choice([-1, 1], int(np.count_nonzero(zeros)))
    return signs


def _original_float(hamming, signs):
    """Hamming distances in the dtype the original holds them in (`(D - q.x)/2` of its outputs).

    The unstable default argsort orders ties differently for float32 and float64 data.
    """
    dtype = signs.dtype if np.issubdtype(signs.dtype, np.floating) else np.float64
    return hamming.astype(dtype)


def _feature_distance(query, database, dist_type):
    return distance(query, database, pair=True, dist_type=dist_type)


def _map_by_distance(
    query,
    query_labels,
    database,
    database_labels,
    top_k,
    distance_fn,
    tie_break,
    chunk_size,
    verbose,
    description,
):
    """mAP@R (`get_mAPs`, R = `top_k`) for a chunked distance; queries without a hit are skipped."""

    def chunk_aps(start, stop):
        dist = distance_fn(start, stop)
        relevant = _core.relevance(query_labels[start:stop], database_labels)
        if tie_break == "numpy":
            ids = _core.top_r_numpy(dist, top_k)
        else:
            ids = _core.top_r_stable(dist, top_k)
        total, hits = _core.average_precision(_core.take_rows(relevant, ids))
        kept = hits > 0
        return total[kept] / hits[kept]

    bounds = _core.chunk_bounds(len(query), len(database), chunk_size)
    aps = _core.map_chunks(chunk_aps, bounds, verbose, len(query), len(database), description)
    return _core.mean_or_nan(np.concatenate(aps) if aps else [])


@_core.renamed_arguments(R="top_k")
def map_at_r(
    query_outputs: ArrayLike,
    query_labels: ArrayLike,
    database_outputs: ArrayLike,
    database_labels: ArrayLike,
    top_k: int | None,
    dist_type: str = "inner_product",
    tie_break: str = "index",
    chunk_size: int | None = None,
    verbose: bool | str = "auto",
) -> float:
    """Mean average precision of the top `top_k` retrieved items, by feature (`get_mAPs`).

    For each query the database is ranked by `dist_type` (smaller first; "inner_product" ranks
    by descending dot product). With `r_k` the relevance of the k-th item,
    `AP = sum_k P@k r_k / sum_k r_k` over `k = 1..top_k`. A query with no relevant item in its
    top `top_k` is skipped (it does not count as 0), as in the original.

    Args:
        query_outputs: `(Q, D)` real outputs.
        query_labels: `(Q, L)` 0/1 multi-hot labels (int, float or bool); never modified.
        database_outputs: `(N, D)` real outputs.
        database_labels: `(N, L)` 0/1 multi-hot labels.
        top_k: int in 1..N, or None for the whole database: how many ranked database items
            count, the R of the original's mAP@R (the keyword `R` is a deprecated alias).
        dist_type: str, default "inner_product"; any name of `DIST_TYPES`.
        tie_break: "index" (default: equal distances in database order) or "numpy" (the
            original's argpartition + default argsort sequence; see the module docstring).
        chunk_size: int or None, default None; queries ranked per block.
        verbose: bool or "auto" (default: a progress bar from 1e8 query-database pairs on).

    Returns:
        float, the mAP; NaN when no query has a relevant item in its top `top_k`.

    Example:
    >>> q = np.array([[1.0, 0.2]]); x = np.array([[0.9, 0.1], [-1.0, 0.0], [0.5, 0.5]])
    >>> map_at_r(q, [[1, 0]], x, [[1, 0], [0, 1], [1, 0]], top_k=3)
    1.0

    References:
        thulab/DeepHash, `DeepHash/evaluation/__init__.py::get_mAPs`.
    """
    check_dist_type(dist_type)
    _core.check_tie_break(tie_break)
    query, query_labels, database, database_labels = _core.check_pair(
        query_outputs, query_labels, database_outputs, database_labels
    )
    top_k = _core.check_top_k(top_k, len(database))
    return _map_by_distance(
        query,
        query_labels,
        database,
        database_labels,
        top_k,
        lambda start, stop: _feature_distance(query[start:stop], database, dist_type),
        tie_break,
        chunk_size,
        verbose,
        "mAP@R",
    )


@_core.renamed_arguments(R="top_k")
def map_after_sign(
    query_outputs: ArrayLike,
    query_labels: ArrayLike,
    database_outputs: ArrayLike,
    database_labels: ArrayLike,
    top_k: int | None,
    dist_type: str = "inner_product",
    tie_break: str = "index",
    chunk_size: int | None = None,
    verbose: bool | str = "auto",
    zero: str = "positive",
    seed: int | None = None,
) -> float:
    """mAP@R of the signs of both sides, ranked by inner product, i.e. by Hamming distance.

    thulab/DeepHash `MAPs.get_mAPs_after_sign`.

    Arguments as `map_at_r` (`top_k` is the R of mAP@R; `R` is a deprecated alias), plus
    `zero`/`seed` of `hash_sign` (the original draws a random sign for exact zeros:
    `zero="random"`). With `tie_break="index"` and `dist_type="inner_product"` the ranking is a
    counting pass over the database per query (popcount distances, items placed by distance
    then index, never sorted; `keras_hashing.metrics._counting`); with `tie_break="numpy"` the
    original's float `-q.x` matrix is sorted the original's way.

    Returns:
        float, the mAP; NaN when no query has a relevant item in its top `top_k`.

    Example:
    >>> q = np.array([[0.3, -0.2]]); x = np.array([[0.9, -0.1], [-1.0, 0.4], [0.5, 0.5]])
    >>> map_after_sign(q, [[1, 0]], x, [[1, 0], [0, 1], [1, 0]], top_k=2)
    1.0

    References:
        thulab/DeepHash, `MAPs.get_mAPs_after_sign`.
    """
    check_dist_type(dist_type)
    _core.check_tie_break(tie_break)
    query, query_labels, database, database_labels = _core.check_pair(
        query_outputs, query_labels, database_outputs, database_labels
    )
    top_k = _core.check_top_k(top_k, len(database))
    query_signs = hash_sign(query, zero, seed)
    database_signs = hash_sign(database, zero, None if seed is None else seed + 1)
    if tie_break == "index" and dist_type == "inner_product":
        # Hamming ranking with ties by index is a counting pass; no distance matrix, no sort.
        _, hits, sums = _counting.rank_by_hamming(
            query_signs,
            database_signs,
            query_labels,
            database_labels,
            cutoff=top_k,
            chunk_size=chunk_size,
            verbose=verbose,
            description="mAP after sign",
        )
        total, found = sums.sum(axis=1), hits.sum(axis=1)
        kept = found > 0
        return _core.mean_or_nan(total[kept] / found[kept])
    return _map_by_distance(
        query_signs,
        query_labels,
        database_signs,
        database_labels,
        top_k,
        lambda start, stop: _feature_distance(query_signs[start:stop], database_signs, dist_type),
        tie_break,
        chunk_size,
        verbose,
        "mAP after sign",
    )


@_core.renamed_arguments(R="top_k")
def map_after_sign_with_rerank(
    query_outputs: ArrayLike,
    query_labels: ArrayLike,
    database_outputs: ArrayLike,
    database_labels: ArrayLike,
    top_k: int | None,
    tie_break: str = "index",
    chunk_size: int | None = None,
    verbose: bool | str = "auto",
    zero: str = "positive",
    seed: int | None = None,
) -> float:
    """mAP@R of Hamming ranking with ties re-ranked by the raw dot product (`get_mAPs_rerank`).

    Items are taken in increasing Hamming distance `h = 0..D-1` (items with every bit different,
    `h = D`, are never visited, as in the original); inside one distance they are ordered by
    descending `q.x` of the raw outputs (then by index, with `tie_break="index"`). The first
    `top_k` items (the original's R) give the AP; queries without a relevant one are skipped.

    Args:
        As `map_after_sign`.

    Returns:
        float, the mAP.

    Raises:
        ValueError: when a query has fewer than `top_k` items within Hamming distance `D - 1`
            (the original crashes with a shape mismatch there).

    Example:
    >>> q = np.array([[0.3, -0.2]]); x = np.array([[0.9, -0.1], [0.1, -0.1], [0.5, 0.5]])
    >>> map_after_sign_with_rerank(q, [[1, 0]], x, [[0, 1], [1, 0], [1, 0]], top_k=2)
    0.5

    References:
        thulab/DeepHash, `get_mAPs_rerank`.
    """
    _core.check_tie_break(tie_break)
    query, query_labels, database, database_labels = _core.check_pair(
        query_outputs, query_labels, database_outputs, database_labels
    )
    top_k = _core.check_top_k(top_k, len(database))
    query_signs = hash_sign(query, zero, seed)
    database_signs = hash_sign(database, zero, None if seed is None else seed + 1)
    bits = query.shape[1]
    bounds = _core.chunk_bounds(len(query), len(database), chunk_size)
    aps = []
    for start, stop in _core.progress(bounds, verbose, len(query), len(database), "re-rank mAP"):
        hamming = _core.hamming_from_signs(query_signs[start:stop], database_signs)
        within = np.count_nonzero(hamming < bits, axis=1)
        if np.any(within < top_k):
            row = int(np.argmax(within < top_k))
            raise ValueError(
                f"map_after_sign_with_rerank: query {start + row} has only {within[row]} database "
                f"items within Hamming distance {bits - 1}, fewer than top_k={top_k}; the "
                f"original never visits distance {bits} and crashes here. Use a smaller top_k."
            )
        relevant = _core.relevance(query_labels[start:stop], database_labels)
        dots = query[start:stop] @ database.T
        if tie_break == "numpy":
            ranked = np.stack(
                [
                    _rerank_row_numpy(
                        hamming[i].astype(np.float64), dots[i], relevant[i], bits, top_k
                    )
                    for i in range(len(dots))
                ]
            )
        else:
            # lexsort is stable: Hamming first, then descending dot product, then index.
            order = np.lexsort((-dots, hamming), axis=1)[:, :top_k]
            ranked = _core.take_rows(relevant, order)
        total, hits = _core.average_precision(ranked)
        kept = hits > 0
        aps.append(total[kept] / hits[kept])
    return _core.mean_or_nan(np.concatenate(aps) if aps else [])


def _rerank_row_numpy(hamming, dots, relevant, bits, top_k):
    """One query the original's way: per distance, `argwhere` then default `argsort(-q.x)`."""
    collected = []
    count = 0
    for h in range(bits):
        ids = np.flatnonzero(hamming == h)
        if len(ids):
            collected.append(relevant[ids[np.argsort(-dots[ids])]])
            count += len(ids)
            if count > top_k:
                break
    return np.concatenate(collected)[:top_k]


def precision_recall_at_radius(
    query_outputs: ArrayLike,
    query_labels: ArrayLike,
    database_outputs: ArrayLike,
    database_labels: ArrayLike,
    radius: int = 2,
    tie_break: str = "index",
    chunk_size: int | None = None,
    verbose: bool | str = "auto",
    zero: str = "positive",
    seed: int | None = None,
) -> tuple[float, float, float]:
    """Precision, recall and mAP of the items within Hamming distance `radius`.

    thulab/DeepHash `MAPs.get_precision_recall_by_Hamming_Radius`.

    Per query, the retrieved set is `{j : hamming(q, x_j) <= radius}` of the signed outputs.
    * Nothing retrieved: precision = recall = mAP = 0, and the query counts in all three means.
    * Otherwise precision = relevant retrieved / retrieved and recall = relevant retrieved /
      relevant in the database (NaN when the database holds none, as the original's 0/0).
    * `radius < 10`: the retrieved items are re-ordered by descending raw dot product and AP is
      taken over them; a query retrieving items but no relevant one adds **no** mAP entry.
    * `radius >= 10`: the mAP entry is the precision.

    Args:
        query_outputs, query_labels, database_outputs, database_labels: as `map_at_r`.
        radius: int, default 2.
        tie_break: "index" (default; equal dot products in database order) or "numpy" (the
            original's default argsorts, one query at a time).
        chunk_size, verbose, zero, seed: as `map_after_sign`.

    Returns:
        `(precision, recall, map)`, three floats (means over queries as described).

    Example:
    >>> q = np.array([[1.0, 1.0]]); x = np.array([[0.9, 0.8], [-1.0, -0.4], [0.5, 0.1]])
    >>> precision_recall_at_radius(q, [[1, 0]], x, [[1, 0], [1, 0], [0, 1]], radius=0)
    (0.5, 0.5, 1.0)

    References:
        thulab/DeepHash, `MAPs.get_precision_recall_by_Hamming_Radius`.
    """
    _core.check_tie_break(tie_break)
    radius = validation.nonnegative_int("radius", radius, "precision_recall_at_radius")
    query, query_labels, database, database_labels = _core.check_pair(
        query_outputs, query_labels, database_outputs, database_labels
    )
    query_signs = hash_sign(query, zero, seed)
    database_signs = hash_sign(database, zero, None if seed is None else seed + 1)
    bounds = _core.chunk_bounds(len(query), len(database), chunk_size)
    precisions, recalls, maps = [], [], []
    for start, stop in _core.progress(bounds, verbose, len(query), len(database), "radius"):
        hamming = _core.hamming_from_signs(query_signs[start:stop], database_signs)
        relevant = _core.relevance(query_labels[start:stop], database_labels)
        retrieved = hamming <= radius
        num_retrieved = np.count_nonzero(retrieved, axis=1)
        num_hits = np.count_nonzero(retrieved & relevant, axis=1)
        num_relevant = np.count_nonzero(relevant, axis=1)
        found = num_retrieved > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            precision = np.where(found, num_hits / np.maximum(num_retrieved, 1), 0.0)
            recall = np.where(found, num_hits / num_relevant, 0.0)
        precisions.append(precision)
        recalls.append(recall)
        if radius >= 10:
            maps.append(precision)
            continue
        chunk_maps = np.zeros(len(found))
        if np.any(found):
            dots = query[start:stop] @ database.T
            if tie_break == "numpy":
                ranked_total, ranked_hits = _radius_numpy(
                    _original_float(hamming, query_signs), dots, relevant, num_retrieved
                )
            else:
                ranked_total, ranked_hits = _radius_index(
                    dots, relevant, retrieved, int(num_retrieved.max())
                )
            with np.errstate(divide="ignore", invalid="ignore"):
                chunk_maps = np.where(found, ranked_total / np.maximum(ranked_hits, 1), 0.0)
        # Retrieved but none relevant: no entry (dropped from the mAP mean only).
        maps.append(chunk_maps[~found | (num_hits > 0)])
    return (
        _core.mean_or_nan(np.concatenate(precisions)),
        _core.mean_or_nan(np.concatenate(recalls)),
        _core.mean_or_nan(np.concatenate(maps)),
    )


def _radius_index(dots, relevant, retrieved, width):
    """AP over each row's retrieved items by descending dot product, ties by index."""
    key = np.where(retrieved, -dots, np.inf)
    if width < key.shape[1]:
        ids = np.sort(np.argpartition(key, width - 1, axis=1)[:, :width], axis=1)
    else:
        ids = np.broadcast_to(np.arange(key.shape[1]), key.shape)
    ids = np.take_along_axis(ids, np.argsort(_core.take_rows(key, ids), axis=1, kind="stable"), 1)
    return _core.average_precision(_core.take_rows(relevant & retrieved, ids))


def _radius_numpy(hamming, dots, relevant, num_retrieved):
    """The original's order: default argsort of the float Hamming row, then of `-q.x`."""
    order = np.argsort(hamming, axis=1)
    totals = np.zeros(len(hamming))
    hits = np.zeros(len(hamming), np.int64)
    for i, count in enumerate(num_retrieved):
        if count:
            ids = order[i, :count]
            ranked = relevant[i, ids[np.argsort(-dots[i, ids])]]
            total, hit = _core.average_precision(ranked[None])
            totals[i], hits[i] = total[0], hit[0]
    return totals, hits


def precision_recall_curves(
    query_outputs: ArrayLike,
    query_labels: ArrayLike,
    database_outputs: ArrayLike,
    database_labels: ArrayLike,
    tie_break: str = "index",
    chunk_size: int | None = None,
    verbose: bool | str = "auto",
    zero: str = "positive",
    seed: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision, recall and mAP within every Hamming radius `0..D` (DCH's plots).

    thulab/DeepHash `MAPs.get_precision_recall_by_Hamming_Radius_All`.

    Per query the database is sorted by Hamming distance (no re-ranking) and, for each radius
    with `n` items within it, precision = hits/n, recall = hits/#relevant (NaN when the database
    holds no relevant item, as the original's 0/0) and mAP = AP over those `n` items. A radius
    with nothing inside gives 0 for all three; a query with no relevant item gives mAP 0 and is
    counted. Radii past the farthest item repeat the last value (the original copies forward).

    Args:
        As `map_after_sign` (without `top_k`); `tie_break="numpy"` sorts the original's float
        Hamming matrix with NumPy's default argsort, which changes the mAP curve where distances
        tie.

    Returns:
        `(precision, recall, map)`, three float64 arrays of length `D + 1` (radius 0..D).

    Example:
    >>> q = np.array([[1.0, 1.0]]); x = np.array([[0.9, 0.8], [-1.0, -0.4], [0.5, -0.1]])
    >>> p, r, m = precision_recall_curves(q, [[1, 0]], x, [[1, 0], [1, 0], [0, 1]])
    >>> p.tolist(), r.tolist(), m.tolist()
    ([1.0, 0.5, 0.6666666666666666], [0.5, 0.5, 1.0], [1.0, 1.0, 0.8333333333333333])

    References:
        thulab/DeepHash, `MAPs.get_precision_recall_by_Hamming_Radius_All`.
    """
    _core.check_tie_break(tie_break)
    query, query_labels, database, database_labels = _core.check_pair(
        query_outputs, query_labels, database_outputs, database_labels
    )
    query_signs = hash_sign(query, zero, seed)
    database_signs = hash_sign(database, zero, None if seed is None else seed + 1)
    bits = query.shape[1]
    if len(query) == 0:
        return tuple(np.full(bits + 1, np.nan) for _ in range(3))
    if tie_break == "numpy":
        return _curves_numpy(
            query_signs, query_labels, database_signs, database_labels, chunk_size, verbose
        )
    # One counting pass gives, per radius, the items, hits and AP terms at exactly that
    # distance; radius r keeps the cumulative sums up to r.
    counts, hits, terms = _counting.rank_by_hamming(
        query_signs,
        database_signs,
        query_labels,
        database_labels,
        chunk_size=chunk_size,
        verbose=verbose,
        description="curves",
    )
    within = np.cumsum(counts, axis=1)
    hits_in = np.cumsum(hits, axis=1)
    total_in = np.cumsum(terms, axis=1)
    return _curve_means(within, hits_in, total_in, hits_in[:, -1:], len(query))


def _curve_means(within, hits_in, total_in, num_relevant, num_query):
    """Per-radius precision, recall and mAP means from per-query cumulative tables."""
    found = within > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(found, hits_in / np.maximum(within, 1), 0.0).sum(axis=0)
        recall = np.where(found, hits_in / num_relevant, 0.0).sum(axis=0)
        average = np.where(found & (hits_in > 0), total_in / np.maximum(hits_in, 1), 0.0)
    return precision / num_query, recall / num_query, average.sum(axis=0) / num_query


def _curves_numpy(query_signs, query_labels, database_signs, database_labels, chunk_size, verbose):
    """The curves from the original's default argsort of the float Hamming matrix."""
    bits = query_signs.shape[1]
    num_query, num_database = len(query_signs), len(database_signs)
    bounds = _core.chunk_bounds(num_query, num_database, chunk_size)
    sums = np.zeros((3, bits + 1))
    for start, stop in _core.progress(bounds, verbose, num_query, num_database, "curves"):
        hamming = _core.hamming_from_signs(query_signs[start:stop], database_signs)
        relevant = _core.relevance(query_labels[start:stop], database_labels)
        order = np.argsort(_original_float(hamming, query_signs), axis=1)
        ranked = _core.take_rows(relevant, order)
        hits = np.cumsum(ranked, axis=1, dtype=np.int64)
        precision_sum = np.cumsum(
            hits / np.arange(1, ranked.shape[1] + 1, dtype=np.float64) * ranked, axis=1
        )
        rows = len(hamming)
        # Items within each radius: cumulative per-row counts of each distance value.
        offsets = (np.arange(rows, dtype=np.int64) * (bits + 1))[:, None]
        counts = np.bincount(
            (hamming.astype(np.int64) + offsets).ravel(), minlength=rows * (bits + 1)
        ).reshape(rows, bits + 1)
        within = np.cumsum(counts, axis=1)
        last = np.maximum(within - 1, 0)
        hits_in = np.take_along_axis(hits, last, axis=1)
        total_in = np.take_along_axis(precision_sum, last, axis=1)
        # num_query=1: the chunk's sums; the division by the query count comes once, below.
        sums += np.array(_curve_means(within, hits_in, total_in, hits[:, -1:], 1))
    return tuple(sums / num_query)


def _reconstruct(codes, codebook, name):
    codes = _core.as_features(codes, name)
    if codes.shape[1] == codebook.shape[0]:
        return codes @ codebook
    if np.issubdtype(codes.dtype, np.integer) and codebook.shape[0] % codes.shape[1] == 0:
        num_codewords = codebook.shape[0] // codes.shape[1]
        if codes.min() < 0 or codes.max() >= num_codewords:
            raise ValueError(f"`{name}` holds codeword indices outside 0..{num_codewords - 1}.")
        rows = codes + np.arange(codes.shape[1]) * num_codewords
        return codebook[rows].sum(axis=1)
    raise ValueError(
        f"`{name}` must be (N, M*K) one-hot codes matching the codebook's "
        f"{codebook.shape[0]} rows, or (N, M) integer codeword indices; found shape "
        f"{codes.shape} with dtype {codes.dtype}."
    )


@_core.renamed_arguments(R="top_k")
def map_quantized(
    query_outputs: ArrayLike | None,
    query_codes: ArrayLike | None,
    database_codes: ArrayLike,
    codebook: ArrayLike,
    query_labels: ArrayLike,
    database_labels: ArrayLike,
    top_k: int | None,
    mode: str = "AQD",
    dist_type: str = "inner_product",
    tie_break: str = "index",
    chunk_size: int | None = None,
    verbose: bool | str = "auto",
) -> float:
    """mAP@R against quantized database reconstructions `B_x C` (thulab/DeepHash `MAPs_CQ`).

    `mode="AQD"` (asymmetric) ranks raw query outputs against `B_x C`; `mode="SQD"` (symmetric)
    ranks query reconstructions `B_q C` against `B_x C`. Reconstructions tie often, so the tie
    rule matters.

    Args:
        query_outputs: `(Q, D)` raw outputs (used by AQD; may be None for SQD).
        query_codes: `(Q, M*K)` one-hot codes or `(Q, M)` codeword indices (used by SQD; may be
            None for AQD).
        database_codes: `(N, M*K)` one-hot codes or `(N, M)` indices.
        codebook: `(M*K, D)` stacked codewords `C`.
        query_labels, database_labels, top_k, dist_type, tie_break, chunk_size, verbose: as
            `map_at_r` (`top_k` is the R of mAP@R; `R` is a deprecated alias).
        mode: "AQD" (default) or "SQD".

    Returns:
        float, the mAP.

    Example:
    >>> C = np.array([[1.0, 0.0], [0.0, 1.0]]); db = np.array([[1, 0], [0, 1]])
    >>> map_quantized(np.array([[0.9, 0.2]]), None, db, C, [[1]], [[1], [0]], top_k=2)
    1.0

    References:
        thulab/DeepHash, `MAPs_CQ.get_mAPs_AQD` / `get_mAPs_SQD`.
    """
    validation.one_of("mode", mode, ("AQD", "SQD"), "map_quantized")
    codebook = _core.as_features(codebook, "codebook")
    database = _reconstruct(database_codes, codebook, "database_codes")
    if mode == "SQD":
        if query_codes is None:
            raise ValueError("map_quantized(mode='SQD') needs `query_codes`.")
        query = _reconstruct(query_codes, codebook, "query_codes")
    else:
        if query_outputs is None:
            raise ValueError("map_quantized(mode='AQD') needs `query_outputs`.")
        query = query_outputs
    return map_at_r(
        query,
        query_labels,
        database,
        database_labels,
        top_k,
        dist_type=dist_type,
        tie_break=tie_break,
        chunk_size=chunk_size,
        verbose=verbose,
    )
