import math

import keras
import numpy as np
import pytest

from keras_hashing.optimizers import EpochCosineAnnealing
from keras_hashing.optimizers import TorchRMSprop
from keras_hashing.optimizers import dhn_pytorch_optimizer


def run_steps(optimizer, initial, gradients):
    variable = keras.Variable(np.asarray(initial, "float32"))
    values = []
    for gradient in gradients:
        gradient = keras.ops.convert_to_tensor(np.asarray(gradient, "float32"))
        optimizer.apply_gradients([(gradient, variable)])
        values.append(keras.ops.convert_to_numpy(variable).copy())
    return values


def torch_rmsprop_oracle(
    initial, gradients, lr, alpha, eps, weight_decay, momentum=0.0, centered=False
):
    """torch.optim.RMSprop's documented algorithm, one scalar at a time."""
    w = [float(v) for v in initial]
    square, buffer, average = [0.0] * len(w), [0.0] * len(w), [0.0] * len(w)
    values = []
    for gradient in gradients:
        for i, g in enumerate(gradient):
            g = g + weight_decay * w[i]
            square[i] = alpha * square[i] + (1 - alpha) * g * g
            if centered:
                average[i] = alpha * average[i] + (1 - alpha) * g
                denominator = math.sqrt(square[i] - average[i] ** 2) + eps
            else:
                denominator = math.sqrt(square[i]) + eps
            if momentum > 0:
                buffer[i] = momentum * buffer[i] + g / denominator
                w[i] -= lr * buffer[i]
            else:
                w[i] -= lr * g / denominator
        values.append(np.array(w))
    return values


def test_hand_computed_steps():
    # w0 = (1, -2), g = (0.5, 0.1), lr 0.1, alpha 0.9, eps 1e-3, weight decay 0.1.
    # Step 1: g' = g + 0.1 w0 = (0.6, -0.1); v = 0.1 g'^2 = (0.036, 0.001);
    #   w1 = w0 - 0.1 g' / (sqrt(v) + 1e-3) = (1 - 0.06/0.190737, -2 + 0.01/0.0326228)
    #      = (0.68543016, -1.6934657).
    # Step 2 (same g): g' = (0.568543, -0.069347); v = 0.9 v + 0.1 g'^2 -> w2 below.
    optimizer = TorchRMSprop(0.1, alpha=0.9, epsilon=1e-3, weight_decay=0.1)
    values = run_steps(optimizer, [1.0, -2.0], [[0.5, 0.1], [0.5, 0.1]])
    np.testing.assert_allclose(values[0], [0.68543016, -1.6934657], rtol=1e-6)
    np.testing.assert_allclose(values[1], [0.46282945, -1.51174175], rtol=1e-6)


def test_epsilon_is_outside_the_square_root_and_differs_from_keras():
    # One step from v = 0: |update| = lr * |g| / (sqrt(0.01 g^2) + eps) = lr / (0.1 + eps/|g|).
    gradient = [1e-4]
    ours = run_steps(TorchRMSprop(1.0, epsilon=1e-4), [0.0], [gradient])[0]
    np.testing.assert_allclose(ours, [-1.0 / (0.1 + 1.0)], rtol=1e-5)
    keras_value = run_steps(
        keras.optimizers.RMSprop(1.0, rho=0.99, epsilon=1e-4), [0.0], [gradient]
    )[0]
    assert abs(float(keras_value[0]) - float(ours[0])) > 1e-2


@pytest.mark.parametrize(
    "options",
    [
        dict(alpha=0.99, eps=1e-8, weight_decay=5e-4),
        dict(alpha=0.9, eps=1e-3, weight_decay=0.0),
        dict(alpha=0.95, eps=1e-4, weight_decay=0.01, momentum=0.5),
        dict(alpha=0.9, eps=1e-3, weight_decay=0.01, centered=True),
    ],
)
def test_matches_the_documented_algorithm_over_several_steps(options):
    rng = np.random.default_rng(0)
    initial = rng.normal(size=3)
    gradients = rng.normal(size=(5, 3))
    optimizer = TorchRMSprop(
        0.05,
        alpha=options["alpha"],
        epsilon=options["eps"],
        weight_decay=options["weight_decay"],
        momentum=options.get("momentum", 0.0),
        centered=options.get("centered", False),
    )
    ours = run_steps(optimizer, initial, gradients)
    expected = torch_rmsprop_oracle(
        initial,
        gradients,
        0.05,
        options["alpha"],
        options["eps"],
        options["weight_decay"],
        options.get("momentum", 0.0),
        options.get("centered", False),
    )
    np.testing.assert_allclose(np.array(ours), np.array(expected), rtol=2e-5, atol=1e-6)


def test_weight_decay_is_not_applied_twice_by_the_base_class():
    # With zero gradient the only force is the coupled decay: g' = wd * w.
    values = run_steps(TorchRMSprop(0.1, alpha=0.0, epsilon=0.0, weight_decay=0.5), [2.0], [[0.0]])
    # v = g'^2, so the step is lr * sign(w) = 0.1 exactly.
    np.testing.assert_allclose(values[0], [1.9], rtol=1e-6)


def test_cosine_schedule_is_stepped_per_epoch():
    schedule = EpochCosineAnnealing(1e-2, total_epochs=4, steps_per_epoch=3)
    rates = [float(schedule(step)) for step in range(13)]
    minimum = 1e-4

    def closed_form(epoch):
        return minimum + (1e-2 - minimum) * (1 + math.cos(math.pi * epoch / 4)) / 2

    np.testing.assert_allclose(rates, [closed_form(step // 3) for step in range(13)], rtol=1e-6)
    assert rates[0] == rates[2] == pytest.approx(1e-2)
    assert rates[12] == pytest.approx(minimum)


def test_configs_round_trip():
    optimizer = dhn_pytorch_optimizer(1e-5, 500, 20)
    config = keras.optimizers.serialize(optimizer)
    restored = keras.optimizers.deserialize(config)
    assert isinstance(restored, TorchRMSprop)
    assert restored.l2_weight_decay == 5e-4 and restored.alpha == 0.99 and restored.epsilon == 1e-8
    assert isinstance(restored.learning_rate, EpochCosineAnnealing) or isinstance(
        restored._learning_rate, EpochCosineAnnealing
    )
    schedule = EpochCosineAnnealing.from_config(EpochCosineAnnealing(1e-3, 10, 7).get_config())
    assert schedule.total_epochs == 10 and schedule.steps_per_epoch == 7
    assert schedule.min_learning_rate == 1e-5


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"alpha": 1.0}, "alpha"),
        ({"epsilon": -1.0}, "epsilon"),
        ({"weight_decay": -1.0}, "weight_decay"),
        ({"momentum": -0.5}, "momentum"),
    ],
)
def test_bad_arguments_are_rejected(kwargs, name):
    with pytest.raises(ValueError, match=name):
        TorchRMSprop(0.1, **kwargs)
    with pytest.raises(ValueError, match="total_epochs"):
        EpochCosineAnnealing(0.1, 0, 3)
