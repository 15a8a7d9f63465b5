"""cross_modal_map and precision_at_top_r against per-query loops of the originals' formulas."""

import numpy as np
import pytest

from keras_hashing import metrics


def djsrh_loop(query, database, query_labels, database_labels, topk):
    # DJSRH calculate_top_map, one query at a time (spec drsh_dadh_dhn_djsrh §4.5).
    total = 0.0
    for i in range(len(query)):
        gnd = (query_labels[i] @ database_labels.T > 0).astype(np.float32)
        hamm = 0.5 * (database.shape[1] - query[i] @ database.T)
        tgnd = gnd[np.argsort(hamm)][:topk]
        tsum = int(tgnd.sum())
        if tsum == 0:
            continue
        total += np.mean(np.linspace(1, tsum, tsum) / (np.flatnonzero(tgnd == 1) + 1.0))
    return total / len(query)


def dadh_loop(query, database, query_labels, database_labels, k=None):
    # DADH calc_map_k (spec §2.6), stable ties.
    k = len(database) if k is None else k
    total = 0.0
    for i in range(len(query)):
        gnd = (query_labels[i] @ database_labels.T > 0).astype(np.float64)
        tsum = int(gnd.sum())
        if tsum == 0:
            continue
        hamm = 0.5 * (database.shape[1] - query[i] @ database.T)
        gnd = gnd[np.argsort(hamm, kind="stable")]
        used = min(k, tsum)
        total += np.mean(np.arange(1, used + 1) / (np.flatnonzero(gnd)[:used] + 1.0))
    return total / len(query)


def index_loop(query, database, query_labels, database_labels, topk=None):
    total = 0.0
    for i in range(len(query)):
        relevant = database_labels @ query_labels[i] > 0
        order = sorted(range(len(database)), key=lambda j: (-(database[j] @ query[i]), j))
        ranked = relevant[order][:topk]
        hits = np.flatnonzero(ranked)
        if len(hits):
            total += np.mean(np.arange(1, len(hits) + 1) / (hits + 1.0))
    return total / len(query)


def case(rng, num_query=6, num_database=50, bits=6):
    query = rng.choice([-1.0, 1.0], (num_query, bits)).astype(np.float32)
    database = rng.choice([-1.0, 1.0], (num_database, bits)).astype(np.float32)
    query_labels = np.eye(5)[rng.integers(0, 5, num_query)]
    database_labels = (rng.random((num_database, 5)) < 0.2).astype(np.float32)
    return query, query_labels, database, database_labels


@pytest.mark.parametrize("top_k", [None, 1, 7, 50])
def test_conventions_match_loops(rng, top_k):
    q, ql, x, xl = case(rng)
    np.testing.assert_allclose(
        metrics.cross_modal_map(q, ql, x, xl, top_k, convention="djsrh"),
        djsrh_loop(q, x, ql, xl, top_k),
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        metrics.cross_modal_map(q, ql, x, xl, top_k, convention="dadh"),
        dadh_loop(q, x, ql, xl, top_k),
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        metrics.cross_modal_map(q, ql, x, xl, top_k), index_loop(q, x, ql, xl, top_k), rtol=1e-12
    )
    assert metrics.cross_modal_map(q, ql, x, xl, top_k, chunk_size=1) == metrics.cross_modal_map(
        q, ql, x, xl, top_k
    )


def test_queries_without_hits_count_as_zero():
    query = np.array([[1.0, 1.0], [1.0, 1.0]])
    database = np.array([[1.0, 1.0], [-1.0, -1.0]])
    labels = np.array([[1, 0], [0, 1]])
    # query 1 finds nothing relevant in its top 1: AP 0, still in the mean (map_at_r skips it)
    assert metrics.cross_modal_map(query, labels, database, labels, top_k=1) == 0.5
    assert metrics.map_after_sign(query, labels, database, labels, 1) == 1.0


def test_dadh_top_k_uses_first_relevant_items_wherever_ranked():
    query = np.array([[1.0, 1.0]])
    database = np.array([[1.0, 1.0], [1.0, -1.0], [-1.0, -1.0]])
    labels = np.array([[0, 1], [0, 1], [1, 0]])
    # the only relevant item is ranked 3rd; DADH with k=1 still finds it: AP = 1/3
    assert metrics.cross_modal_map(
        query, [[1, 0]], database, labels, top_k=1, convention="dadh"
    ) == pytest.approx(1 / 3)
    assert metrics.cross_modal_map(query, [[1, 0]], database, labels, top_k=1) == 0.0


def test_precision_at_top_r_matches_loop(rng):
    q, ql, x, xl = case(rng)
    cutoffs = [1, 5, 20, 50]
    expected = np.zeros(len(cutoffs))
    for i in range(len(q)):
        relevant = xl @ ql[i] > 0
        order = sorted(range(len(x)), key=lambda j: (-(x[j] @ q[i]), j))
        expected += [relevant[order][:c].mean() for c in cutoffs]
    np.testing.assert_allclose(
        metrics.precision_at_top_r(q, ql, x, xl, cutoffs), expected / len(q), rtol=1e-12
    )
    numpy_order = metrics.precision_at_top_r(q, ql, x, xl, cutoffs, tie_break="numpy")
    assert numpy_order[-1] == pytest.approx(expected[-1] / len(q))  # R = N: order irrelevant


def test_validation(rng):
    q, ql, x, xl = case(rng)
    with pytest.raises(ValueError, match="convention"):
        metrics.cross_modal_map(q, ql, x, xl, convention="torch")
    with pytest.raises(ValueError, match="top_k"):
        metrics.cross_modal_map(q, ql, x, xl, top_k=0)
    with pytest.raises(ValueError, match="top_k"):
        metrics.precision_at_top_r(q, ql, x, xl, [0, 3])
    with pytest.raises(ValueError, match="columns"):
        metrics.cross_modal_map(q[:, :3], ql, x, xl)
