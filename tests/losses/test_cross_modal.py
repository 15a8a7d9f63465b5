"""DADH and DJSRH losses against explicit-loop NumPy oracles written from the spec (§2.3, §4.2)."""

import math

import keras
import numpy as np
import pytest
from keras import ops

from keras_hashing.layers import DADHDiscriminator
from keras_hashing.losses import DADHTripletLoss
from keras_hashing.losses import DJSRHReconstructionLoss
from keras_hashing.losses import dadh_quantization_loss
from keras_hashing.losses import dadh_triplet_loss
from keras_hashing.losses import discriminator_loss
from keras_hashing.losses import djsrh_affinity
from keras_hashing.losses import djsrh_reconstruction_loss
from keras_hashing.losses import generator_adversarial_loss
from keras_hashing.losses import gradient_penalty


def numpy_triplet(source, target, labels, margin, kappa, ndcg):
    """Spec §2.3, one triplet at a time."""
    b = len(source)
    shared = labels @ labels.T
    z = np.zeros(b)
    for i in range(b):
        ideal = sorted(shared[i], reverse=True)
        z[i] = sum((2.0**r - 1) / math.log2(q + 2) for q, r in enumerate(ideal))
    total = 0.0
    for i in range(b):
        for j in range(b):
            for k in range(b):
                if not (shared[i, j] > 0 and shared[i, k] == 0):
                    continue

                def d(a, c):
                    cos = (
                        source[a]
                        @ target[c]
                        / max(np.linalg.norm(source[a]) * np.linalg.norm(target[c]), 1e-8)
                    )
                    return max(0.0, 1.0 - cos)

                hinge = d(i, j) - d(i, k) + margin
                if ndcg:
                    s_ij = (2.0 ** shared[i, j] - 1) / z[i]
                    s_ik = (2.0 ** shared[i, k] - 1) / z[i]
                    total += max(0.0, 10 * kappa**2 * (s_ij - s_ik) * hinge)
                else:
                    total += max(0.0, kappa * hinge)
    return total


def random_batch(seed, b=6, k=8, c=4):
    rng = np.random.default_rng(seed)
    source = np.tanh(rng.normal(size=(b, k))).astype("float32")
    target = np.tanh(rng.normal(size=(b, k))).astype("float32")
    labels = (rng.random((b, c)) < 0.35).astype("float32")
    labels[labels.sum(1) == 0, rng.integers(0, c)] = 1
    return source, target, labels


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("ndcg", [True, False])
def test_triplet_matches_the_loop_oracle(seed, ndcg):
    source, target, labels = random_batch(seed)
    kappa = 1.0 * 1.0 + 0.1  # beta * gamma + 0.1 with the defaults
    expected = numpy_triplet(
        source.astype("float64"),
        target.astype("float64"),
        labels.astype("float64"),
        0.4,
        kappa,
        ndcg,
    )
    found = float(
        dadh_triplet_loss(source, target, labels, margin=0.4, kappa=kappa, ndcg_weights=ndcg)
    )
    assert expected > 0
    np.testing.assert_allclose(found, expected, rtol=1e-5)


def test_triplet_defaults_scale_is_121_times_the_weighted_sum():
    # Spec §2.3: with alpha = 10 and beta = gamma = 1, alpha * 10 * kappa^2 = 121.
    source, target, labels = random_batch(5)
    unit = (
        numpy_triplet(
            source.astype("float64"),
            target.astype("float64"),
            labels.astype("float64"),
            0.4,
            1.0,
            True,
        )
        / 10.0
    )
    found = 10.0 * float(dadh_triplet_loss(source, target, labels, kappa=1.1))
    np.testing.assert_allclose(found, 121.0 * unit, rtol=1e-5)


def test_triplet_counts_the_own_pair_as_a_positive():
    # Two items, different labels: only j = i is a positive, k = the other item the negative.
    source = np.array([[1.0, 0.0], [0.0, 1.0]], "float32")
    target = np.array([[0.0, 1.0], [1.0, 0.0]], "float32")  # each item's own text is orthogonal
    labels = np.eye(2, dtype="float32")
    # d_ii = 1, d_ik = 0 -> hinge = 1.4; Z_i = 1, s_ii = 1; kappa = 1: 10 * 1 * 1.4 per anchor.
    np.testing.assert_allclose(
        float(dadh_triplet_loss(source, target, labels, kappa=1.0)), 28.0, rtol=1e-6
    )


