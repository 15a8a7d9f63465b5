"""The counting pass behind the Hamming-ranked metrics, against explicit loops."""

import os

import numpy as np
import pytest

from keras_hashing import metrics
from keras_hashing.metrics import _counting
from tests.metrics import oracles
from tests.metrics.test_topk import topk_oracle


def tables_oracle(query, database, query_labels, database_labels, cutoff, num_keys):
    """Sorts each query's database by (key, index) and tallies the first `cutoff` items."""
    shape = (len(query), num_keys)
    counts, hits, sums = np.zeros(shape, int), np.zeros(shape, int), np.zeros(shape)
    bits = query.shape[1]
    for i, q in enumerate(query):
        keys = [int(round(bits - float(np.sign(q) @ np.sign(x)))) for x in database]
        if num_keys == bits + 1:
            keys = [k // 2 for k in keys]  # no zeros: the key is the Hamming distance
        relevant = [bool(np.any((query_labels[i] > 0) & (row > 0))) for row in database_labels]
        order = sorted(range(len(database)), key=lambda j: (keys[j], j))[:cutoff]
        found = 0
        for position, j in enumerate(order, start=1):
            counts[i, keys[j]] += 1
            if relevant[j]:
                found += 1
                hits[i, keys[j]] += 1
                sums[i, keys[j]] += found / position
    return counts, hits, sums


def codes(rng, rows, bits, zeros=0.0):
    values = rng.choice([-1.0, 1.0], (rows, bits))
    values[rng.random((rows, bits)) < zeros] = 0.0
    return values


@pytest.mark.parametrize("bits", [3, 64, 70, 130])  # one, two and three 64-bit words
@pytest.mark.parametrize("num_labels", [3, 64, 65])
@pytest.mark.parametrize("cutoff", [1, 7, 40])
def test_tables_match_the_sorting_oracle(bits, num_labels, cutoff):
    rng = np.random.default_rng(bits * 1000 + num_labels * 10 + cutoff)
    query, database = codes(rng, 5, bits), codes(rng, 40, bits)
    # Few distinct codes, so that many items tie at each distance.
    database = database[rng.integers(0, 6, 40)]
    query_labels = (rng.random((5, num_labels)) < 0.2).astype(float)
    database_labels = (rng.random((40, num_labels)) < 0.2).astype(float)
    got = _counting.rank_by_hamming(query, database, query_labels, database_labels, cutoff)
    expected = tables_oracle(query, database, query_labels, database_labels, cutoff, bits + 1)
    np.testing.assert_array_equal(got[0], expected[0])
    np.testing.assert_array_equal(got[1], expected[1])
    np.testing.assert_allclose(got[2], expected[2], rtol=1e-12)


@pytest.mark.parametrize("bits", [5, 66])
def test_codes_with_zeros_rank_by_twice_the_fractional_distance(bits):
    rng = np.random.default_rng(bits)
    query, database = codes(rng, 4, bits, zeros=0.3), codes(rng, 30, bits, zeros=0.3)
    labels = np.eye(3)[rng.integers(0, 3, 34)]
    got = _counting.rank_by_hamming(query, database, labels[:4], labels[4:], 20)
    assert got[0].shape == (4, 2 * bits + 1)
    expected = tables_oracle(query, database, labels[:4], labels[4:], 20, 2 * bits + 1)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_hand_case_equal_distances_keep_database_order():
    query = np.array([[1.0, 1.0, -1.0]])
    # distances 1, 0, 1, 0: ranked items 1, 3 (distance 0) then 0, 2 (distance 1)
    database = np.array([[1.0, -1.0, -1.0], [1.0, 1.0, -1.0], [-1.0, 1.0, -1.0], [1, 1, -1.0]])
    labels = np.array([[1, 0], [0, 1], [1, 0], [1, 0]])
    counts, hits, sums = _counting.rank_by_hamming(query, database, [[1, 0]], labels, 3)
    np.testing.assert_array_equal(counts, [[2, 1, 0, 0]])  # the cut-off drops item 2
    np.testing.assert_array_equal(hits, [[1, 1, 0, 0]])
    # item 3 at position 2 (first hit: 1/2), item 0 at position 3 (second hit: 2/3)
    np.testing.assert_allclose(sums, [[1 / 2, 2 / 3, 0, 0]])


def test_pack_bits_puts_bit_b_in_word_b_over_64():
    mask = np.zeros((2, 70), bool)
    mask[0, [0, 63]] = True
    mask[1, 64] = True
    packed = _counting.pack_bits(mask)
    assert packed.dtype == np.uint64 and packed.shape == (2, 2)
    assert packed[0].tolist() == [1 + 2**63, 0] and packed[1].tolist() == [0, 1]


@pytest.mark.parametrize("R", [1, 13, 50])
def test_map_after_sign_beyond_one_word_matches_the_oracle(R):
    rng = np.random.default_rng(R)
    query, database = rng.normal(size=(6, 70)), rng.normal(size=(50, 70))
    database[10:20] = database[0]  # exact ties
    query_labels = (rng.random((6, 70)) < 0.05).astype(int)
    database_labels = (rng.random((50, 70)) < 0.05).astype(int)
    expected = oracles.map_at_r(
        oracles.signs(query),
        query_labels,
        oracles.signs(database),
        database_labels,
        R,
        lambda a, b: -float(np.dot(a, b)),
    )
    got = metrics.map_after_sign(query, query_labels, database, database_labels, R)
    if np.isnan(expected):
        assert np.isnan(got)
    else:
        np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_map_at_topk_with_zero_signs_and_with_negative_labels_matches_the_oracle():
    rng = np.random.default_rng(4)
    query, database = codes(rng, 6, 8, zeros=0.25), codes(rng, 30, 8, zeros=0.25)
    query_labels = (rng.random((6, 4)) < 0.4).astype(float)
    database_labels = (rng.random((30, 4)) < 0.4).astype(float)
    args = (query, database, query_labels, database_labels)
    for topk in (5, 30):
        np.testing.assert_allclose(
            metrics.map_at_topk(*args, top_k=topk), topk_oracle(*args, topk), rtol=1e-12
        )
    # Labels with negative entries are no sets of labels; they take the matrix-product path.
    signed = (query, database, query_labels - 0.5, database_labels)
    np.testing.assert_allclose(
        metrics.map_at_topk(*signed, top_k=9), topk_oracle(*signed, 9), rtol=1e-12
    )


# Loads the kernel module by path, without importing keras_hashing (and so Keras).
_CACHE_PROBE = """
import importlib.util, sys
import numpy as np
spec = importlib.util.spec_from_file_location("hamming_kernel_probe", sys.argv[1])
module = sys.modules[spec.name] = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
words = np.zeros((2, 1), np.uint64)
tables = [np.zeros((2, 9), dtype) for dtype in (np.int64, np.int64, np.float64)]
module.rank_by_hamming_kernel(words, words, words, words, words, words, 8, False, 2, *tables)
print(sum(module.rank_by_hamming_kernel.stats.cache_hits.values()))
"""


@pytest.mark.slow
def test_the_kernel_is_compiled_once_then_read_from_numba_cache(tmp_path):
    # A kernel built inside a function was compiled anew in every process (about 7 s on 2
    # cores before the first metric); at module level numba's on-disk cache serves it.
    import subprocess
    import sys

    from keras_hashing.metrics import _hamming_kernel

    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    command = [sys.executable, "-c", _CACHE_PROBE, _hamming_kernel.__file__]
    hits = [
        int(subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout)
        for _ in range(2)
    ]
    assert hits == [0, 1]
