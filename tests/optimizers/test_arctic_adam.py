"""The original DRSH Adam (spec drsh_dadh_dhn_djsrh.md §1.6) against a hand computation."""

import keras
import numpy as np
import pytest

from keras_hashing.optimizers import ArcticAdam
from keras_hashing.optimizers import DRSHAdam


def hand_steps(w, grads, lr0=2e-4):
    """train.py::adam written out: b1 = 0.1, b2 = 0.001 used for the moments and the correction."""
    m, v, out = np.zeros_like(w), np.zeros_like(w), []
    for i, g in enumerate(grads, start=1):
        lr_t = lr0 * np.sqrt(1.0 - 0.001**i) / (1.0 - 0.1**i)
        m = 0.1 * g + 0.9 * m
        v = 0.001 * g**2 + 0.999 * v
        w = w - lr_t * m / (np.sqrt(v) + 1e-8)
        out.append(w.copy())
    return out


def test_three_steps_match_hand_computation(rng):
    w0 = rng.normal(size=(3, 2))
    grads = [rng.normal(size=(3, 2)) for _ in range(3)]
    variable = keras.Variable(w0.astype("float32"))
    optimizer = DRSHAdam()
    want = hand_steps(w0, grads)
    for g, expected in zip(grads, want):
        optimizer.apply_gradients([(keras.ops.convert_to_tensor(g.astype("float32")), variable)])
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(variable), expected, rtol=1e-5, atol=1e-7
        )
    # First step ~ 3.16 * lr_t * sign(g) (spec §1.6).
    first = w0 - hand_steps(w0, grads[:1])[0]
    np.testing.assert_allclose(
        first, 2e-4 * np.sqrt(0.999) / 0.9 * 0.1 / np.sqrt(0.001) * np.sign(grads[0]), rtol=1e-4
    )


def test_standard_correction_equals_keras_adam(rng):
    w0 = rng.normal(size=(4,)).astype("float32")
    a, b = keras.Variable(w0), keras.Variable(w0)
    ours = DRSHAdam(1e-3, correction_beta_1=0.9, correction_beta_2=0.999)
    reference = keras.optimizers.Adam(1e-3, epsilon=1e-8)
    for _ in range(3):
        g = keras.ops.convert_to_tensor(rng.normal(size=(4,)).astype("float32"))
        ours.apply_gradients([(g, a)])
        reference.apply_gradients([(g, b)])
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b), rtol=1e-5
    )


def test_config_round_trip_and_alias():
    assert ArcticAdam is DRSHAdam
    optimizer = DRSHAdam(3e-4, correction_beta_2=0.002)
    clone = DRSHAdam.from_config(optimizer.get_config())
    assert clone.get_config() == optimizer.get_config()
    revived = keras.optimizers.deserialize(keras.optimizers.serialize(optimizer))
    assert isinstance(revived, DRSHAdam) and revived.correction_beta_2 == 0.002


@pytest.mark.parametrize(
    "kwargs", [{"beta_1": 1.0}, {"correction_beta_2": -0.1}, {"epsilon": -1.0}]
)
def test_invalid_arguments(kwargs):
    with pytest.raises(ValueError):
        DRSHAdam(**kwargs)