def test_discriminator_and_generator_losses_match_log_sigmoid():
    rng = np.random.default_rng(3)
    real, fake = rng.normal(size=7).astype("float32"), rng.normal(size=7).astype("float32")
    sigmoid = lambda x: 1.0 / (1.0 + np.exp(-x.astype("float64")))  # noqa: E731
    expected = -np.mean(np.log(sigmoid(real))) - np.mean(np.log(1.0 - sigmoid(fake)))
    np.testing.assert_allclose(float(discriminator_loss(real, fake)), expected, rtol=1e-5)
    np.testing.assert_allclose(
        float(generator_adversarial_loss(fake)), -np.mean(np.log(sigmoid(fake))), rtol=1e-5
    )
    # Where the original's log(sigmoid(x)) overflows, the softplus form stays finite.
    assert np.isfinite(float(discriminator_loss(np.array([-200.0]), np.array([200.0]))))


def test_gradient_penalty_matches_numpy_and_is_zero_safe():
    rng = np.random.default_rng(4)
    gradients = rng.normal(size=(5, 6)).astype("float32")
    gradients[2] = 0.0
    expected = np.mean((np.linalg.norm(gradients.astype("float64"), axis=1) - 1.0) ** 2)
    np.testing.assert_allclose(float(gradient_penalty(gradients)), expected, rtol=1e-5)


def numpy_discriminator(weights, x):
    h = x
    for kernel, bias in weights[:-1]:
        h = np.maximum(h @ kernel + bias, 0.0)
    return (h @ weights[-1][0] + weights[-1][1])[:, 0]


def test_discriminator_input_gradient_matches_finite_differences():
    keras.utils.set_random_seed(0)
    layer = DADHDiscriminator((7, 5), seed=3)
    layer.build((None, 4))
    weights = [
        (
            ops.convert_to_numpy(d.kernel).astype("float64"),
            ops.convert_to_numpy(d.bias).astype("float64"),
        )
        for d in layer.dense_layers
    ]
    x = np.random.default_rng(5).normal(size=(3, 4))
    np.testing.assert_allclose(
        ops.convert_to_numpy(layer(x.astype("float32"))),
        numpy_discriminator(weights, x),
        rtol=1e-4,
        atol=1e-5,
    )
    step = 1e-6
    numeric = np.zeros_like(x)
    for n in range(4):
        delta = np.zeros_like(x)
        delta[:, n] = step
        numeric[:, n] = (
            numpy_discriminator(weights, x + delta) - numpy_discriminator(weights, x - delta)
        ) / (2 * step)
    analytic = ops.convert_to_numpy(layer.input_gradient(x.astype("float32")))
    np.testing.assert_allclose(analytic, numeric, rtol=1e-4, atol=1e-5)


def test_discriminator_initialisation_is_kaiming_with_zero_bias():
    layer = DADHDiscriminator((512,), seed=1)
    layer.build((None, 2048))
    kernel = ops.convert_to_numpy(layer.dense_layers[0].kernel)
    assert abs(kernel.std() - math.sqrt(2.0 / 2048)) < 0.002
    assert np.abs(kernel).max() > 2.5 * math.sqrt(2.0 / 2048)  # untruncated normal tails
    assert not np.any(ops.convert_to_numpy(layer.dense_layers[0].bias))


def test_quantization_loss_is_a_sum():
    codes = np.sign(np.random.default_rng(6).normal(size=(4, 3))).astype("float32")
    outputs = np.random.default_rng(7).uniform(-1, 1, (4, 3)).astype("float32")
    np.testing.assert_allclose(
        float(dadh_quantization_loss(codes, outputs)), np.sum((codes - outputs) ** 2), rtol=1e-6
    )


def hand_affinity(image_features, text_features, beta, eta, mu, m):
    def cos_matrix(f):
        n = len(f)
        out = np.zeros((n, n))
        for i in range(n):
            for j in range(n):
                ni, nj = np.linalg.norm(f[i]), np.linalg.norm(f[j])
                ui = f[i] / max(ni, 1e-12)
                uj = f[j] / max(nj, 1e-12)
                out[i, j] = ui @ uj
        return out

    s_i = 2 * cos_matrix(image_features) - 1
    s_t = 2 * cos_matrix(text_features) - 1
    joint = beta * s_i + (1 - beta) * s_t
    second = np.zeros_like(joint)
    for i in range(len(joint)):
        for j in range(len(joint)):
            second[i, j] = sum(joint[i, q] * joint[j, q] for q in range(len(joint))) / m
    return mu * ((1 - eta) * joint + eta * second)


