"""DTQ triplet mining (spec §12.7 counts) and the index-carrying pipelines."""

import numpy as np
import pytest

from keras_hashing.data import TripletSampler
from keras_hashing.data import indexed_dataset
from keras_hashing.data import mine_triplets
from keras_hashing.data import triplet_dataset


def fixture():
    labels = np.eye(3, dtype=np.float32)[np.arange(12) % 3]
    embeddings = np.random.RandomState(11).uniform(-1, 1, (12, 4)).astype(np.float32)
    return embeddings, labels


def brute_force(embeddings, labels, margin, strategy):
    """Loop oracle of the n_part = 1 counts."""
    n = len(labels)
    d = [[float(np.sum((embeddings[i] - embeddings[j]) ** 2)) for j in range(n)] for i in range(n)]
    count = 0
    for a in range(n):
        pos = [j for j in range(n) if labels[a] @ labels[j] > 0]
        neg = [j for j in range(n) if labels[a] @ labels[j] == 0]
        if strategy == "hard":
            far = max(pos, key=lambda j: (d[a][j], -j))
            count += far != a
            continue
        for p in pos:
            if p == a:
                continue
            if strategy == "all":
                count += 1
            else:
                count += any(d[a][k] - d[a][p] < margin for k in neg)
    return count


@pytest.mark.parametrize("strategy,expected", [("hard", 12), ("all", 36), ("margin", 33)])
def test_counts_12_7_one_part(strategy, expected):
    embeddings, labels = fixture()
    triplets = mine_triplets(embeddings, labels, 1.0, n_part=1, strategy=strategy, rng=0)
    assert len(triplets) == expected == brute_force(embeddings, labels, 1.0, strategy)


@pytest.mark.parametrize("strategy,expected", [("hard", 10), ("all", 24), ("margin", 16)])
def test_counts_12_7_two_parts_original_rng_order(strategy, expected):
    # The original draws its permutation at construction and reshuffles it at mining time,
    # both from NumPy's legacy global RNG seeded with 123.
    embeddings, labels = fixture()
    rs = np.random.RandomState(123)
    perm = np.arange(12)
    rs.shuffle(perm)
    triplets = mine_triplets(
        embeddings, labels, 1.0, n_part=2, strategy=strategy, rng=rs, perm=perm
    )
    assert len(triplets) == expected


@pytest.mark.parametrize("strategy", ["hard", "all", "margin"])
@pytest.mark.parametrize("n_part", [1, 2, 3])
def test_invariants(strategy, n_part):
    embeddings, labels = fixture()
    triplets = mine_triplets(embeddings, labels, 1.0, n_part=n_part, strategy=strategy, rng=5)
    a, p, n = triplets.T
    assert np.all(np.sum(labels[a] * labels[p], 1) > 0)
    assert np.all(np.sum(labels[a] * labels[n], 1) == 0)
    assert np.all(a != p)
    d = np.sum((embeddings[:, None] - embeddings[None]) ** 2, -1)
    if strategy == "margin":
        assert np.all(d[a, n] - d[a, p] < 1.0)
    # Each (anchor, positive) pair yields at most one triplet.
    assert len({(x, y) for x, y in zip(a, p)}) == len(triplets)


def test_hard_picks_farthest_positive_and_nearest_negative():
    embeddings, labels = fixture()
    triplets = mine_triplets(embeddings, labels, 1.0, strategy="hard", rng=0)
    d = np.sum((embeddings[:, None] - embeddings[None]) ** 2, -1)
    for a, p, n in triplets:
        same = labels @ labels[a] > 0
        assert d[a, p] == d[a][same].max()
        assert d[a, n] == d[a][~same].min()


def test_errors():
    embeddings, labels = fixture()
    with pytest.raises(ValueError, match="strategy"):
        mine_triplets(embeddings, labels, 1.0, strategy="semi")
    with pytest.raises(ValueError, match="no triplet"):
        mine_triplets(embeddings, np.ones((12, 1)), 1.0)
    with pytest.raises(ValueError, match="same n"):
        mine_triplets(embeddings[:5], labels, 1.0)


def test_sampler_halves_below_threshold_and_cursor():
    embeddings, labels = fixture()
    sampler = TripletSampler(
        np.zeros((12, 2, 2, 1), np.float32),
        labels,
        batch_size=5,
        margin=1.0,
        strategy="all",
        n_part=4,
        threshold=1000,
        seed=0,
    )
    sampler.mine(embeddings)
    assert sampler.n_part == 2
    sampler.mine(embeddings)
    assert sampler.n_part == 1
    batches = list(sampler.epoch_indices())
    assert len(batches) == len(sampler.triplets) // 5
    first = sampler.triplets[:5]
    np.testing.assert_array_equal(
        batches[0], np.concatenate([first[:, 0], first[:, 1], first[:, 2]])
    )


@pytest.mark.tensorflow_only
def test_pipelines_carry_indices():
    embeddings, labels = fixture()
    images = np.arange(12, dtype=np.float32).reshape(12, 1, 1, 1)
    seen = []
    for inputs, y in indexed_dataset(images, labels, 4, shuffle_seed=0):
        np.testing.assert_array_equal(inputs["images"].numpy().ravel(), inputs["indices"].numpy())
        np.testing.assert_array_equal(y.numpy(), labels[inputs["indices"].numpy()])
        seen.extend(inputs["indices"].numpy())
    assert sorted(seen) == list(range(12))
    sampler = TripletSampler(
        images, labels, batch_size=3, margin=1.0, strategy="margin", n_part=1, seed=0
    )
    sampler.mine(embeddings)
    batch, y = next(iter(triplet_dataset(sampler)))
    assert batch["images"].shape == (9, 1, 1, 1)
    idx = batch["indices"].numpy()
    np.testing.assert_array_equal(idx, sampler.triplets[:3].T.ravel())
    assert np.all(np.sum(labels[idx[:3]] * labels[idx[6:]], 1) == 0)


@pytest.mark.tensorflow_only
def test_inputs_read_by_index_keep_the_batch_size_of_their_indices():
    # An image list (or cached maps) is read through tf.numpy_function, which loses the static
    # shape: the training batches must still say their (fixed) batch size and item shape, as
    # the in-memory path does, so that shape checks downstream see one.
    _, labels = fixture()

    class Loader:
        def __len__(self):
            return 12

        def load(self, index):
            return np.full((2, 2, 1), index, np.float32)

    training = indexed_dataset(Loader(), labels, 4, training=True, shuffle_seed=0)
    assert tuple(training.element_spec[0]["images"].shape) == (4, 2, 2, 1)
    inputs, _ = next(iter(training))
    np.testing.assert_array_equal(inputs["images"].numpy()[:, 0, 0, 0], inputs["indices"].numpy())
    evaluation = indexed_dataset(Loader(), labels, 5, training=False)
    assert tuple(evaluation.element_spec[0]["images"].shape) == (None, 2, 2, 1)
