"""thulab/DeepHash metrics (spec §7): golden values of §12.5, loop oracles, ties, skip rules."""

import numpy as np
import pytest

from keras_hashing import metrics
from tests.metrics import oracles
from tests.metrics.fixtures_e import fixture_e

RTOL = 1e-5


@pytest.fixture(scope="module")
def fixture():
    return fixture_e()


def args_of(f):
    return f["query"], f["query_labels"], f["database"], f["database_labels"]


# Spec §12.5: (original value, value with a stable tie-break).
GOLDEN = {
    "map10": (0.62755102, 0.62755102),
    "map40": (0.56053190, 0.56053190),
    "map10_euclidean2": (0.59773016, 0.59773016),
    "after_sign": (0.65172336, 0.65913209),
    "rerank": (0.61170918, 0.61170918),
    "AQD": (0.59702381, 0.56568027),
    "SQD": (0.75496032, 0.71473810),
}
COLUMN = {"numpy": 0, "index": 1}


@pytest.mark.parametrize("tie_break", ["numpy", "index"])
def test_golden_map_values(fixture, tie_break):
    a, c = args_of(fixture), COLUMN[tie_break]
    got = {
        "map10": metrics.map_at_r(*a, 10, tie_break=tie_break),
        "map40": metrics.map_at_r(*a, 40, tie_break=tie_break),
        "map10_euclidean2": metrics.map_at_r(*a, 10, dist_type="euclidean2", tie_break=tie_break),
        "after_sign": metrics.map_after_sign(*a, 10, tie_break=tie_break),
        "rerank": metrics.map_after_sign_with_rerank(*a, 10, tie_break=tie_break),
    }
    for mode in ("AQD", "SQD"):
        got[mode] = metrics.map_quantized(
            fixture["query"],
            fixture["query_codes"],
            fixture["database_codes"],
            fixture["codebook"],
            fixture["query_labels"],
            fixture["database_labels"],
            10,
            mode=mode,
            tie_break=tie_break,
        )
    for key, expected in GOLDEN.items():
        np.testing.assert_allclose(got[key], expected[c], rtol=RTOL, err_msg=key)


@pytest.mark.parametrize("tie_break", ["numpy", "index"])
def test_golden_radius_2(fixture, tie_break):
    np.testing.assert_allclose(
        metrics.precision_recall_at_radius(*args_of(fixture), radius=2, tie_break=tie_break),
        [0.505, 0.13354978, 0.69626984],
        rtol=RTOL,
    )


PRECISION = [0, 0.433333, 0.505, 0.553651, 0.521261, 0.503582, 0.510289, 0.502308, 0.5]
RECALL = [0, 0.045599, 0.133550, 0.487590, 0.636724, 0.896465, 0.977778, 1, 1]
MAP_CURVE = {
    "numpy": [0, 0.6, 0.578690, 0.628373, 0.593005, 0.566987, 0.561366, 0.560146, 0.560146],
    "index": [0, 0.5, 0.571190, 0.650414, 0.610343, 0.577559, 0.572296, 0.570488, 0.570488],
}


@pytest.mark.parametrize("tie_break", ["numpy", "index"])
def test_golden_curves(fixture, tie_break):
    precision, recall, curve = metrics.precision_recall_curves(
        *args_of(fixture), tie_break=tie_break
    )
    # The spec prints six decimals.
    np.testing.assert_allclose(precision, PRECISION, atol=5e-7)
    np.testing.assert_allclose(recall, RECALL, atol=5e-7)
    np.testing.assert_allclose(curve, MAP_CURVE[tie_break], atol=5e-7)


def test_quantized_accepts_index_codes(fixture):
    indices = fixture["database_codes"].reshape(40, 2, 3).argmax(-1)
    query_indices = fixture["query_codes"].reshape(5, 2, 3).argmax(-1)
    for mode in ("AQD", "SQD"):
        one_hot = metrics.map_quantized(
            fixture["query"],
            fixture["query_codes"],
            fixture["database_codes"],
            fixture["codebook"],
            fixture["query_labels"],
            fixture["database_labels"],
            10,
            mode=mode,
        )
        by_index = metrics.map_quantized(
            fixture["query"],
            query_indices,
            indices,
            fixture["codebook"],
            fixture["query_labels"],
            fixture["database_labels"],
            10,
            mode=mode,
        )
        np.testing.assert_allclose(by_index, one_hot, rtol=1e-12)


