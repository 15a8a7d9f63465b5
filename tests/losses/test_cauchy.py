import keras
import numpy as np
import pytest

from keras_hashing.losses import CauchyCrossEntropy
from keras_hashing.losses import QuantizationLoss
from keras_hashing.losses import cauchy_cross_entropy
from keras_hashing.losses import quantization_loss
from tests.fixtures import pairwise_fixture_a


def cauchy_oracle(labels, outputs, gamma, normed):
    """Explicit double loop over pairs, written from spec §6.4."""
    n, dim = outputs.shape
    s = np.clip(labels @ labels.T, 0, 1).astype(np.float64)
    weight_similar = (n * n) / s.sum()
    total = 0.0
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            zi, zj = outputs[i].astype(np.float64), outputs[j].astype(np.float64)
            if normed:
                cos = zi @ zj / np.sqrt((zi @ zi) * (zj @ zj + 1e-6))
                d = dim / 2.0 * (1.0 - cos + 1e-6)
            else:
                d = np.sum((zi - zj) ** 2) + 0.001
            sigma = gamma / (gamma + d)
            if s[i, j]:
                total += weight_similar * -np.log(sigma)
            else:
                total += -np.log(1.0 - sigma)
    return total / (n * (n - 1))


@pytest.mark.parametrize(
    "gamma, normed, expected",
    [
        (20.0, False, 0.22426544),
        (1.0, False, 1.75093961),
        (20.0, True, 0.18594933),
        (1.0, True, 1.59038007),
    ],
)
def test_cauchy_matches_original_golden_values(gamma, normed, expected):
    outputs, labels = pairwise_fixture_a()
    value = float(cauchy_cross_entropy(labels, outputs, gamma=gamma, normed=normed))
    np.testing.assert_allclose(value, expected, rtol=1e-5)


def test_quantization_term_matches_original():
    outputs, _ = pairwise_fixture_a()
    np.testing.assert_allclose(float(quantization_loss(outputs)), 0.37496296, rtol=1e-5)


@pytest.mark.parametrize("normed", [False, True])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_cauchy_matches_loop_oracle(seed, normed):
    rng = np.random.default_rng(seed)
    outputs = np.tanh(rng.normal(size=(7, 12))).astype("float32")
    labels = (rng.uniform(size=(7, 5)) < 0.3).astype("float32")
    labels[labels.sum(axis=1) == 0, 2] = 1
    value = float(cauchy_cross_entropy(labels, outputs, gamma=5.0, normed=normed))
    np.testing.assert_allclose(value, cauchy_oracle(labels, outputs, 5.0, normed), rtol=1e-5)


def test_diagonal_is_excluded_from_the_mean_but_counted_in_the_weights():
    # Two identical samples of one class and one of another: 5 of the 9 pairs are similar
    # (3 of them diagonal), so similar pairs weigh 9/5, and the mean is over the 6 off-diagonal
    # pairs.
    outputs = np.array([[1.0, 1.0], [1.0, 1.0], [-1.0, -1.0]], "float32")
    labels = np.eye(2, dtype="float32")[[0, 0, 1]]
    sigma_same = 20.0 / (20.0 + 0.001)
    sigma_far = 20.0 / (20.0 + 8.001)
    expected = (2 * 9 / 5 * -np.log(sigma_same) + 4 * -np.log(1 - sigma_far)) / 6
    np.testing.assert_allclose(float(cauchy_cross_entropy(labels, outputs)), expected, rtol=1e-6)


@pytest.mark.parametrize("gamma", [0.0, -1.0])
def test_non_positive_gamma_is_rejected(gamma):
    outputs, labels = pairwise_fixture_a()
    with pytest.raises(ValueError, match="gamma"):
        cauchy_cross_entropy(labels, outputs, gamma=gamma)
    with pytest.raises(ValueError, match="gamma"):
        CauchyCrossEntropy(gamma=gamma)


def test_loss_classes_call_the_functions_and_round_trip():
    outputs, labels = pairwise_fixture_a()
    loss = CauchyCrossEntropy(gamma=1.0, normed=True)
    np.testing.assert_allclose(float(loss(labels, outputs)), 1.59038007, rtol=1e-5)
    clone = CauchyCrossEntropy.from_config(loss.get_config())
    assert (clone.gamma, clone.normed) == (1.0, True)
    restored = keras.losses.deserialize(keras.losses.serialize(loss))
    np.testing.assert_allclose(float(restored(labels, outputs)), 1.59038007, rtol=1e-5)
    q = QuantizationLoss.from_config(QuantizationLoss().get_config())
    np.testing.assert_allclose(float(q(labels, outputs)), 0.37496296, rtol=1e-5)


def test_gradient_is_finite():
    outputs, labels = pairwise_fixture_a()
    if keras.backend.backend() == "jax":
        import jax

        grad = jax.grad(lambda z: cauchy_cross_entropy(labels, z))(outputs)
    else:
        import tensorflow as tf

        z = tf.Variable(outputs)
        with tf.GradientTape() as tape:
            value = cauchy_cross_entropy(labels, z)
        grad = tape.gradient(value, z)
    assert np.all(np.isfinite(np.asarray(grad)))


def test_cauchy_distance_never_below_its_offset_when_rounding_cancels():
    """Two dissimilar, nearly equal rows of large norm: the expansion
    |u|^2 - 2<u, v> + |v|^2 rounds below -0.001 in float32 for some draws (as TF32 matmuls on a
    GPU do for tanh outputs), which made log(1 - cauchy) NaN; the squared distance is clamped."""
    import numpy as np

    from keras_hashing.losses.cauchy import cauchy_cross_entropy

    rng = np.random.default_rng(0)
    labels = np.eye(2, dtype="float32")
    negative = 0
    for _ in range(20):
        row = rng.normal(0.0, 60.0, (1, 64)).astype("float32")
        outputs = np.concatenate([row, row * np.float32(1 + 1e-7)])
        squared = (outputs**2).sum(1)
        negative += squared[0] - 2 * outputs[0] @ outputs[1] + squared[1] < -0.001
        loss = float(cauchy_cross_entropy(labels, outputs))
        assert np.isfinite(loss)
    assert negative > 0  # the draws do reach the case
