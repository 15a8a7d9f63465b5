import keras
import numpy as np
import pytest

from keras_hashing.optimizers import DEEPHASH_MULTIPLIERS
from keras_hashing.optimizers import TF1Momentum
from keras_hashing.optimizers import cosine_momentum_optimizer
from keras_hashing.optimizers import deephash_optimizer


def _apply(optimizer, variable, gradients):
    history = []
    for gradient in gradients:
        optimizer.apply_gradients([(keras.ops.convert_to_tensor(gradient), variable)])
        history.append(np.array(variable.numpy()))
    return history


def test_tf1_update_rule_with_a_changing_rate():
    # staircase decay halves the rate every 2 steps: TF1 rescales the whole accumulator by the new
    # rate, which Keras' SGD(momentum) would not.
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 2, 0.5, staircase=True)
    optimizer = TF1Momentum(schedule, momentum=0.9, gradient_multipliers=())
    variable = keras.Variable(np.array([1.0, -2.0], "float32"))
    gradients = [
        np.array([0.5, 1.0], "float32"),
        np.array([-1.0, 2.0], "float32"),
        np.array([0.25, 0.0], "float32"),
        np.array([1.0, 1.0], "float32"),
    ]
    history = _apply(optimizer, variable, gradients)
    theta, accumulator = np.array([1.0, -2.0]), np.zeros(2)
    for step, gradient in enumerate(gradients):
        rate = 0.1 * 0.5 ** (step // 2)
        accumulator = 0.9 * accumulator + gradient
        theta = theta - rate * accumulator
        np.testing.assert_allclose(history[step], theta, rtol=1e-6)
    sgd = keras.optimizers.SGD(schedule, momentum=0.9)
    other = keras.Variable(np.array([1.0, -2.0], "float32"))
    assert not np.allclose(_apply(sgd, other, gradients)[-1], history[-1])


def test_gradient_multipliers_follow_the_deephash_table():
    model = keras.Sequential(
        [
            keras.layers.Input((3,)),
            keras.layers.Dense(2, name="fc7"),
            keras.layers.Dense(2, name="hash_layer"),
        ]
    )
    optimizer = TF1Momentum(0.1, gradient_multipliers=DEEPHASH_MULTIPLIERS)
    found = {v.path.split("/", 1)[1]: optimizer.multiplier_for(v) for v in model.weights}
    assert found == {
        "fc7/kernel": 1.0,
        "fc7/bias": 2.0,
        "hash_layer/kernel": 10.0,
        "hash_layer/bias": 20.0,
    }
    bias = model.get_layer("hash_layer").bias
    before = np.array(bias.numpy())
    optimizer.apply_gradients([(keras.ops.ones((2,)), bias)])
    np.testing.assert_allclose(before - bias.numpy(), 0.1 * 20.0, rtol=1e-6)


def test_config_round_trip_and_validation():
    optimizer = deephash_optimizer(0.005, 10000, 0.1)
    clone = TF1Momentum.from_config(optimizer.get_config())
    assert clone.momentum == 0.9
    assert clone.gradient_multipliers == DEEPHASH_MULTIPLIERS
    assert float(clone.learning_rate) == pytest.approx(0.005)
    with pytest.raises(ValueError, match="momentum"):
        TF1Momentum(0.1, momentum=1.5)
    with pytest.raises(ValueError, match="pairs"):
        TF1Momentum(0.1, gradient_multipliers=[("*",)])
    with pytest.raises(ValueError, match="decay_step"):
        deephash_optimizer(0.1, 0, 0.1)


def test_cosine_schedule_follows_the_half_cosine_with_tf1_updates():
    optimizer = cosine_momentum_optimizer(0.1, 4, gradient_multipliers=())
    variable = keras.Variable(np.array([1.0], "float32"))
    gradients = [np.array([g], "float32") for g in (0.5, -1.0, 2.0, 1.0, 3.0, -2.0)]
    history = _apply(optimizer, variable, gradients)
    theta, accumulator = 1.0, 0.0
    for step, gradient in enumerate(gradients):
        rate = 0.1 * (1 + np.cos(np.pi * min(step, 4) / 4)) / 2  # 0 from step 4 on
        accumulator = 0.9 * accumulator + gradient[0]
        theta = theta - rate * accumulator
        np.testing.assert_allclose(history[step], [theta], rtol=1e-5)
    assert cosine_momentum_optimizer(0.1, 10).gradient_multipliers == DEEPHASH_MULTIPLIERS
    clone = TF1Momentum.from_config(cosine_momentum_optimizer(0.1, 10).get_config())
    assert clone.get_config()["learning_rate"]["class_name"] == "CosineDecay"
    with pytest.raises(ValueError, match="decay_steps"):
        cosine_momentum_optimizer(0.1, 0)
    chosen = deephash_optimizer(0.1, 7, 0.5, schedule="cosine", total_steps=10).get_config()
    assert chosen["learning_rate"]["class_name"] == "CosineDecay"
    assert chosen["learning_rate"]["config"]["decay_steps"] == 10
    with pytest.raises(ValueError, match="decay_steps"):
        deephash_optimizer(0.1, 7, 0.5, schedule="cosine")
    with pytest.raises(ValueError, match="schedule"):
        deephash_optimizer(0.1, 7, 0.5, schedule="linear")