def random_case(rng, num_query=7, num_database=60, bits=8, num_labels=4, levels=None):
    """Random outputs; `levels` quantises them so that many distances tie exactly."""
    query = rng.uniform(-1, 1, (num_query, bits))
    database = rng.uniform(-1, 1, (num_database, bits))
    if levels:
        query = np.round(query * levels) / levels
        database = np.round(database * levels) / levels
    query_labels = (rng.random((num_query, num_labels)) < 0.3).astype(int)
    database_labels = (rng.random((num_database, num_labels)) < 0.3).astype(float)
    return query, query_labels, database, database_labels


@pytest.mark.parametrize("levels", [None, 1, 2])
@pytest.mark.parametrize("R", [1, 5, 17, 60])
def test_map_at_r_matches_loop_oracle(rng, levels, R):
    case = random_case(rng, levels=levels)
    for dist_type, dist in (
        ("inner_product", lambda q, x: -float(np.dot(q, x))),
        ("euclidean2", lambda q, x: float(np.sum((q - x) ** 2))),
    ):
        np.testing.assert_allclose(
            metrics.map_at_r(*case, R, dist_type=dist_type),
            oracles.map_at_r(*case, R, dist),
            rtol=1e-12,
        )


@pytest.mark.parametrize("R", [1, 9, 30, 60])
def test_map_after_sign_matches_oracle_on_heavy_ties(rng, R):
    case = random_case(rng, bits=4)  # 4 bits: only five distances, ties everywhere
    q, ql, x, xl = case
    expected = oracles.map_at_r(
        oracles.signs(q), ql, oracles.signs(x), xl, R, lambda a, b: -float(np.dot(a, b))
    )
    np.testing.assert_allclose(metrics.map_after_sign(*case, R), expected, rtol=1e-12)
    # Hamming ranking through the generic (float, partition) path gives the same value.
    np.testing.assert_allclose(
        metrics.map_at_r(oracles.signs(q), ql, oracles.signs(x), xl, R), expected, rtol=1e-12
    )


def test_numpy_tie_break_is_the_original_call_sequence(rng):
    q, ql, x, xl = random_case(rng, bits=4)
    sq, sx = oracles.signs(q), oracles.signs(x)
    dist = -np.inner(sq, sx)
    R = 20
    ids = np.argpartition(dist, R - 1)[:, :R]
    aps = []
    for i in range(len(q)):
        label = ql[i].copy()
        label[label == 0] = -1
        idx = ids[i][np.argsort(dist[i][ids[i]])]
        match = np.sum(np.equal(xl[idx], label), 1) > 0
        if match.sum():
            aps.append(np.sum(np.cumsum(match) / np.arange(1, R + 1) * match) / match.sum())
    got = metrics.map_after_sign(q, ql, x, xl, R, tie_break="numpy")
    assert got == pytest.approx(np.mean(aps), rel=1e-12)


def test_hand_tie_case_orders_equal_distances_by_index():
    # Every database item is at the same distance: ranking is by index, relevant items 1 and 3.
    query = np.ones((1, 4))
    database = np.ones((4, 4))
    labels = np.array([[0, 1], [1, 0], [0, 1], [1, 0]])
    # positions 2 and 4: AP = (1/2 + 2/4) / 2
    assert metrics.map_after_sign(query, [[1, 0]], database, labels, 4) == pytest.approx(0.5)
    assert metrics.map_at_r(query, [[1, 0]], database, labels, 2) == pytest.approx(0.5)
    # R = 1 keeps the lowest index (item 0, irrelevant): the query is skipped, so NaN.
    assert np.isnan(metrics.map_at_r(query, [[1, 0]], database, labels, 1))


def test_skip_rule_queries_without_hits_do_not_count():
    database = np.array([[1.0, 1.0], [-1.0, -1.0]])
    labels = np.array([[1, 0], [0, 1]])
    query = np.array([[1.0, 1.0], [1.0, 1.0]])
    # query 1 (label 1) has no relevant item in its top 1: skipped, not counted as 0
    assert metrics.map_at_r(query, [[1, 0], [0, 1]], database, labels, 1) == 1.0


