import numpy as np
import pytest

from keras_hashing.index import HammingIndex
from keras_hashing.index import pack_codes


def random_codes(rng, n, bits):
    return np.where(rng.normal(size=(n, bits)) >= 0, 1, -1).astype(np.int8)


def test_search_matches_brute_force_with_ties_by_id(rng):
    database = random_codes(rng, 300, 16)
    queries = random_codes(rng, 7, 16)
    index = HammingIndex(16)
    index.add(database[:100])
    index.add(database[100:])
    assert len(index) == 300
    distances, ids = index.search(queries, k=20)
    hamming = (16 - queries.astype(int) @ database.T.astype(int)) // 2
    for q in range(len(queries)):
        expected = np.argsort(hamming[q], kind="stable")[:20]
        np.testing.assert_array_equal(ids[q], expected)
        np.testing.assert_array_equal(distances[q], hamming[q][expected])


def test_save_load_and_errors(tmp_path, rng):
    database = random_codes(rng, 10, 8)
    index = HammingIndex(8)
    index.add(database)
    index.save(tmp_path / "codes.index")
    restored = HammingIndex.load(tmp_path / "codes.index")
    np.testing.assert_array_equal(restored.search(database, 2)[1], index.search(database, 2)[1])
    with pytest.raises(ValueError, match="multiple of 8"):
        HammingIndex(12)
    with pytest.raises(ValueError, match=r"\(N, 8\)"):
        index.add(random_codes(rng, 3, 16))
    with pytest.raises(ValueError, match="multiple of 8"):
        pack_codes(np.ones((2, 5)))
    _, ids = index.search(database[:1], k=12)
    assert ids[0, -1] == -1
