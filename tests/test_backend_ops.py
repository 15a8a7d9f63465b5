"""keras_hashing.backend_ops against loop oracles, on the fused and the keras.ops paths."""

import keras
import numpy as np
import pytest

from keras_hashing import backend_ops
from tests.layers.test_local_response_normalization import lrn_oracle


@pytest.fixture(params=["backend", "keras_ops"])
def path(request, monkeypatch):
    """Runs a test on the backend's own path, then with the TensorFlow kernels switched off."""
    if request.param == "keras_ops":
        monkeypatch.setattr(backend_ops, "_tensorflow", lambda: None)
    return request.param


@pytest.mark.parametrize(
    "depth_radius, alpha, beta, bias", [(2, 2e-5, 0.75, 1.0), (1, 0.3, 0.5, 2.0)]
)
def test_local_response_normalization_matches_the_oracle(path, depth_radius, alpha, beta, bias):
    x = np.random.RandomState(3).uniform(-30, 30, (2, 3, 3, 9)).astype("float32")
    got = backend_ops.local_response_normalization(x, depth_radius, bias, alpha, beta)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(got),
        lrn_oracle(x, depth_radius, alpha, beta, bias),
        rtol=1e-5,
        atol=1e-7,
    )


def test_local_response_normalization_of_other_ranks_and_dtypes(path):
    # TensorFlow's kernel takes 4-D float32/16 only; other inputs take the keras.ops path.
    x = np.random.RandomState(4).normal(size=(3, 6)).astype("float64")
    got = keras.ops.convert_to_numpy(backend_ops.local_response_normalization(x, 1, 1.0, 0.5, 0.75))
    np.testing.assert_allclose(got, lrn_oracle(x, 1, 0.5, 0.75, 1.0), rtol=1e-5)


def test_bias_add_on_either_channel_axis(path):
    x = np.random.RandomState(5).normal(size=(2, 3, 4, 5)).astype("float32")
    bias = np.arange(5, dtype="float32")
    got = keras.ops.convert_to_numpy(backend_ops.bias_add(x, bias))
    np.testing.assert_allclose(got, x + bias, rtol=1e-6)
    first = np.moveaxis(x, -1, 1)
    got = backend_ops.bias_add(first, bias, "channels_first")
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(got), first + bias[None, :, None, None], rtol=1e-6
    )


def test_slice_each_takes_one_block_per_example(path):
    x = np.arange(3 * 6 * 5 * 2, dtype="float32").reshape(3, 6, 5, 2)
    starts = np.array([[0, 0, 0], [2, 1, 0], [3, 2, 0]], "int32")
    got = keras.ops.convert_to_numpy(backend_ops.slice_each(x, starts, (3, 3, 2)))
    expected = np.stack([x[n, r : r + 3, c : c + 3] for n, (r, c, _) in enumerate(starts)])
    np.testing.assert_array_equal(got, expected)


@pytest.mark.tensorflow_only
def test_slice_each_with_a_batch_known_only_at_run_time():
    import tensorflow as tf

    graph = tf.function(
        lambda x, s: backend_ops.slice_each(x, s, (2, 2)),
        input_signature=[tf.TensorSpec((None, 4, 4), tf.uint8), tf.TensorSpec((None, 2), tf.int32)],
    )
    x = np.arange(3 * 16, dtype="uint8").reshape(3, 4, 4)
    starts = np.array([[0, 1], [2, 2], [1, 0]], "int32")
    got = graph(x, starts).numpy()
    expected = np.stack([x[n, r : r + 2, c : c + 2] for n, (r, c) in enumerate(starts)])
    np.testing.assert_array_equal(got, expected)
    assert got.dtype == np.uint8


@pytest.mark.tensorflow_only
def test_the_fused_kernels_run_under_tensorflow():
    # The dispatch itself: TensorFlow's own ops appear in a traced graph.
    import tensorflow as tf

    graph = tf.function(
        lambda x: backend_ops.local_response_normalization(backend_ops.bias_add(x, tf.ones(4)))
    ).get_concrete_function(tf.TensorSpec((1, 2, 2, 4), tf.float32))
    kinds = {op.type for op in graph.graph.get_operations()}
    assert {"LRN", "BiasAdd"} <= kinds


@pytest.mark.parametrize("multiplier", [1.0, 3.0])
def test_apply_momentum_is_tf1s_update_on_either_path(path, multiplier):
    # TF1Momentum's update through `apply_momentum`: the fused ResourceApplyMomentum under
    # TensorFlow, the optimizer's assigns otherwise; a multiplier scales what enters the
    # accumulator, and a rate change rescales the whole accumulator's step.
    from keras_hashing.optimizers import TF1Momentum

    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 2, 0.5, staircase=True)
    optimizer = TF1Momentum(schedule, momentum=0.9, gradient_multipliers=(("*", multiplier),))
    variable = keras.Variable(np.array([[1.0, -2.0], [0.5, 3.0]], "float32"))
    rng = np.random.default_rng(0)
    theta, accumulator = variable.numpy().astype("float64"), np.zeros((2, 2))
    for step in range(5):
        gradient = rng.normal(size=(2, 2)).astype("float32")
        optimizer.apply_gradients([(keras.ops.convert_to_tensor(gradient), variable)])
        accumulator = 0.9 * accumulator + multiplier * gradient
        theta = theta - 0.1 * 0.5 ** (step // 2) * accumulator
        np.testing.assert_allclose(variable.numpy(), theta, rtol=1e-5, atol=1e-6)


@pytest.mark.tensorflow_only
def test_tf1_momentum_runs_tf1s_fused_kernel_under_tensorflow():
    import tensorflow as tf

    from keras_hashing.optimizers import TF1Momentum

    optimizer = TF1Momentum(0.1)
    variable = keras.Variable(np.ones(3, "float32"))
    optimizer.build([variable])
    graph = tf.function(lambda g: optimizer.apply([g], [variable])).get_concrete_function(
        tf.TensorSpec((3,), tf.float32)
    )
    assert "ResourceApplyMomentum" in {op.type for op in graph.graph.get_operations()}