def test_djsrh_affinity_by_hand():
    # Two items, orthogonal images, identical texts: S_I = [[1,-1],[-1,1]], S_T = all ones.
    images = np.array([[1.0, 0.0], [0.0, 2.0]], "float32")
    texts = np.array([[1.0, 1.0], [2.0, 2.0]], "float32")
    beta, eta, mu = 0.9, 0.4, 1.5
    joint = np.array([[1.0, -0.8], [-0.8, 1.0]])
    second = joint @ joint.T / 2
    expected = mu * ((1 - eta) * joint + eta * second)
    np.testing.assert_allclose(
        ops.convert_to_numpy(djsrh_affinity(images, texts, beta, eta, mu)), expected, rtol=1e-6
    )


def test_djsrh_affinity_matches_loops_with_a_zero_text_row_and_a_constant_normalizer():
    rng = np.random.default_rng(8)
    images = np.abs(rng.normal(size=(5, 6))).astype("float32")
    texts = (rng.random((5, 4)) < 0.5).astype("float32")
    texts[3] = 0.0  # a zero bag of words: its row of S_T is -1, diagonal included
    expected = hand_affinity(images.astype("float64"), texts.astype("float64"), 0.6, 0.4, 1.5, 32)
    found = ops.convert_to_numpy(djsrh_affinity(images, texts, 0.6, 0.4, 1.5, normalizer=32))
    np.testing.assert_allclose(found, expected, rtol=1e-5, atol=1e-6)
    default = ops.convert_to_numpy(djsrh_affinity(images, texts, 0.6, 0.4, 1.5))
    np.testing.assert_allclose(
        default,
        hand_affinity(images.astype("float64"), texts.astype("float64"), 0.6, 0.4, 1.5, 5),
        rtol=1e-5,
        atol=1e-6,
    )


def test_djsrh_affinity_rejects_mismatched_batches():
    with pytest.raises(ValueError, match="rows"):
        djsrh_affinity(np.ones((3, 2)), np.ones((4, 2)), 0.5, 0.4, 1.5)


def test_djsrh_reconstruction_loss_matches_numpy():
    rng = np.random.default_rng(9)
    image_codes = np.tanh(rng.normal(size=(6, 8))).astype("float32")
    text_codes = np.tanh(rng.normal(size=(6, 8))).astype("float32")
    affinity = rng.uniform(-1.5, 1.5, (6, 6)).astype("float32")
    bi = image_codes / np.linalg.norm(image_codes, axis=1, keepdims=True)
    bt = text_codes / np.linalg.norm(text_codes, axis=1, keepdims=True)
    parts = [np.mean((a @ b.T - affinity) ** 2) for a, b in ((bi, bi), (bi, bt), (bt, bt))]
    total, found = djsrh_reconstruction_loss(
        image_codes, text_codes, affinity, 0.3, 0.2, return_parts=True
    )
    np.testing.assert_allclose([float(p) for p in found], parts, rtol=1e-5)
    np.testing.assert_allclose(float(total), 0.3 * parts[0] + parts[1] + 0.2 * parts[2], rtol=1e-5)
    loss = DJSRHReconstructionLoss(0.3, 0.2)
    np.testing.assert_allclose(
        float(loss(affinity, np.concatenate([image_codes, text_codes], 1))), float(total), rtol=1e-6
    )


def test_loss_classes_round_trip_and_match_the_functions():
    source, target, labels = random_batch(11)
    loss = DADHTripletLoss(margin=0.3, kappa=1.2, ndcg_weights=False)
    clone = DADHTripletLoss.from_config(loss.get_config())
    assert (clone.margin, clone.kappa, clone.ndcg_weights) == (0.3, 1.2, False)
    expected = float(
        dadh_triplet_loss(source, target, labels, margin=0.3, kappa=1.2, ndcg_weights=False)
    )
    np.testing.assert_allclose(
        float(clone(labels, np.concatenate([source, target], 1))), expected, rtol=1e-6
    )
    recon = DJSRHReconstructionLoss(0.3, 0.4)
    assert DJSRHReconstructionLoss.from_config(recon.get_config()).lambda2 == 0.4
    with pytest.raises(ValueError, match="even width"):
        loss(labels, np.ones((6, 7), "float32"))