def test_rerank_matches_oracle_and_hand_case(rng):
    for levels in (None, 1):
        case = random_case(rng, bits=6, levels=levels)
        for R in (1, 10, 30):
            np.testing.assert_allclose(
                metrics.map_after_sign_with_rerank(*case, R),
                oracles.map_rerank(*case, R),
                rtol=1e-12,
            )
    query = np.array([[0.3, -0.2]])
    database = np.array([[0.9, -0.1], [0.1, -0.1], [0.5, 0.5]])
    # Items 0 and 1 at distance 0; item 0 has the larger dot product, so it comes first.
    assert metrics.map_after_sign_with_rerank(
        query, [[1, 0]], database, [[0, 1], [1, 0], [1, 0]], 2
    ) == pytest.approx(0.5)


def test_rerank_raises_when_too_few_items_within_d_minus_1():
    query = np.array([[1.0, 1.0]])
    database = np.array([[1.0, 1.0], [-1.0, -1.0]])  # the second one is at distance D = 2
    with pytest.raises(ValueError, match="fewer than top_k=2"):
        metrics.map_after_sign_with_rerank(query, [[1]], database, [[1], [1]], 2)


@pytest.mark.parametrize("radius", [0, 1, 2, 3, 10, 12])
def test_radius_matches_oracle(rng, radius):
    for levels in (None, 1):
        case = random_case(rng, num_database=40, bits=12 if radius >= 10 else 8, levels=levels)
        # Every query has a relevant item so that recall is finite.
        case[3][0] = 1
        np.testing.assert_allclose(
            metrics.precision_recall_at_radius(*case, radius=radius),
            oracles.radius(*case, radius),
            rtol=1e-12,
        )


def test_radius_skip_rules():
    database = np.array([[1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, -1.0]])
    database_labels = np.array([[1, 0], [1, 0]])
    # q0 retrieves both (both relevant): p=1, r=1, map=1.
    # q1 retrieves nothing within radius 0: counts 0 in all three means.
    # q2 retrieves item 0, which is not relevant: p=0, r=0/0=NaN, and no mAP entry.
    query = np.array([[1.0, 1.0, 1.0, 0.5], [-1.0, -1.0, -1.0, -1.0], [1.0, 1.0, 1.0, 1.0]])
    query_labels = np.array([[1, 0], [1, 0], [0, 1]])
    p, r, m = metrics.precision_recall_at_radius(
        query, query_labels, database, database_labels, radius=1
    )
    assert p == pytest.approx(1 / 3)
    assert np.isnan(r)  # the original's 0/0 recall for a query with no relevant item
    assert m == pytest.approx(0.5)  # mean of [1, 0]: q2 dropped
    p, r, m = metrics.precision_recall_at_radius(
        query[:2], query_labels[:2], database, database_labels, radius=1
    )
    assert (p, r, m) == (0.5, 0.5, 0.5)


def test_curves_match_oracle(rng):
    for levels in (None, 1):
        case = random_case(rng, num_database=50, bits=6, levels=levels)
        case[3][0] = 1
        for got, expected in zip(metrics.precision_recall_curves(*case), oracles.curves(*case)):
            np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)


def test_curves_count_queries_without_relevant_items_as_zero_map():
    query = np.array([[1.0, 1.0]])
    database = np.array([[1.0, 1.0], [1.0, -1.0]])
    precision, recall, curve = metrics.precision_recall_curves(
        query, [[0, 1]], database, [[1, 0], [1, 0]]
    )
    np.testing.assert_array_equal(precision, [0, 0, 0])
    np.testing.assert_array_equal(curve, [0, 0, 0])
    assert np.all(np.isnan(recall))  # 0/0 as in the original


@pytest.mark.parametrize("name", ["map_at_r", "map_after_sign", "map_after_sign_with_rerank"])
def test_chunking_gives_identical_results(rng, name):
    case = random_case(rng, num_query=9, bits=6, levels=1)
    function = getattr(metrics, name)
    for tie_break in ("index", "numpy"):
        whole = function(*case, 20, tie_break=tie_break)
        for chunk_size in (1, 2, 4):
            assert function(*case, 20, tie_break=tie_break, chunk_size=chunk_size) == whole


def test_chunking_radius_and_curves(rng):
    case = random_case(rng, num_query=9, bits=6, levels=1)
    case[3][0] = 1
    for tie_break in ("index", "numpy"):
        whole = metrics.precision_recall_at_radius(*case, tie_break=tie_break)
        np.testing.assert_array_equal(  # NaN recall (query without labels) compares equal here
            metrics.precision_recall_at_radius(*case, tie_break=tie_break, chunk_size=1), whole
        )
        curves = metrics.precision_recall_curves(*case, tie_break=tie_break)
        for a, b in zip(
            curves, metrics.precision_recall_curves(*case, tie_break=tie_break, chunk_size=2)
        ):
            np.testing.assert_allclose(a, b, rtol=1e-14)


