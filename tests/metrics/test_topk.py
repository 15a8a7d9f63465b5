import numpy as np
import pytest

from keras_hashing.metrics import hamming_pr_curve
from keras_hashing.metrics import map_at_topk


def topk_oracle(query, database, query_labels, database_labels, topk):
    """DHN_PyTorch's mean_average_precision, one query at a time with explicit loops.

    `topk` is used as the original's slice bound, so -1 drops the last item."""
    total = 0.0
    for i in range(len(query)):
        relevant = [float(query_labels[i] @ database_labels[j] > 0) for j in range(len(database))]
        hamming = [0.5 * (query.shape[1] - query[i] @ database[j]) for j in range(len(database))]
        order = sorted(range(len(database)), key=lambda j: (hamming[j], j))
        ranked = [relevant[j] for j in order][:topk]
        hits, ap_terms = 0, []
        for position, r in enumerate(ranked, start=1):
            if r:
                hits += 1
                ap_terms.append(hits / position)
        if hits:
            total += sum(ap_terms) / hits
    return total / len(query)


def random_problem(seed, num_query=6, num_database=30, bits=8, num_labels=4):
    rng = np.random.default_rng(seed)
    query = np.where(rng.normal(size=(num_query, bits)) >= 0, 1.0, -1.0)
    database = np.where(rng.normal(size=(num_database, bits)) >= 0, 1.0, -1.0)
    query_labels = (rng.uniform(size=(num_query, num_labels)) < 0.3).astype(float)
    database_labels = (rng.uniform(size=(num_database, num_labels)) < 0.3).astype(float)
    return query, database, query_labels, database_labels


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("topk", [5, 12, 30])
def test_matches_loop_oracle(seed, topk):
    args = random_problem(seed)
    np.testing.assert_allclose(map_at_topk(*args, top_k=topk), topk_oracle(*args, topk), rtol=1e-12)


@pytest.mark.parametrize("seed", [0, 3])
def test_all_counts_every_item_and_drop_last_reproduces_the_original_slice(seed):
    args = random_problem(seed)
    everything = map_at_topk(*args, top_k=None)
    np.testing.assert_allclose(everything, topk_oracle(*args, None), rtol=1e-12)
    np.testing.assert_allclose(map_at_topk(*args, top_k=-1), everything, rtol=1e-12)
    np.testing.assert_allclose(
        map_at_topk(*args, top_k=-1, drop_last=True), topk_oracle(*args, -1), rtol=1e-12
    )


def test_hand_case_counts_queries_without_hits_as_zero():
    query = np.array([[1, 1], [-1, -1], [1, -1]], float)
    database = np.array([[1, 1], [-1, 1], [-1, -1]], float)
    query_labels = np.eye(3)[[0, 1, 2]]  # class 2 has no database item
    database_labels = np.eye(3)[[0, 1, 1]]
    # query 0: relevant at rank 1 -> AP 1; query 1: database ranked (2, 1, 0) by distance
    # (0, 1, 2) -> relevant at ranks 1, 2 -> AP 1; query 2: nothing relevant -> 0, still counted.
    assert map_at_topk(query, database, query_labels, database_labels) == pytest.approx(2 / 3)
    # top-1 with the last item dropped changes nothing here; a real drop: query 0 whose only
    # relevant item is ranked last.
    far = np.array([[-1, -1]], float)
    dropped = map_at_topk(far, database, np.eye(3)[[0]], database_labels, top_k=-1, drop_last=True)
    assert dropped == 0.0
    assert map_at_topk(far, database, np.eye(3)[[0]], database_labels) == pytest.approx(1 / 3)


def test_ties_follow_database_order_by_default():
    query = np.array([[1.0, 1.0]])
    database = np.array([[1.0, 1.0], [1.0, 1.0]])
    labels = np.eye(2)
    # Both at distance 0; the relevant one is second in the database: AP = 1/2.
    assert map_at_topk(query, database, labels[[1]], labels[[0, 1]]) == pytest.approx(0.5)


def test_real_outputs_use_their_signs():
    args = list(random_problem(5))
    scaled = [args[0] * 0.3, args[1] * 0.7] + args[2:]
    assert map_at_topk(*scaled, top_k=7) == map_at_topk(*args, top_k=7)


def test_bad_arguments():
    args = random_problem(0)
    with pytest.raises(ValueError, match="top_k"):
        map_at_topk(*args, top_k=0)
    with pytest.raises(ValueError, match="bits"):
        map_at_topk(args[0][:, :4], *args[1:])
    with pytest.raises(ValueError, match="tie_break"):
        map_at_topk(*args, tie_break="random")


def test_pr_curve_matches_loop_oracle():
    query, database, query_labels, database_labels = random_problem(7, bits=6)
    precision, recall = hamming_pr_curve(query, database, query_labels, database_labels)
    bits = 6
    p = np.zeros((len(query), bits + 1))
    r = np.zeros((len(query), bits + 1))
    for i in range(len(query)):
        relevant = query_labels[i] @ database_labels.T > 0
        if relevant.sum() == 0:
            continue
        for radius in range(bits + 1):
            within = [
                j for j in range(len(database)) if 0.5 * (bits - query[i] @ database[j]) <= radius
            ]
            hits = sum(relevant[j] for j in within)
            p[i, radius] = hits / (len(within) if within else 0.1)
            r[i, radius] = hits / relevant.sum()
    counted = np.where((p > 0).sum(axis=0) == 0, 0.1, (p > 0).sum(axis=0))
    np.testing.assert_allclose(precision, p.sum(axis=0) / counted)
    np.testing.assert_allclose(recall, r.sum(axis=0) / counted)
