"""Shared test helpers that work on every backend the suite runs on."""

import keras
import numpy as np


def gradient(function, value):
    """d function(x) / dx at `value` (a NumPy array) as NumPy, under TensorFlow or JAX."""
    value = np.asarray(value, "float32")
    if keras.backend.backend() == "jax":
        import jax

        return np.asarray(jax.grad(lambda x: function(x))(value))
    import tensorflow as tf

    variable = tf.Variable(value)
    with tf.GradientTape() as tape:
        result = function(variable)
    return np.asarray(tape.gradient(result, variable))


def _numpy(value):
    return np.asarray(keras.ops.convert_to_numpy(value))


def run_layer_test(layer_class, init_kwargs, input_shape, seed=0):
    """The checks every public layer passes, in the manner of keras' `run_layer_test`.

    1. `from_config(get_config())` gives an equal config;
    2. the layer runs on a `(input_shape)` batch and its output shape is the declared one when
       the layer declares one;
    3. inside a model saved as `.keras` and loaded back, it gives identical inference outputs.

    Returns the layer built by the checks, for further assertions.
    """
    import os
    import tempfile

    layer = layer_class(**init_kwargs)
    config = layer.get_config()
    assert layer_class.from_config(config).get_config() == config

    inputs = np.random.default_rng(seed).normal(size=input_shape).astype("float32")
    outputs = _numpy(layer(inputs, training=False))
    try:
        declared = layer.compute_output_shape(tuple(input_shape))
    except NotImplementedError:
        declared = None
    if declared is not None:
        assert tuple(outputs.shape) == tuple(declared)

    model = keras.Sequential([keras.Input(input_shape[1:]), layer])
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "layer.keras")
        model.save(path)
        restored = keras.models.load_model(path)
    np.testing.assert_array_equal(_numpy(restored(inputs, training=False)), outputs)
    return layer


def run_model_saving_test(model, inputs, directory):
    """A model saved as `.keras` and loaded back gives the same config and identical codes.

    `model.encode` must exist (every hashing model offers it) and is compared exactly.
    """
    import os

    codes = np.asarray(model.encode(inputs))
    path = os.path.join(os.fspath(directory), "model.keras")
    model.save(path)
    restored = keras.models.load_model(path)
    assert type(restored) is type(model)
    assert restored.get_config() == model.get_config()
    np.testing.assert_array_equal(np.asarray(restored.encode(inputs)), codes)
    return restored
