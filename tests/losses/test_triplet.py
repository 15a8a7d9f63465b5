"""DTQ triplet loss on every distance: golden values of spec §12.4 and §4, plus loop oracles."""

import numpy as np
import pytest

from keras_hashing.losses import TripletLoss
from keras_hashing.losses import reconstruction_loss
from keras_hashing.losses import row_distance
from keras_hashing.losses import triplet_loss
from tests.losses.test_quantization_losses import codes

GOLDEN = {
    "euclidean2": (30.77466011, 1.95209837),
    "euclidean": (30.15516853, 0.65833694),
    "cosine": (30.05153847, 0.55153918),
    "inner_product": (30.26683617, 0.90098810),
}


def fixture():
    rs = np.random.RandomState(6)
    Z = rs.uniform(-1, 1, (9, 8)).astype(np.float32)
    C = rs.uniform(-1, 1, (6, 8)).astype(np.float32)
    return Z, C, codes(7, 9, 2, 3)


@pytest.mark.parametrize("dist_type", sorted(GOLDEN))
def test_golden_12_4(dist_type):
    Z, _, _ = fixture()
    for margin, expected in zip((30.0, 0.5), GOLDEN[dist_type]):
        got = float(triplet_loss(Z[:3], Z[3:6], Z[6:], margin, dist_type))
        np.testing.assert_allclose(got, expected, rtol=1e-5)
        np.testing.assert_allclose(
            float(TripletLoss(margin, dist_type)(np.zeros((9, 1), np.float32), Z)),
            expected,
            rtol=1e-5,
        )


def test_quantization_golden_12_4():
    Z, C, b = fixture()
    np.testing.assert_allclose(float(reconstruction_loss(Z, b, C)), 7.40842962, rtol=1e-5)


def test_distance_self_test_values():
    x1 = 2.0 * np.array([[1, 1, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1]], np.float32)
    rev = x1[::-1].copy()
    np.testing.assert_allclose(row_distance(x1, rev, "euclidean2"), [4, 8, 8, 4], rtol=1e-6)
    np.testing.assert_allclose(
        row_distance(x1, rev, "cosine"), [0.091752, 0.25, 0.25, 0.091752], rtol=1e-5
    )
    np.testing.assert_allclose(row_distance(x1, rev, "inner_product"), [-8, -4, -4, -8], rtol=1e-6)


@pytest.mark.parametrize(
    "dist_type",
    [
        "euclidean2",
        "euclidean",
        "averaged_euclidean2",
        "averaged_euclidean",
        "normed_euclidean2",
        "inner_product",
        "cosine",
    ],
)
def test_loop_oracle(rng, dist_type):
    a, p, n = (rng.normal(size=(4, 5)).astype(np.float32) for _ in range(3))

    def dist(x, y):
        if dist_type == "euclidean2":
            return sum((x - y) ** 2)
        if dist_type == "euclidean":
            return np.sqrt(sum((x - y) ** 2))
        if dist_type == "averaged_euclidean2":
            return np.mean((x - y) ** 2)
        if dist_type == "averaged_euclidean":
            return np.sqrt(np.mean((x - y) ** 2))
        if dist_type == "normed_euclidean2":
            return sum((x / np.linalg.norm(x) - y / np.linalg.norm(y)) ** 2)
        if dist_type == "inner_product":
            return -x @ y
        return (1 - x @ y / np.linalg.norm(x) / np.linalg.norm(y)) / 2

    expected = np.mean([max(0.0, dist(a[t], p[t]) - dist(a[t], n[t]) + 0.7) for t in range(4)])
    np.testing.assert_allclose(float(triplet_loss(a, p, n, 0.7, dist_type)), expected, rtol=1e-5)


def test_errors_and_config():
    Z, _, _ = fixture()
    with pytest.raises(ValueError, match="dist_type"):
        triplet_loss(Z[:3], Z[3:6], Z[6:], 1.0, "manhattan")
    with pytest.raises(ValueError, match="one shape"):
        triplet_loss(Z[:3], Z[3:5], Z[6:], 1.0)
    with pytest.raises(ValueError, match="3\\*T"):
        TripletLoss()(np.zeros((8, 1), np.float32), Z[:8])
    loss = TripletLoss(0.5, "cosine")
    clone = TripletLoss.from_config(loss.get_config())
    assert (clone.margin, clone.dist_type) == (0.5, "cosine")


@pytest.mark.tensorflow_only
def test_a_batch_of_open_size_in_a_graph_is_accepted():
    # Inputs read by index through tf.numpy_function (list-file DTQ, the cached trunk) reach the
    # loss with a batch size the graph leaves open; the shape check must not trip on it.
    import tensorflow as tf

    Z, _, _ = fixture()
    spec = tf.TensorSpec((None, Z.shape[1]), tf.float32)

    @tf.function(input_signature=[spec, spec, spec])
    def loss(a, p, n):
        return triplet_loss(a, p, n, 1.0)

    np.testing.assert_allclose(
        float(loss(Z[:3], Z[3:6], Z[6:9])), float(triplet_loss(Z[:3], Z[3:6], Z[6:9], 1.0))
    )
    with pytest.raises(ValueError, match="one shape"):
        tf.function(lambda a, p: triplet_loss(a, p, p, 1.0)).get_concrete_function(
            tf.TensorSpec((None, 4), tf.float32), tf.TensorSpec((None, 5), tf.float32)
        )