def test_chunks_run_on_threads_and_keep_their_order(monkeypatch):
    import threading

    from keras_hashing.metrics import _core

    monkeypatch.setattr(_core.os, "cpu_count", lambda: 4)
    bounds = _core.chunk_bounds(10, 5, chunk_size=1)
    threads = set()

    def chunk(start, stop):
        threads.add(threading.get_ident())
        return (start, stop)

    assert _core.map_chunks(chunk, bounds, False, 10, 5, "test") == bounds
    assert threading.get_ident() not in threads  # worker threads, not the caller's
    # One thread when the variable says so, whatever the cores.
    monkeypatch.setenv("KERAS_HASHING_METRIC_THREADS", "1")
    threads.clear()
    assert _core.map_chunks(chunk, bounds, False, 10, 5, "test") == bounds
    assert threads == {threading.get_ident()}
    for wrong in ("0", "two"):
        monkeypatch.setenv("KERAS_HASHING_METRIC_THREADS", wrong)
        with pytest.raises(ValueError, match=f"KERAS_HASHING_METRIC_THREADS.*{wrong}"):
            _core.map_chunks(chunk, bounds, False, 10, 5, "test")


def test_progress_bar_runs(rng, capsys):
    case = random_case(rng, num_query=4)
    assert metrics.map_at_r(*case, 10, chunk_size=1, verbose=True) == metrics.map_at_r(*case, 10)


def test_inputs_are_never_modified(rng):
    case = random_case(rng, bits=4)
    case[2][0, 0] = 0.0  # an exact zero, signed in a copy
    before = [np.array(a, copy=True) for a in case]
    metrics.map_after_sign(*case, 10, tie_break="numpy")
    metrics.map_after_sign_with_rerank(*case, 10)
    metrics.precision_recall_at_radius(*case)
    metrics.precision_recall_curves(*case)
    for a, b in zip(case, before):
        np.testing.assert_array_equal(a, b)


def test_labels_int_float_bool_agree(rng):
    q, ql, x, xl = random_case(rng)
    values = [metrics.map_at_r(q, ql.astype(t), x, xl.astype(t), 20) for t in (int, float, bool)]
    assert values[0] == values[1] == values[2]


def test_hash_sign_rules():
    x = np.array([[-0.5, 0.0, 2.0, 0.0]])
    np.testing.assert_array_equal(metrics.hash_sign(x), [[-1, 1, 1, 1]])
    random = metrics.hash_sign(np.zeros((50, 8)), zero="random", seed=3)
    assert set(np.unique(random)) == {-1.0, 1.0}
    again = metrics.hash_sign(np.zeros((50, 8)), zero="random", seed=3)
    np.testing.assert_array_equal(random, again)
    with pytest.raises(ValueError, match="zero"):
        metrics.hash_sign(x, zero="nan")


def test_validation_errors(rng):
    q, ql, x, xl = random_case(rng)
    with pytest.raises(ValueError, match="columns"):
        metrics.map_at_r(q[:, :4], ql, x, xl, 5)
    with pytest.raises(ValueError, match="query_labels"):
        metrics.map_at_r(q, ql[:3], x, xl, 5)
    with pytest.raises(ValueError, match="classes"):
        metrics.map_at_r(q, ql[:, :2], x, xl, 5)
    with pytest.raises(ValueError, match="0/1"):
        metrics.map_at_r(q, ql * 2, x, xl, 5)
    with pytest.raises(ValueError, match="top_k"):
        metrics.map_at_r(q, ql, x, xl, 61)
    with pytest.raises(ValueError, match="tie_break"):
        metrics.map_at_r(q, ql, x, xl, 5, tie_break="stable")
    with pytest.raises(ValueError, match="chunk_size"):
        metrics.map_at_r(q, ql, x, xl, 5, chunk_size=0)
    with pytest.raises(ValueError, match="finite"):
        metrics.map_at_r(np.full_like(q, np.nan), ql, x, xl, 5)
    with pytest.raises(ValueError, match="2-D"):
        metrics.map_at_r(q[0], ql, x, xl, 5)
    with pytest.raises(ValueError, match="mode"):
        metrics.map_quantized(q, None, x, np.eye(8), ql, xl, 5, mode="PQ")
