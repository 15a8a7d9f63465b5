import numpy as np
import pytest

from keras_hashing.index import HammingIndex
from keras_hashing.index import pack_codes


def random_codes(rng, n, bits):
    return np.where(rng.normal(size=(n, bits)) >= 0, 1, -1).astype(np.int8)


def hamming_oracle(queries, database):
    """Explicit loop over every pair: the number of positions that differ."""
    distances = np.zeros((len(queries), len(database)), np.int64)
    for i, query in enumerate(queries):
        for j, item in enumerate(database):
            distances[i, j] = sum(int(a != b) for a, b in zip(query, item))
    return distances


@pytest.mark.parametrize("bits", [16, 12, 5])
def test_search_matches_brute_force_with_ties_by_added_order(rng, bits):
    database = random_codes(rng, 120, bits)
    queries = random_codes(rng, 5, bits)
    index = HammingIndex(bits)
    index.add(database[:50])
    index.add(database[50:])
    assert len(index) == 120
    distances, ids = index.search(queries, k=20)
    hamming = hamming_oracle(queries, database)
    for q in range(len(queries)):
        expected = np.argsort(hamming[q], kind="stable")[:20]
        np.testing.assert_array_equal(ids[q], expected)
        np.testing.assert_array_equal(distances[q], hamming[q][expected])
    assert distances.dtype == np.int32 and ids.dtype == np.int64


def test_codes_in_every_accepted_form_give_the_same_neighbours(rng):
    database = random_codes(rng, 40, 10)
    queries = random_codes(rng, 3, 10)
    index = HammingIndex(10)
    index.add(database)
    expected = index.search(queries, 5)
    for form in (queries > 0, (queries > 0).astype(np.float32), pack_codes(queries)):
        for got, want in zip(index.search(form, 5), expected):
            np.testing.assert_array_equal(got, want)


def test_user_ids_survive_batches_save_and_load(tmp_path, rng):
    database = random_codes(rng, 60, 16)
    # Large, sparse ids: they must come back as given, not as positions.
    user_ids = np.arange(60, dtype=np.int64)[::-1] * 1_000_003 + 2**40
    index = HammingIndex(16, threads=1)
    index.add(database[:25], ids=user_ids[:25])
    index.add(database[25:], ids=user_ids[25:])
    distances, ids = index.search(database[[3, 40]], k=1)
    np.testing.assert_array_equal(ids[:, 0], user_ids[[3, 40]])
    np.testing.assert_array_equal(distances[:, 0], [0, 0])
    path = tmp_path / "codes.hidx"
    index.save(path)
    assert path.exists()
    restored = HammingIndex.load(path)
    assert len(restored) == 60 and restored.code_length == 16
    np.testing.assert_array_equal(restored.ids, user_ids)
    for got, want in zip(restored.search(database, 7), index.search(database, 7)):
        np.testing.assert_array_equal(got, want)
    radius_before = index.range_search(database[:4], 4)
    radius_after = restored.range_search(database[:4], 4)
    for got, want in zip(radius_after[1], radius_before[1]):
        np.testing.assert_array_equal(got, want)


def test_range_search_returns_everything_within_the_radius_sorted(rng):
    database = random_codes(rng, 200, 9)
    queries = random_codes(rng, 6, 9)
    index = HammingIndex(9)
    index.add(database, ids=np.arange(200) + 500)
    hamming = hamming_oracle(queries, database)
    for radius in (0, 1, 2, 9, 50):
        distances, ids = index.range_search(queries, radius)
        assert len(distances) == len(ids) == len(queries)
        for q in range(len(queries)):
            expected = [j for j in np.argsort(hamming[q], kind="stable") if hamming[q, j] <= radius]
            np.testing.assert_array_equal(ids[q], np.array(expected, np.int64) + 500)
            np.testing.assert_array_equal(distances[q], hamming[q][expected])


def test_hash_table_radius_lookup_equals_the_flat_scan(rng):
    # Codes near a few centres, so buckets hold many items and many ties.
    centres = random_codes(rng, 4, 24)
    database = centres[rng.integers(0, 4, 400)] * np.where(rng.random((400, 24)) < 0.05, -1, 1)
    queries = centres[rng.integers(0, 4, 10)] * np.where(rng.random((10, 24)) < 0.05, -1, 1)
    flat, hashed = HammingIndex(24), HammingIndex(24, hash_bits=12)
    flat.add(database)
    hashed.add(database)
    for radius in (0, 1, 2, 3):
        flat_result, hash_result = (
            flat.range_search(queries, radius),
            hashed.range_search(queries, radius),
        )
        for flat_part, hash_part in zip(flat_result, hash_result):
            for got, want in zip(hash_part, flat_part):
                np.testing.assert_array_equal(got, want)
    assert sum(len(ids) for ids in flat.range_search(queries, 2)[1]) > 10


def test_ivf_with_every_cell_probed_finds_the_flat_distances(tmp_path, rng):
    database = random_codes(rng, 500, 16)
    queries = random_codes(rng, 8, 16)
    flat = HammingIndex(16)
    flat.add(database)
    ivf = HammingIndex(16, nlist=4, nprobe=4)
    assert not ivf.is_trained
    ivf.add(database[:300], ids=np.arange(300))
    ivf.add(database[300:], ids=np.arange(300, 500))
    assert ivf.is_trained and ivf.structure == "ivf"
    # Ties may be cut differently, the distances may not.
    np.testing.assert_array_equal(ivf.search(queries, 10)[0], flat.search(queries, 10)[0])
    ivf.nprobe = 1
    one_cell = ivf.search(queries, 10)[0]
    assert np.all((one_cell >= flat.search(queries, 10)[0]) | (one_cell == -1))
    ivf.save(tmp_path / "ivf.hidx")
    restored = HammingIndex.load(tmp_path / "ivf.hidx")
    assert restored.nprobe == 1 and restored.structure == "ivf"
    np.testing.assert_array_equal(restored.search(queries, 10)[0], one_cell)


