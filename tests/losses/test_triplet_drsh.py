"""DRSH triplet losses against explicit loops (spec drsh_dadh_dhn_djsrh.md §1.5)."""

import keras
import numpy as np
import pytest

from keras_hashing.losses import DRSHTripletLoss
from keras_hashing.losses import drsh_binary_triplet_loss
from keras_hashing.losses import drsh_triplet_loss


def oracle(a, p, n, margin=2.0, divisor=32.0):
    out = []
    for b in range(len(a)):
        dn = np.sqrt(sum((a[b, k] - n[b, k]) ** 2 for k in range(a.shape[1])))
        dp = np.sqrt(sum((a[b, k] - p[b, k]) ** 2 for k in range(a.shape[1])))
        out.append(max(0.0, margin - dn / divisor + dp / divisor))
    return np.array(out)


def binary_oracle(a, p, n, margin=2.0, bits=32):
    out = []
    for b in range(len(a)):
        total = 0.0
        for k in range(min(bits, a.shape[1])):
            ba, bp, bn = (float(v[b, k] >= 0) for v in (a, p, n))
            total += max(0.0, margin - abs(ba - bn) + abs(ba - bp))
        out.append(total)
    return np.array(out)


@pytest.mark.parametrize("divisor,scale", [(32.0, 40.0), (1.0, 1.0), (8.0, 10.0)])
def test_matches_oracle(divisor, scale, rng):
    a, p, n = (rng.normal(scale=scale, size=(5, 8)).astype("float32") for _ in range(3))
    got = keras.ops.convert_to_numpy(drsh_triplet_loss(a, p, n, 2.0, divisor))
    want = oracle(a.astype(np.float64), p.astype(np.float64), n.astype(np.float64), 2.0, divisor)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert np.any(want > 0)


def test_hand_case():
    a = np.zeros((1, 2), "float32")
    p = np.array([[3.0, 4.0]], "float32")  # ||a - p|| = 5
    n = np.array([[6.0, 8.0]], "float32")  # ||a - n|| = 10
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(drsh_triplet_loss(a, p, n, 2.0, 1.0)), [0.0]
    )
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(drsh_triplet_loss(a, p, n, 2.0, 32.0)),
        [2.0 - 10 / 32 + 5 / 32],
        rtol=1e-6,
    )


@pytest.mark.parametrize("bits", [8, 40])
def test_binary_loss_matches_oracle_and_stops_at_32(bits, rng):
    a, p, n = (rng.normal(size=(4, bits)).astype("float32") for _ in range(3))
    got = keras.ops.convert_to_numpy(drsh_binary_triplet_loss(a, p, n))
    np.testing.assert_allclose(got, binary_oracle(a, p, n, bits=32), rtol=1e-6)
    if bits > 32:  # bits past 32 never enter, as in the original's literal loop
        a2 = a.copy()
        a2[:, 32:] *= -1
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(drsh_binary_triplet_loss(a2, p, n)), got
        )


def test_binary_loss_has_no_gradient(rng):
    a = keras.Variable(rng.normal(size=(2, 6)).astype("float32"))
    p, n = (rng.normal(size=(2, 6)).astype("float32") for _ in range(2))
    if keras.backend.backend() == "jax":
        import jax

        grad = jax.grad(lambda v: keras.ops.sum(drsh_binary_triplet_loss(v, p, n)))(a.value)
    else:
        import tensorflow as tf

        with tf.GradientTape() as tape:
            value = keras.ops.sum(drsh_binary_triplet_loss(a.value, p, n))
        grad = tape.gradient(value, a.value)
        grad = np.zeros((2, 6)) if grad is None else grad
    assert not np.any(keras.ops.convert_to_numpy(grad))


def test_loss_class_and_config(rng):
    a, p, n = (rng.normal(scale=30, size=(3, 8)).astype("float32") for _ in range(3))
    loss = DRSHTripletLoss(margin=1.5, divisor=16.0)
    stacked = np.stack([a, p, n], axis=1)
    want = oracle(a, p, n, 1.5, 16.0).mean()
    np.testing.assert_allclose(float(loss(None, stacked)), want, rtol=1e-5)
    np.testing.assert_allclose(float(loss(None, (a, p, n))), want, rtol=1e-5)
    clone = DRSHTripletLoss.from_config(loss.get_config())
    assert clone.get_config() == loss.get_config()
    with pytest.raises(ValueError, match=r"\(B, 3, K\)"):
        loss(None, a)


def test_errors():
    a = np.zeros((2, 4), "float32")
    with pytest.raises(ValueError, match="divisor"):
        drsh_triplet_loss(a, a, a, divisor=0.0)
    with pytest.raises(ValueError, match="margin"):
        drsh_triplet_loss(a, a, a, margin=-1.0)
    with pytest.raises(ValueError, match="one shape"):
        drsh_triplet_loss(a, a, np.zeros((2, 5), "float32"))
