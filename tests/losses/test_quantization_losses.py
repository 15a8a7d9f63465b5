"""DQN/DVSQ losses: golden values of spec §12.2-12.3 (original HEAD code) and loop oracles."""

import os

import keras
import numpy as np
import pytest

from keras_hashing.losses import AdaptiveMarginLoss
from keras_hashing.losses import CosinePairwiseLoss
from keras_hashing.losses import adaptive_margin_loss
from keras_hashing.losses import cosine_pairwise_loss
from keras_hashing.losses import reconstruction_loss
from keras_hashing.losses import semantic_reconstruction_loss

WORDVEC = os.path.join(
    os.path.dirname(__file__), "..", "..", "data", "deephash_wordvec", "cifar10_wordvec.txt"
)


def codes(seed, n, m, k):
    rs = np.random.RandomState(seed)
    out = np.zeros((n, m * k), np.float32)
    for i in range(n):
        for j in range(m):
            out[i, j * k + rs.randint(k)] = 1
    return out


def fixture_a():
    rs = np.random.RandomState(0)
    z = rs.uniform(-1, 1, (6, 8)).astype(np.float32)
    y = (rs.uniform(0, 1, (6, 4)) < 0.4).astype(np.float32)
    y[y.sum(1) == 0, 0] = 1
    return z, y


def fixture_dvsq():
    z = np.random.RandomState(3).uniform(-1, 1, (6, 300)).astype(np.float32)
    V = np.loadtxt(WORDVEC).astype(np.float32)
    y = np.zeros((6, 10), np.float32)
    y[np.arange(6), [0, 3, 3, 7, 9, 1]] = 1
    y[5, 8] = 1
    C = np.random.RandomState(4).uniform(-1, 1, (6, 300)).astype(np.float32)
    return z, y, V, C, codes(5, 6, 2, 3)


def test_fixture_a_labels():
    _, y = fixture_a()
    np.testing.assert_array_equal(
        y, [[1, 1, 0, 0], [0, 1, 1, 1], [0, 1, 0, 1], [1, 1, 0, 1], [1, 1, 0, 1], [0, 1, 0, 0]]
    )


def test_dqn_golden_12_2():
    z, y = fixture_a()
    C = np.random.RandomState(1).uniform(-1, 1, (6, 8)).astype(np.float32)
    b = codes(2, 6, 2, 3)
    cos = float(cosine_pairwise_loss(y, z))
    rec = float(reconstruction_loss(z, b, C))
    np.testing.assert_allclose(cos, 1.00646889, rtol=1e-5)
    np.testing.assert_allclose(rec, 10.07868862, rtol=1e-5)
    np.testing.assert_allclose(cos + 0.5 * rec, 6.04581308, rtol=1e-5)


def test_dvsq_golden_12_3():
    z, y, V, C, b = fixture_dvsq()
    sem = float(adaptive_margin_loss(y, z, V))
    weighted = float(semantic_reconstruction_loss(z, b, C, V))
    np.testing.assert_allclose(sem, 0.68421012, rtol=1e-5)
    np.testing.assert_allclose(weighted, 180.72998047, rtol=1e-5)
    np.testing.assert_allclose(float(reconstruction_loss(z, b, C)), 274.22940063, rtol=1e-5)
    np.testing.assert_allclose(sem + 0.25 * weighted, 45.86670685, rtol=1e-5)


def cos(a, b):
    return float(a @ b / np.sqrt((a @ a) * (b @ b)))


def test_cosine_pairwise_loop_oracle(rng):
    z = rng.normal(size=(5, 6)).astype(np.float32)
    y = (rng.random((5, 3)) < 0.5).astype(np.float32)
    total = 0.0
    for i in range(5):
        for j in range(5):
            s = 1.0 if y[i] @ y[j] > 0 else 0.0
            total += (2 * s - 1 - cos(z[i], z[j])) ** 2
    np.testing.assert_allclose(float(cosine_pairwise_loss(y, z)), total / 25, rtol=1e-5)


@pytest.mark.parametrize("negatives_only", [False, True])
@pytest.mark.parametrize("margin", [None, 0.7])
def test_adaptive_margin_loop_oracle(rng, negatives_only, margin):
    L, D = 4, 6
    z = rng.normal(size=(5, D)).astype(np.float32)
    V = rng.normal(size=(L, D)).astype(np.float32)
    y = (rng.random((5, L)) < 0.5).astype(np.float32)
    y[0] = [1, 0, 0, 0]
    total = 0.0
    for i in range(5):
        for label in range(L):
            if not y[i, label]:
                continue
            for lp in range(L):
                if negatives_only and y[i, lp]:
                    continue
                delta = (1 - cos(V[label], V[lp])) if margin is None else margin
                total += max(0.0, delta - cos(z[i], V[label]) + cos(z[i], V[lp]))
    expected = total / (L * y.sum())
    got = float(adaptive_margin_loss(y, z, V, negatives_only=negatives_only, margin=margin))
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_reconstruction_loop_oracle(rng):
    z = rng.normal(size=(4, 6)).astype(np.float32)
    C = rng.normal(size=(6, 6)).astype(np.float32)
    V = rng.normal(size=(3, 6)).astype(np.float32)
    b = codes(1, 4, 2, 3)
    plain = np.mean([np.sum((z[i] - b[i] @ C) ** 2) for i in range(4)])
    weighted = np.mean([sum((V[j] @ (z[i] - b[i] @ C)) ** 2 for j in range(3)) for i in range(4)])
    np.testing.assert_allclose(float(reconstruction_loss(z, b, C)), plain, rtol=1e-5)
    np.testing.assert_allclose(float(semantic_reconstruction_loss(z, b, C, V)), weighted, rtol=1e-5)


def test_exact_reconstruction_is_zero():
    C = np.arange(24, dtype=np.float32).reshape(6, 4)
    b = codes(0, 3, 2, 3)
    assert float(reconstruction_loss(b @ C, b, C)) == 0.0


def test_bad_shapes_raise():
    z, y = fixture_a()
    with pytest.raises(ValueError, match="M\\*K"):
        reconstruction_loss(z, np.zeros((6, 5), np.float32), np.zeros((6, 8), np.float32))
    with pytest.raises(ValueError, match="dimension"):
        adaptive_margin_loss(y, z, np.ones((4, 5), np.float32))
    with pytest.raises(ValueError, match="label embeddings"):
        adaptive_margin_loss(y, z, np.ones((3, 8), np.float32))


def test_loss_classes_round_trip():
    z, y, V, _, _ = fixture_dvsq()
    loss = AdaptiveMarginLoss(V, negatives_only=True)
    clone = AdaptiveMarginLoss.from_config(loss.get_config())
    np.testing.assert_allclose(
        float(clone(y, z)), float(adaptive_margin_loss(y, z, V, True)), rtol=1e-6
    )
    cosine = CosinePairwiseLoss.from_config(CosinePairwiseLoss().get_config())
    z, y = fixture_a()
    np.testing.assert_allclose(float(cosine(y, z)), 1.00646889, rtol=1e-5)
    assert (
        keras.saving.get_registered_object("keras_hashing>AdaptiveMarginLoss") is AdaptiveMarginLoss
    )