def test_threads_default_to_every_core_and_do_not_change_results(rng):
    import os

    database = random_codes(rng, 300, 32)
    index = HammingIndex(32)
    assert index.threads == len(os.sched_getaffinity(0))
    index.add(database)
    many = index.search(database[:20], 15)
    index.threads = 1
    for got, want in zip(index.search(database[:20], 15), many):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("structure", [{}, {"nlist": 4, "nprobe": 2}, {"hash_bits": 10}])
def test_query_slices_on_threads_give_the_one_thread_results(rng, structure):
    # Searches split the queries across threads: 7 queries over 3 threads gives uneven
    # slices, and 5 threads for 2 queries leaves threads without a slice.
    database = random_codes(rng, 400, 24)
    queries = np.concatenate([database[:4], random_codes(rng, 3, 24)])
    alone = HammingIndex(24, threads=1, **structure)
    alone.add(database, ids=np.arange(400) + 50)
    for threads, count in ((3, 7), (5, 2)):
        split = HammingIndex(24, threads=threads, **structure)
        split.add(database, ids=np.arange(400) + 50)
        for got, want in zip(split.search(queries[:count], 9), alone.search(queries[:count], 9)):
            np.testing.assert_array_equal(got, want)
        got_range = split.range_search(queries[:count], 3)
        want_range = alone.range_search(queries[:count], 3)
        assert len(got_range[0]) == count
        for got_list, want_list in zip(got_range, want_range):
            for got, want in zip(got_list, want_list):
                np.testing.assert_array_equal(got, want)


def test_searching_an_empty_index_gives_missing_places(rng):
    index = HammingIndex(8)
    distances, ids = index.search(random_codes(rng, 2, 8), k=3)
    np.testing.assert_array_equal(ids, -np.ones((2, 3)))
    np.testing.assert_array_equal(distances, -np.ones((2, 3)))
    radius_distances, radius_ids = index.range_search(random_codes(rng, 2, 8), 8)
    assert [len(a) for a in radius_distances + radius_ids] == [0, 0, 0, 0]
    index.add(random_codes(rng, 2, 8), ids=[7, 9])
    distances, ids = index.search(random_codes(rng, 1, 8), k=4)
    assert sorted(ids[0, :2].tolist()) == [7, 9]
    np.testing.assert_array_equal(ids[0, 2:], [-1, -1])
    np.testing.assert_array_equal(distances[0, 2:], [-1, -1])


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda index, rng: index.add(random_codes(rng, 3, 16)), r"8 columns .* shape \(3, 16\)"),
        (lambda index, rng: index.add(rng.normal(size=(3, 8))), "take the sign"),
        (lambda index, rng: index.search(np.full((1, 8), np.nan), 1), "NaN at row 0"),
        (lambda index, rng: index.search(random_codes(rng, 1, 8), 0), "`k` must be a positive"),
        (lambda index, rng: index.range_search(random_codes(rng, 1, 8), -1), "`radius`"),
        (lambda index, rng: index.add(random_codes(rng, 2, 8), ids=[1, 1]), "repeat 1"),
        (lambda index, rng: index.add(random_codes(rng, 2, 8), ids=[1]), "2 entries"),
        (lambda index, rng: index.add(random_codes(rng, 2, 8), ids=[-2, 1]), ">= 0"),
        (lambda index, rng: index.add(random_codes(rng, 1, 8), ids=[1.5]), "integers"),
        (lambda index, rng: index.add(random_codes(rng, 1, 8), ids=[3]), "already in the index"),
    ],
)
def test_bad_input_is_refused(rng, make, message):
    index = HammingIndex(8)
    index.add(random_codes(rng, 4, 8))
    with pytest.raises(ValueError, match=message):
        make(index, rng)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"code_length": 0}, "code_length"),
        ({"code_length": 8, "nlist": 4, "hash_bits": 4}, "choose one structure"),
        ({"code_length": 8, "nlist": 0}, "`nlist` must be a positive integer"),
        ({"code_length": 8, "hash_bits": 9}, r"`hash_bits` must be in 1\.\.8"),
        ({"code_length": 8, "threads": 0}, "`threads` must be a positive integer"),
        ({"code_length": 8, "nprobe": 0}, "`nprobe` must be a positive integer"),
    ],
)
def test_bad_settings_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        HammingIndex(**kwargs)


def test_ivf_training_needs_as_many_codes_as_cells(rng):
    with pytest.raises(ValueError, match="at least 8 codes, found 3"):
        HammingIndex(8, nlist=8).add(random_codes(rng, 3, 8))


def test_load_refuses_other_files(tmp_path):
    np.savez(tmp_path / "other.npz", codes=np.zeros(3))
    with pytest.raises(ValueError, match="not a HammingIndex file"):
        HammingIndex.load(tmp_path / "other.npz")
    (tmp_path / "text.hidx").write_text("hello")
    with pytest.raises(ValueError, match="not a HammingIndex file"):
        HammingIndex.load(tmp_path / "text.hidx")
