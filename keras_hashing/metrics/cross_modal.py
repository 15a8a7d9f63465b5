"""Cross-modal (image->text, text->image) mAP and precision@top-R over Hamming ranking.

I->T is the same computation as single-modality retrieval with the image codes as queries and
the text codes as the database (and T->I the reverse), so this module reuses the shared core.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from keras_hashing import validation
from keras_hashing.metrics import _core
from keras_hashing.metrics.retrieval import hash_sign

CONVENTIONS = ("index", "djsrh", "dadh")


def _prepare(query_codes, query_labels, database_codes, database_labels):
    query, query_labels, database, database_labels = _core.check_pair(
        query_codes,
        query_labels,
        database_codes,
        database_labels,
        query_name="query_codes",
        database_name="database_codes",
    )
    return hash_sign(query), query_labels, hash_sign(database), database_labels


def _check_top(top_k):
    return None if top_k is None else validation.positive_int("top_k", top_k, "cross_modal_map")


def cross_modal_map(
    query_codes: ArrayLike,
    query_labels: ArrayLike,
    database_codes: ArrayLike,
    database_labels: ArrayLike,
    top_k: int | None = None,
    convention: str = "index",
    chunk_size: int | None = None,
    verbose: bool | str = "auto",
) -> float:
    """mAP of Hamming ranking for cross-modal (or any) retrieval, every query counted.

    Codes of one modality are ranked against codes of the other by Hamming distance
    `(K - q.x)/2` of their signs (`sign(0) = +1`). Relevance is sharing at least one label.
    Unlike `map_at_r`, a query with no hit counts as AP 0 in the mean (both originals divide by
    the number of queries).

    Conventions:
    * "index" (default): mAP@K, AP over the relevant items within the top `top_k` (all when
      None), normalised by their number; ties in database-index order.
    * "djsrh": DJSRH's `calculate_top_map`: the same formula, ranked with NumPy's default
      (unstable) argsort of the float Hamming row, as the original (zs-zhong/DJSRH metric.py).
    * "dadh": DADH's `calc_map_k`: AP over the first `min(top_k, #relevant)` relevant items
      wherever they are ranked (all relevant items when `top_k` is None, i.e. mAP@ALL); ties in
      index order, since `torch.sort`'s tie order cannot be reproduced (DADH utils.py).

    Args:
        query_codes: `(Q, K)` codes or real outputs of the query modality.
        query_labels: `(Q, L)` 0/1 labels.
        database_codes: `(N, K)` codes or real outputs of the database modality.
        database_labels: `(N, L)` 0/1 labels.
        top_k: int or None (default: the whole database): how many ranked database items
            count, the R of mAP@R. DJSRH reports mAP@50.
        convention: "index", "djsrh" or "dadh".
        chunk_size, verbose: as `map_at_r`.

    Returns:
        float, the mAP.

    Example:
    >>> q = np.array([[1, 1], [-1, -1]]); r = np.array([[1, 1], [-1, 1], [-1, -1]])
    >>> yq = np.eye(2)[[0, 1]]; yr = np.eye(2)[[0, 1, 1]]
    >>> cross_modal_map(q, yq, r, yr)
    1.0

    References:
        DJSRH (Su et al., ICCV 2019), `metric.py::calculate_top_map`; DADH (Bai et al., ICMR
        2020), `utils.py::calc_map_k`.
    """
    validation.one_of("convention", convention, CONVENTIONS, "cross_modal_map")
    query, query_labels, database, database_labels = _prepare(
        query_codes, query_labels, database_codes, database_labels
    )
    top_k = _check_top(top_k)
    cutoff = len(database) if top_k is None else min(top_k, len(database))
    bounds = _core.chunk_bounds(len(query), len(database), chunk_size)
    aps = []
    chunks = _core.progress(bounds, verbose, len(query), len(database), "cross-modal mAP")
    for start, stop in chunks:
        hamming = _core.hamming_from_signs(query[start:stop], database)
        relevant = _core.relevance(query_labels[start:stop], database_labels)
        if convention == "djsrh":
            dtype = query.dtype if np.issubdtype(query.dtype, np.floating) else np.float64
            order = np.argsort(hamming.astype(dtype), axis=1)[:, :cutoff]
        elif convention == "index":
            order = _core.top_r_stable(hamming, cutoff)
        else:
            order = np.argsort(hamming, axis=1, kind="stable")
        ranked = _core.take_rows(relevant, order)
        if convention == "dadh":
            aps.append(_dadh_ap(ranked, top_k))
            continue
        total, hits = _core.average_precision(ranked)
        aps.append(np.where(hits > 0, total / np.maximum(hits, 1), 0.0))
    return _core.mean_or_nan(np.concatenate(aps) if aps else [])


def evaluate_cross_modal(
    query_image_codes: ArrayLike,
    query_text_codes: ArrayLike,
    query_labels: ArrayLike,
    database_image_codes: ArrayLike,
    database_text_codes: ArrayLike,
    database_labels: ArrayLike,
    top_k: int | None = None,
    convention: str = "index",
) -> dict[str, float]:
    """Image->text and text->image mAP of paired codes, under the originals' report keys.

    I->T ranks the database text codes for every query image code, T->I the database image
    codes for every query text code, each through `cross_modal_map`, as both originals evaluate
    (zs-zhong/DJSRH train.py, `Session.eval`; Zjut-MultimediaPlus/DADH main.py, `valid`): on
    paired data, where an image and its text share one label row.

    Args:
        query_image_codes: `(Q, K)` codes or real outputs of the query images.
        query_text_codes: `(Q, K)` codes or real outputs of the query texts.
        query_labels: `(Q, L)` 0/1 labels of the query pairs.
        database_image_codes: `(N, K)` codes or real outputs of the database images.
        database_text_codes: `(N, K)` codes or real outputs of the database texts.
        database_labels: `(N, L)` 0/1 labels of the database pairs.
        top_k: int or None, as `cross_modal_map` (DJSRH reports mAP@50, DADH mAP@ALL).
        convention: "index", "djsrh" or "dadh", as `cross_modal_map`.

    Returns:
        `{"map_i2t": float, "map_t2i": float}`.

    Example:
    >>> images = np.array([[1, 1], [-1, -1]]); texts = np.array([[1, 1], [-1, 1]])
    >>> labels = np.eye(2)
    >>> evaluate_cross_modal(images, texts, labels, images, texts, labels)
    {'map_i2t': 1.0, 'map_t2i': 0.75}
    """
    directions = {
        "map_i2t": (query_image_codes, database_text_codes),
        "map_t2i": (query_text_codes, database_image_codes),
    }
    return {
        key: float(
            cross_modal_map(queries, query_labels, database, database_labels, top_k, convention)
        )
        for key, (queries, database) in directions.items()
    }


def _dadh_ap(ranked, top_k):
    """Mean of `(rank among relevant)/(position)` over the first min(k, #relevant) relevant."""
    hits = np.cumsum(ranked, axis=1, dtype=np.int64)
    num_relevant = hits[:, -1]
    used = num_relevant if top_k is None else np.minimum(num_relevant, top_k)
    positions = np.arange(1, ranked.shape[1] + 1, dtype=np.float64)
    counted = ranked & (hits <= used[:, None])
    total = np.sum(np.where(counted, hits / positions, 0.0), axis=1)
    return np.where(used > 0, total / np.maximum(used, 1), 0.0)


@_core.renamed_arguments(top_r="top_k")
def precision_at_top_r(
    query_codes: ArrayLike,
    query_labels: ArrayLike,
    database_codes: ArrayLike,
    database_labels: ArrayLike,
    top_k: int | ArrayLike,
    tie_break: str = "index",
    chunk_size: int | None = None,
    verbose: bool | str = "auto",
) -> np.ndarray:
    """Mean precision of the first `k` Hamming neighbours, for each `k` in `top_k`.

    The curve DJSRH's README plots (precision@top-R, R up to 5 000 for MIR/NUS). Every query is
    counted; precision@k = relevant among the first k / k.

    Args:
        query_codes, query_labels, database_codes, database_labels: as `cross_modal_map`.
        top_k: int or sequence of ints in 1..N, the cut-offs (the R of precision@top-R;
            the keyword `top_r` is a deprecated alias).
        tie_break: "index" (default; stable) or "numpy" (default argsort of the float row).
        chunk_size, verbose: as `map_at_r`.

    Returns:
        float64 array with one precision per entry of `top_k`.

    Example:
    >>> q = np.array([[1, 1]]); r = np.array([[1, 1], [-1, -1], [1, -1]])
    >>> precision_at_top_r(q, [[1]], r, [[1], [0], [1]], [1, 2, 3]).round(4).tolist()
    [1.0, 1.0, 0.6667]
    """
    _core.check_tie_break(tie_break)
    query, query_labels, database, database_labels = _prepare(
        query_codes, query_labels, database_codes, database_labels
    )
    cutoffs = np.atleast_1d(np.asarray(top_k))
    if (
        cutoffs.ndim != 1
        or cutoffs.size == 0
        or not np.issubdtype(cutoffs.dtype, np.integer)
        or cutoffs.min() < 1
        or cutoffs.max() > len(database)
    ):
        raise ValueError(f"`top_k` must be ints in 1..{len(database)}, found {top_k!r}.")
    width = int(cutoffs.max())
    bounds = _core.chunk_bounds(len(query), len(database), chunk_size)
    totals = np.zeros(len(cutoffs))
    for start, stop in _core.progress(bounds, verbose, len(query), len(database), "precision@R"):
        hamming = _core.hamming_from_signs(query[start:stop], database)
        relevant = _core.relevance(query_labels[start:stop], database_labels)
        if tie_break == "numpy":
            dtype = query.dtype if np.issubdtype(query.dtype, np.floating) else np.float64
            order = np.argsort(hamming.astype(dtype), axis=1)[:, :width]
        else:
            order = _core.top_r_stable(hamming, width)
        hits = np.cumsum(_core.take_rows(relevant, order), axis=1, dtype=np.int64)
        totals += (hits[:, cutoffs - 1] / cutoffs).sum(axis=0)
    return totals / max(len(query), 1)
