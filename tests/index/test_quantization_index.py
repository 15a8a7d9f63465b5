import numpy as np
import pytest

from keras_hashing.index import QuantizationIndex
from keras_hashing.metrics import distance
from keras_hashing.metrics import map_quantized
from keras_hashing.quantization import indices_to_codes
from keras_hashing.quantization import reconstruct

NUM_CODEBOOKS, NUM_CODEWORDS, DIM = 3, 4, 6


def setup(rng, num_items=50, num_queries=5):
    codebook = rng.normal(size=(NUM_CODEBOOKS * NUM_CODEWORDS, DIM)).astype(np.float32)
    codes = rng.integers(0, NUM_CODEWORDS, (num_items, NUM_CODEBOOKS))
    # Repeated codes make exact ties, which must come back in added order.
    codes[10:15] = codes[3]
    queries = rng.normal(size=(num_queries, DIM)).astype(np.float32)
    query_codes = rng.integers(0, NUM_CODEWORDS, (num_queries, NUM_CODEBOOKS))
    return codebook, codes, queries, query_codes


def aqd_oracle(query, codes, codebook, metric):
    """Explicit loop: reconstruct each item from its words and measure it against the query."""
    values = []
    for item in codes:
        reconstruction = np.zeros(DIM)
        for book, word in enumerate(item):
            reconstruction += codebook[book * NUM_CODEWORDS + word]
        if metric == "inner_product":
            values.append(-float(np.dot(query, reconstruction)))
        else:
            values.append(float(np.sum((query - reconstruction) ** 2)))
    return np.array(values)


@pytest.mark.parametrize("metric", ["inner_product", "euclidean2"])
def test_aqd_distances_and_ranking_match_the_loop_and_the_metrics(rng, metric):
    codebook, codes, queries, _ = setup(rng)
    index = QuantizationIndex(codebook, NUM_CODEBOOKS, metric=metric)
    index.add(codes[:20])
    index.add(indices_to_codes(codes[20:], NUM_CODEBOOKS, NUM_CODEWORDS))  # one-hot form
    assert index.codes.dtype == np.uint8 and index.codes.shape == (50, NUM_CODEBOOKS)
    distances, ids = index.search(queries, k=50)
    metric_distances = distance(queries, reconstruct(codes, codebook), dist_type=metric)
    for q, query in enumerate(queries):
        oracle = aqd_oracle(query.astype(np.float64), codes, codebook, metric)
        np.testing.assert_allclose(distances[q], np.sort(oracle), rtol=1e-6, atol=1e-6)
        np.testing.assert_array_equal(ids[q], np.argsort(metric_distances[q], kind="stable"))
        assert list(ids[q]).index(10) == list(ids[q]).index(3) + 1  # a tie, in added order
    top = index.search(queries, k=7)
    np.testing.assert_array_equal(top[1], ids[:, :7])
    np.testing.assert_allclose(top[0], distances[:, :7])


def test_sqd_ranks_the_query_reconstructions(rng):
    codebook, codes, _, query_codes = setup(rng)
    index = QuantizationIndex(codebook, NUM_CODEBOOKS)
    index.add(codes)
    _, ids = index.search(query_codes, k=12, mode="SQD")
    metric_distances = distance(
        reconstruct(query_codes, codebook), reconstruct(codes, codebook), dist_type="inner_product"
    )
    np.testing.assert_array_equal(ids, np.argsort(metric_distances, axis=1, kind="stable")[:, :12])


def average_precision_oracle(ranked_ids, relevant):
    hits, total = 0, 0.0
    for position, item in enumerate(ranked_ids, start=1):
        if relevant[item]:
            hits += 1
            total += hits / position
    return total / hits if hits else None


@pytest.mark.parametrize("mode", ["AQD", "SQD"])
def test_the_index_ranking_gives_map_quantized(rng, mode):
    codebook, codes, queries, query_codes = setup(rng, num_items=60, num_queries=8)
    database_labels = np.eye(3)[rng.integers(0, 3, 60)]
    query_labels = np.eye(3)[rng.integers(0, 3, 8)]
    index = QuantizationIndex(codebook, NUM_CODEBOOKS)
    index.add(codes)
    R = 20
    _, ids = index.search(queries if mode == "AQD" else query_codes, k=R, mode=mode)
    relevance = query_labels @ database_labels.T > 0
    aps = [average_precision_oracle(ids[q], relevance[q]) for q in range(8)]
    expected = map_quantized(
        queries, query_codes, codes, codebook, query_labels, database_labels, top_k=R, mode=mode
    )
    assert np.mean([ap for ap in aps if ap is not None]) == pytest.approx(expected, rel=1e-12)


def test_ids_and_codebook_survive_save_and_load(tmp_path, rng):
    codebook, codes, queries, _ = setup(rng)
    index = QuantizationIndex(codebook, NUM_CODEBOOKS, metric="euclidean2")
    index.add(codes, ids=np.arange(50) * 7 + 3)
    index.save(tmp_path / "quantized.qidx")
    restored = QuantizationIndex.load(tmp_path / "quantized.qidx")
    assert restored.metric == "euclidean2" and len(restored) == 50
    np.testing.assert_array_equal(restored.codebook, codebook)
    np.testing.assert_array_equal(restored.ids, np.arange(50) * 7 + 3)
    for got, want in zip(restored.search(queries, 9), index.search(queries, 9)):
        np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError, match="not a QuantizationIndex file"):
        np.savez(tmp_path / "other.npz", codes=codes)
        QuantizationIndex.load(tmp_path / "other.npz")


def test_empty_index_and_fewer_items_than_k(rng):
    codebook, codes, queries, _ = setup(rng)
    index = QuantizationIndex(codebook, NUM_CODEBOOKS)
    distances, ids = index.search(queries, k=3)
    np.testing.assert_array_equal(ids, -np.ones((5, 3)))
    assert np.isinf(distances).all()
    index.add(codes[:2])
    distances, ids = index.search(queries, k=3)
    np.testing.assert_array_equal(ids[:, 2], [-1] * 5)
    assert set(ids[0, :2].tolist()) == {0, 1}


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda index: index.add(np.array([[0, 1]])), r"\(N, 3\) codeword indices or \(N, 12\)"),
        (lambda index: index.add(np.array([[0, 1, 4]])), r"0\.\.3, found 4 at row 0, codebook 2"),
        (lambda index: index.add(np.array([[0.0, 1.5, 2.0]])), "must be integers"),
        (lambda index: index.add(np.ones((1, 12))), "not one-hot"),
        (lambda index: index.search(np.ones((1, 5)), 1), r"real \(Q, 6\) outputs"),
        (lambda index: index.search(np.full((1, 6), np.nan), 1), "finite"),
        (lambda index: index.search(np.ones((1, 6)), 1, mode="ADC"), "`mode`"),
        (lambda index: index.search(np.ones((1, 6)), 0), "`k` must be a positive"),
    ],
)
def test_bad_input_is_refused(rng, call, message):
    codebook, codes, _, _ = setup(rng)
    index = QuantizationIndex(codebook, NUM_CODEBOOKS)
    index.add(codes)
    with pytest.raises(ValueError, match=message):
        call(index)


def test_bad_codebooks_are_refused(rng):
    with pytest.raises(ValueError, match="split into num_codebooks=5"):
        QuantizationIndex(np.ones((12, 4)), 5)
    with pytest.raises(ValueError, match="NaN or infinity"):
        QuantizationIndex(np.full((4, 2), np.nan), 2)
    with pytest.raises(ValueError, match="`metric`"):
        QuantizationIndex(np.ones((4, 2)), 2, metric="cosine")
