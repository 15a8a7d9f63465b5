"""MilvusHammingIndex on the embedded milvus-lite (a local file), checked against faiss."""

import sys

import numpy as np
import pytest

from keras_hashing.index import HammingIndex
from keras_hashing.index import MilvusHammingIndex
from keras_hashing.index.milvus_index import is_milvus_uri


def clustered_codes(rng, n, bits, centres=3):
    # Few centres: many equal distances, where Milvus and faiss may pick different tied ids.
    middle = np.where(rng.normal(size=(centres, bits)) >= 0, 1, -1)
    flips = np.where(rng.random((n, bits)) < 0.1, -1, 1)
    return (middle[rng.integers(0, centres, n)] * flips).astype(np.int8)


@pytest.fixture
def milvus(tmp_path):
    index = MilvusHammingIndex(20, uri=str(tmp_path / "codes.db"), collection="test_codes")
    yield index
    index.close()


def test_distances_and_radius_results_equal_faiss(milvus, rng):
    database = clustered_codes(rng, 300, 20)
    queries = clustered_codes(rng, 6, 20)
    ids = rng.permutation(10_000)[:300] + 10**9
    faiss_index = HammingIndex(20)
    faiss_index.add(database, ids=ids)
    milvus.add(database[:120], ids=ids[:120])
    milvus.add(database[120:], ids=ids[120:])
    assert len(milvus) == 300
    k = 25
    milvus_distances, milvus_ids = milvus.search(queries, k)
    faiss_distances, faiss_ids = faiss_index.search(queries, k)
    np.testing.assert_array_equal(milvus_distances, faiss_distances)
    for q in range(len(queries)):
        # Below the last distance both hold the same set; at it, any tied items may be chosen.
        last = faiss_distances[q, -1]
        inside = faiss_distances[q] < last
        assert set(milvus_ids[q][inside]) == set(faiss_ids[q][inside])
        ball_distances, ball_ids = faiss_index.range_search(queries[q : q + 1], int(last))
        at_last = set(ball_ids[0][ball_distances[0] == last])
        assert set(milvus_ids[q][~inside]) <= at_last
    milvus_radius = milvus.range_search(queries, 3)
    faiss_radius = faiss_index.range_search(queries, 3)
    assert sum(len(found) for found in faiss_radius[1]) > 0
    for q in range(len(queries)):
        np.testing.assert_array_equal(milvus_radius[0][q], faiss_radius[0][q])
        assert set(milvus_radius[1][q]) == set(faiss_radius[1][q])


def test_reopening_the_file_keeps_codes_and_ids(tmp_path, rng):
    database = clustered_codes(rng, 40, 12)
    path = str(tmp_path / "kept.db")
    with MilvusHammingIndex(12, uri=path, collection="kept") as index:
        index.add(database, ids=np.arange(40) * 11)
        index.save()
    with MilvusHammingIndex(12, uri=path, collection="kept") as reopened:
        assert len(reopened) == 40
        distances, found = reopened.search(database[[5]], 1)
        assert distances[0, 0] == 0 and database[found[0, 0] // 11].tolist() == database[5].tolist()
    with pytest.raises(ValueError, match="holds 16-bit binary vectors .* expected 24"):
        MilvusHammingIndex(24, uri=path, collection="kept")


def test_empty_collection_and_bad_input(milvus, rng):
    distances, ids = milvus.search(clustered_codes(rng, 2, 20), 4)
    np.testing.assert_array_equal(ids, -np.ones((2, 4)))
    np.testing.assert_array_equal(distances, -np.ones((2, 4)))
    assert milvus.range_search(clustered_codes(rng, 1, 20), 5)[1][0].size == 0
    with pytest.raises(ValueError, match="take the sign"):
        milvus.add(rng.normal(size=(2, 20)))
    with pytest.raises(ValueError, match="at most 16384"):
        milvus.search(clustered_codes(rng, 1, 20), 20000)
    with pytest.raises(ValueError, match="repeat 4"):
        milvus.add(clustered_codes(rng, 2, 20), ids=[4, 4])
    with pytest.raises(ValueError, match="pass no path"):
        milvus.save("elsewhere.db")


def test_a_clear_error_when_pymilvus_is_missing(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "pymilvus", None)
    with pytest.raises(ImportError, match=r'pip install "keras_hashing\[milvus\]"'):
        MilvusHammingIndex(8, uri=str(tmp_path / "never.db"))


def test_milvus_uris_are_recognised():
    assert is_milvus_uri("codes.db") and is_milvus_uri("http://localhost:19530")
    assert not is_milvus_uri("codes.hidx")


class _FlakyClient:
    """Stands in for `pymilvus.MilvusClient`: the first `failures` connections find no server."""

    failures = 0
    calls = []

    def __init__(self, uri, token, **kwargs):
        import pymilvus

        type(self).calls.append((uri, kwargs))
        if len(type(self).calls) <= type(self).failures:
            raise pymilvus.exceptions.MilvusException(message="Fail connecting to server")


@pytest.mark.parametrize(
    "uri, failures, connections, connects",
    [
        ("local.db", 2, 3, True),  # milvus-lite's server was slow to start: retried
        ("local.db", 3, 3, False),  # never started: the third error reaches the caller
        ("http://localhost:19530", 1, 1, False),  # a server URI is not retried
    ],
)
def test_a_milvus_lite_connection_is_retried(monkeypatch, uri, failures, connections, connects):
    import pymilvus

    from keras_hashing.index import milvus_index

    monkeypatch.setattr(_FlakyClient, "failures", failures)
    monkeypatch.setattr(_FlakyClient, "calls", [])
    monkeypatch.setattr(pymilvus, "MilvusClient", _FlakyClient)
    monkeypatch.setattr(milvus_index, "_LITE_RETRY_PAUSE_S", 0.0)
    if connects:
        assert isinstance(milvus_index._connect(pymilvus, uri, ""), _FlakyClient)
    else:
        with pytest.raises(pymilvus.exceptions.MilvusException, match="Fail connecting"):
            milvus_index._connect(pymilvus, uri, "")
    assert len(_FlakyClient.calls) == connections
    assert all(uri == called for called, _ in _FlakyClient.calls)
