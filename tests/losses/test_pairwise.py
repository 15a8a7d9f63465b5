import keras
import numpy as np
import pytest

from keras_hashing.losses import DHNPyTorchLoss
from keras_hashing.losses import LogCoshQuantizationLoss
from keras_hashing.losses import PairwiseCrossEntropy
from keras_hashing.losses import dhn_pytorch_loss
from keras_hashing.losses import dhn_pytorch_pairwise_loss
from keras_hashing.losses import log_cosh_quantization_loss
from keras_hashing.losses import pairwise_cross_entropy
from tests.fixtures import pairwise_fixture_a


def dhn_oracle(labels, outputs, alpha, normed):
    """Explicit double loop over all B^2 pairs (diagonal included), written from spec §6.1."""
    n = len(outputs)
    s = np.clip(labels @ labels.T, 0, 1).astype(np.float64)
    weight_similar = (n * n) / s.sum()
    total = 0.0
    for i in range(n):
        for j in range(n):
            zi, zj = outputs[i].astype(np.float64), outputs[j].astype(np.float64)
            if normed:
                theta = zi @ zj / np.sqrt((zi @ zi) * (zj @ zj))
            else:
                theta = np.clip(zi @ zj, -15.0, 15.0)
            loss = np.log1p(np.exp(alpha * theta)) - s[i, j] * alpha * theta
            total += (weight_similar if s[i, j] else 1.0) * loss
    return total / (n * n)


def dhn_pytorch_oracle(labels, outputs, lamda):
    """Explicit loops over DHNLoss of TreezzZ/DHN_PyTorch (spec drsh_dadh_dhn_djsrh.md §3.2)."""
    n, k = outputs.shape
    h = outputs.astype(np.float64)
    pair = 0.0
    for i in range(n):
        for j in range(n):
            theta = h[i] @ h[j] / 2.0
            s = float(labels[i] @ labels[j] > 0)
            pair += np.log(1 + np.exp(-abs(lamda * theta))) + max(theta, 0.0) - lamda * s * theta
    quant = 0.0
    for i in range(n):
        for d in range(k):
            quant += np.log(np.cosh(abs(h[i, d]) - 1.0))
    return pair / (n * n) + lamda * quant / (n * k)


@pytest.mark.parametrize(
    "alpha, normed, expected",
    [
        (10.0, True, 1.60655069),
        (0.5, True, 0.66725636),
        (10.0, False, 3.58223438),
        (0.5, False, 0.66011089),
    ],
)
@pytest.mark.parametrize("stable", [True, False])
def test_dhn_matches_original_golden_values(alpha, normed, expected, stable):
    # spec §12.1, fixture A
    outputs, labels = pairwise_fixture_a()
    value = float(
        pairwise_cross_entropy(labels, outputs, alpha=alpha, normed=normed, stable=stable)
    )
    np.testing.assert_allclose(value, expected, rtol=1e-5)


@pytest.mark.parametrize("normed", [False, True])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_dhn_matches_loop_oracle(seed, normed):
    rng = np.random.default_rng(seed)
    outputs = np.tanh(2 * rng.normal(size=(7, 12))).astype("float32")
    labels = (rng.uniform(size=(7, 5)) < 0.3).astype("float32")
    labels[labels.sum(axis=1) == 0, 2] = 1
    for alpha in (0.5, 3.0):
        value = float(pairwise_cross_entropy(labels, outputs, alpha=alpha, normed=normed))
        np.testing.assert_allclose(value, dhn_oracle(labels, outputs, alpha, normed), rtol=1e-5)


def test_diagonal_is_kept_and_only_similar_pairs_are_up_weighted():
    # Two samples of class 0, one of class 1: similar pairs are the 3 diagonal ones plus (0,1)
    # and (1,0), so 5 of 9, weight 9/5; dissimilar pairs weigh 1; the mean is over all 9.
    outputs = np.array([[1.0, 0.0], [1.0, 0.0], [-1.0, 0.0]], "float32")
    labels = np.eye(2, dtype="float32")[[0, 0, 1]]
    alpha = 2.0
    similar = np.log1p(np.exp(alpha)) - alpha  # cos = 1
    dissimilar = np.log1p(np.exp(-alpha))  # cos = -1
    expected = (5 * 9 / 5 * similar + 4 * dissimilar) / 9
    value = float(pairwise_cross_entropy(labels, outputs, alpha=alpha))
    np.testing.assert_allclose(value, expected, rtol=1e-6)


def test_unnormalised_branch_clips_before_alpha():
    # Inner products of 20 are clipped to 15 and only then scaled by alpha = 0.5: theta = 7.5
    # (clipping alpha * 20 = 10 instead would leave 10).
    outputs = np.full((2, 4), np.sqrt(5.0), "float32")  # z.z = 20
    labels = np.eye(2, dtype="float32")  # diagonal similar (weight 4/2), off-diagonal not
    logit = 0.5 * 15.0
    softplus = np.log1p(np.exp(logit))
    expected = (2 * 2 * (softplus - logit) + 2 * softplus) / 4
    value = float(pairwise_cross_entropy(labels, outputs, alpha=0.5, normed=False))
    np.testing.assert_allclose(value, expected, rtol=1e-5)


def test_literal_softplus_overflows_as_the_original_and_stable_does_not():
    # alpha * 15 = 150: exp(150) is inf in float32 (spec §10.13).
    outputs = np.full((2, 4), 2.0, "float32")
    labels = np.eye(2, dtype="float32")
    literal = float(pairwise_cross_entropy(labels, outputs, alpha=10.0, normed=False, stable=False))
    stable = float(pairwise_cross_entropy(labels, outputs, alpha=10.0, normed=False))
    assert np.isinf(literal)
    # Dissimilar pairs: softplus(150) = 150 for all four pairs, and similar weights only on the
    # diagonal: w = |s - 1| + 4/2 * s.
    expected = (2 * 2 * (150.0 - 150.0) + 2 * 150.0) / 4
    np.testing.assert_allclose(stable, expected, rtol=1e-6)


