import math

import keras
import numpy as np
import pytest

from keras_hashing.optimizers import TorchAdam
from keras_hashing.optimizers import torch_adam_update
from tests.harness import run_config_round_trip
from tests.optimizers.test_torch_rmsprop import run_steps


def torch_adam_oracle(initial, gradients, lr, beta_1, beta_2, eps, weight_decay):
    """torch.optim.Adam's documented algorithm (amsgrad off), one scalar at a time."""
    w = [float(v) for v in initial]
    m, v = [0.0] * len(w), [0.0] * len(w)
    values = []
    for t, gradient in enumerate(gradients, start=1):
        for i, g in enumerate(gradient):
            g = g + weight_decay * w[i]
            m[i] = beta_1 * m[i] + (1 - beta_1) * g
            v[i] = beta_2 * v[i] + (1 - beta_2) * g * g
            denominator = math.sqrt(v[i]) / math.sqrt(1 - beta_2**t) + eps
            w[i] -= lr / (1 - beta_1**t) * m[i] / denominator
        values.append(np.array(w))
    return values


def test_hand_computed_first_step():
    # w0 = (1, -2), g = (0.5, 0.1), lr 0.1, betas (0.5, 0.9), eps 1e-3, weight decay 0.1.
    # g' = g + 0.1 w0 = (0.6, -0.1); m = 0.5 g', v = 0.1 g'^2; corrected m / sqrt(v) = sign(g');
    # w1 = w0 - 0.1 g' / (|g'| + 1e-3) = (1 - 0.06/0.601, -2 + 0.01/0.101).
    optimizer = TorchAdam(0.1, beta_1=0.5, beta_2=0.9, epsilon=1e-3, weight_decay=0.1)
    (first,) = run_steps(optimizer, [1.0, -2.0], [[0.5, 0.1]])
    np.testing.assert_allclose(first, [1 - 0.06 / 0.601, -2 + 0.01 / 0.101], rtol=1e-6)


@pytest.mark.parametrize(
    "settings",
    [
        dict(lr=1e-3, beta_1=0.9, beta_2=0.999, eps=1e-8, weight_decay=0.0),
        dict(lr=1e-4, beta_1=0.5, beta_2=0.9, eps=1e-8, weight_decay=1e-4),  # DADH's
        dict(lr=0.05, beta_1=0.5, beta_2=0.9, eps=1e-2, weight_decay=0.3),
    ],
)
def test_matches_pytorch_algorithm_over_steps(settings):
    rng = np.random.default_rng(0)
    initial = rng.normal(size=5)
    gradients = rng.normal(size=(6, 5))
    optimizer = TorchAdam(
        settings["lr"],
        beta_1=settings["beta_1"],
        beta_2=settings["beta_2"],
        epsilon=settings["eps"],
        weight_decay=settings["weight_decay"],
    )
    values = run_steps(optimizer, initial, gradients)
    expected = torch_adam_oracle(initial, gradients, **settings)
    for got, want in zip(values, expected):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)


def test_pure_update_is_the_optimizer_step():
    rng = np.random.default_rng(1)
    w, m, v = rng.normal(size=4), np.zeros(4), np.zeros(4)
    gradients = rng.normal(size=(3, 4))
    expected = torch_adam_oracle(w, gradients, 0.01, 0.5, 0.9, 1e-8, 1e-4)
    for t, gradient in enumerate(gradients, start=1):
        w, m, v = (
            keras.ops.convert_to_numpy(x)
            for x in torch_adam_update(w, gradient, m, v, float(t), 0.01, 0.5, 0.9, 1e-4, 1e-8)
        )
        np.testing.assert_allclose(w, expected[t - 1], rtol=1e-6)


def test_differs_from_keras_adam_with_weight_decay():
    # Keras' Adam decays decoupled (AdamW-style) and puts epsilon on the uncorrected moment.
    initial, gradients = [1.0, -2.0], [[0.5, 0.1]] * 3
    ours = run_steps(TorchAdam(0.1, weight_decay=0.1), initial, gradients)[-1]
    theirs = run_steps(keras.optimizers.Adam(0.1, weight_decay=0.1), initial, gradients)[-1]
    assert np.abs(ours - theirs).max() > 1e-3


def test_config_round_trip_and_bad_arguments():
    optimizer = TorchAdam(1e-4, beta_1=0.5, beta_2=0.9, weight_decay=1e-4)
    restored = run_config_round_trip(optimizer)
    assert (restored.beta_1, restored.beta_2, restored.l2_weight_decay) == (0.5, 0.9, 1e-4)
    with pytest.raises(ValueError, match="beta_1"):
        TorchAdam(beta_1=1.0)
    with pytest.raises(ValueError, match="weight_decay"):
        TorchAdam(weight_decay=-1.0)