def test_zero_output_is_finite_in_the_cosine_branch():
    # The original gives NaN here (a flagged departure; tests/losses/test_zero_vectors.py).
    outputs = np.array([[0.0, 0.0], [1.0, 0.0]], "float32")
    labels = np.eye(2, dtype="float32")
    assert np.isfinite(float(pairwise_cross_entropy(labels, outputs)))


@pytest.mark.parametrize("alpha", [0.0, -1.0])
def test_bad_alpha_is_rejected(alpha):
    outputs, labels = pairwise_fixture_a()
    with pytest.raises(ValueError, match="alpha"):
        pairwise_cross_entropy(labels, outputs, alpha=alpha)
    with pytest.raises(ValueError, match="alpha"):
        PairwiseCrossEntropy(alpha=alpha)


@pytest.mark.parametrize("lamda", [1.0, 0.01, 2.5])
@pytest.mark.parametrize("seed", [4, 5])
def test_dhn_pytorch_loss_matches_loop_oracle(seed, lamda):
    rng = np.random.default_rng(seed)
    outputs = np.tanh(2 * rng.normal(size=(6, 10))).astype("float32")
    labels = (rng.uniform(size=(6, 4)) < 0.4).astype("float32")
    value = float(dhn_pytorch_loss(labels, outputs, lamda=lamda))
    np.testing.assert_allclose(value, dhn_pytorch_oracle(labels, outputs, lamda), rtol=1e-5)


def test_dhn_pytorch_pair_term_is_unbalanced_dhn_with_alpha_half():
    # lamda = 1: softplus(h.h/2) - S h.h/2, i.e. DHN's unnormalised loss at alpha = 0.5 without
    # the balance weights (and without the clip, inactive for |h.h| <= 15).
    outputs, labels = pairwise_fixture_a()
    s = (labels @ labels.T > 0).astype(np.float64)
    logits = 0.5 * outputs.astype(np.float64) @ outputs.T.astype(np.float64)
    expected = np.mean(np.log1p(np.exp(logits)) - s * logits)
    np.testing.assert_allclose(
        float(dhn_pytorch_pairwise_loss(labels, outputs)), expected, rtol=1e-5
    )


def test_log_cosh_quantization_loss():
    outputs, _ = pairwise_fixture_a()
    expected = np.mean(np.log(np.cosh(np.abs(outputs.astype(np.float64)) - 1.0)))
    np.testing.assert_allclose(float(log_cosh_quantization_loss(outputs)), expected, rtol=1e-5)
    at_one = float(log_cosh_quantization_loss(np.array([[1.0, -1.0]], "float32")))
    assert at_one == pytest.approx(0.0, abs=1e-7)
    # Finite where cosh overflows.
    np.testing.assert_allclose(
        float(log_cosh_quantization_loss(np.array([[200.0]], "float32"))),
        199.0 - np.log(2.0),
        rtol=1e-6,
    )


def test_loss_classes_call_the_functions_and_round_trip():
    outputs, labels = pairwise_fixture_a()
    loss = PairwiseCrossEntropy(alpha=0.5, normed=False)
    np.testing.assert_allclose(float(loss(labels, outputs)), 0.66011089, rtol=1e-5)
    clone = PairwiseCrossEntropy.from_config(loss.get_config())
    assert (clone.alpha, clone.normed, clone.stable) == (0.5, False, True)
    restored = keras.losses.deserialize(keras.losses.serialize(loss))
    np.testing.assert_allclose(float(restored(labels, outputs)), 0.66011089, rtol=1e-5)

    torch_loss = DHNPyTorchLoss(lamda=0.25)
    clone = keras.losses.deserialize(keras.losses.serialize(torch_loss))
    assert clone.lamda == 0.25
    np.testing.assert_allclose(
        float(clone(labels, outputs)),
        float(dhn_pytorch_loss(labels, outputs, lamda=0.25)),
        rtol=1e-6,
    )
    log_cosh = LogCoshQuantizationLoss.from_config(LogCoshQuantizationLoss().get_config())
    np.testing.assert_allclose(
        float(log_cosh(labels, outputs)), float(log_cosh_quantization_loss(outputs)), rtol=1e-6
    )
    with pytest.raises(ValueError, match="lamda"):
        DHNPyTorchLoss(lamda=-1.0)


def _gradient(fn, outputs):
    if keras.backend.backend() == "jax":
        import jax

        return np.asarray(jax.grad(fn)(outputs))
    import tensorflow as tf

    z = tf.Variable(outputs)
    with tf.GradientTape() as tape:
        value = fn(z)
    return tape.gradient(value, z).numpy()


def test_gradients_are_finite_and_match_finite_differences():
    outputs, labels = pairwise_fixture_a()
    for fn in (
        lambda z: pairwise_cross_entropy(labels, z),
        lambda z: pairwise_cross_entropy(labels, z, alpha=10.0, normed=False),
        lambda z: dhn_pytorch_loss(labels, z),
    ):
        grad = _gradient(fn, outputs)
        assert np.all(np.isfinite(grad))
        step = np.zeros_like(outputs)
        step[2, 3] = 1e-2
        numeric = (float(fn(outputs + step)) - float(fn(outputs - step))) / 2e-2
        np.testing.assert_allclose(grad[2, 3], numeric, rtol=2e-2, atol=1e-4)
