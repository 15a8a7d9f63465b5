"""Shared test helpers that work on every backend the suite runs on.

The checks every public layer and model passes, in the manner of keras' `run_layer_test` and
keras-hub's `run_model_saving_test`; tests call these instead of writing their own copies:

- `run_config_round_trip(obj)`: `from_config(get_config())` and a JSON serialisation give the
  same class and an equal config (layers, and models whose config holds a backbone);
- `run_layer_test(layer_class, init_kwargs, input_shape)`: the config round trip, a run with the
  declared output shape, and `run_layer_saving_test`;
- `run_layer_saving_test(layer, inputs)`: a (stateful) layer inside a `.keras` model saved and
  loaded back keeps its config, its weights and its exact inference outputs;
- `run_model_saving_test(model, inputs, directory)`: a hashing model saved as `.keras` and loaded
  back keeps its class, config (compared as JSON), weights and exact `encode` codes;
- `run_cross_modal_saving_test(model, images, texts, directory)`: the same for models that encode
  two modalities (`encode_image` / `encode_text`);
- `gradient(function, value)`: a gradient as NumPy under TensorFlow or JAX.
"""

import json
import os
import tempfile

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
    return keras.tree.map_structure(lambda v: np.asarray(keras.ops.convert_to_numpy(v)), value)


def _assert_same(a, b):
    keras.tree.assert_same_structure(a, b)
    for x, y in zip(keras.tree.flatten(_numpy(a)), keras.tree.flatten(_numpy(b))):
        np.testing.assert_array_equal(x, y)


def _as_json(config):
    """`config` as it comes back from a `.keras` file: JSON has lists, never tuples (keras'
    own `build_config` input shapes come back as lists too)."""
    return json.loads(json.dumps(config))


def _assert_same_weights(original, restored):
    """Every variable comes back with its shape and exact value, in the same order.

    Names are not compared: unnamed sublayers get fresh automatic names when a model is rebuilt.
    """
    assert len(restored.weights) == len(original.weights)
    for a, b in zip(original.weights, restored.weights):
        assert tuple(a.shape) == tuple(b.shape), (a.path, b.path)
        np.testing.assert_array_equal(_numpy(b), _numpy(a), err_msg=a.path)


def run_config_round_trip(obj):
    """`type(obj).from_config(obj.get_config())` gives an object of the same class with an equal
    config, and so does a JSON round trip of `keras.saving.serialize_keras_object(obj)` (its
    config compared as JSON: tuples read back as lists).

    Works for layers and for models whose config holds a serialised backbone or preprocessor.
    Returns the `from_config` clone, for assertions on its attributes.
    """
    config = obj.get_config()
    clone = type(obj).from_config(config)
    assert type(clone) is type(obj)
    assert clone.get_config() == config
    serialized = json.loads(json.dumps(keras.saving.serialize_keras_object(obj)))
    revived = keras.saving.deserialize_keras_object(serialized)
    assert type(revived) is type(obj)
    assert _as_json(revived.get_config()) == _as_json(config)
    return clone


def run_layer_saving_test(layer, inputs):
    """`layer`, called on `inputs` (an array, or a tuple / dict of arrays) inside a model saved as
    `.keras` and loaded back, gives the same class, config and weights and identical inference
    outputs. Set any state to keep (codes, counters) on `layer` before the call.

    Returns the restored layer.
    """
    symbolic = keras.tree.map_structure(
        lambda a: keras.Input(np.shape(a)[1:], dtype=str(np.asarray(a).dtype)), inputs
    )
    model = keras.Model(symbolic, layer(symbolic))
    outputs = _numpy(model(inputs, training=False))
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "layer.keras")
        model.save(path)
        loaded = keras.models.load_model(path)
    restored = loaded.get_layer(layer.name)
    assert type(restored) is type(layer)
    assert _as_json(restored.get_config()) == _as_json(layer.get_config())
    _assert_same_weights(layer, restored)
    _assert_same(loaded(inputs, training=False), outputs)
    return restored


def run_layer_test(layer_class, init_kwargs, input_shape=None, seed=0, input_data=None):
    """The checks every public layer passes, in the manner of keras' `run_layer_test`.

    1. `run_config_round_trip` on `layer_class(**init_kwargs)`;
    2. the layer runs on a random normal float32 batch of `input_shape` (or on `input_data`: an
       array of another dtype, or a tuple / dict of arrays) and its inference output has the
       shape it declares for a `None` batch (`None` dimensions match any size);
    3. `run_layer_saving_test` on that batch.

    Returns the layer restored from the `.keras` file, for further assertions.
    """
    if (input_shape is None) == (input_data is None):
        raise ValueError("Give exactly one of `input_shape` and `input_data`.")
    if input_data is None:
        input_data = np.random.default_rng(seed).normal(size=input_shape).astype("float32")
    layer = layer_class(**init_kwargs)
    run_config_round_trip(layer)

    outputs = _numpy(layer(input_data, training=False))
    shapes = keras.tree.map_structure(lambda a: (None,) + tuple(np.shape(a)[1:]), input_data)
    try:
        declared = layer.compute_output_shape(shapes)
    except NotImplementedError:
        declared = None
    if declared is not None:
        assert len(outputs.shape) == len(declared), (outputs.shape, declared)
        for found, wanted in zip(outputs.shape, declared):
            assert wanted is None or found == wanted, (outputs.shape, declared)

    return run_layer_saving_test(layer, input_data)


def _save_and_load(model, directory):
    path = os.path.join(os.fspath(directory), "model.keras")
    model.save(path)
    restored = keras.models.load_model(path)
    assert type(restored) is type(model)
    assert _as_json(restored.get_config()) == _as_json(model.get_config())
    _assert_same_weights(model, restored)
    return restored


def run_model_saving_test(model, inputs, directory):
    """A model saved as `.keras` in `directory` and loaded back has the same class, config and
    weights, and `encode(inputs)` gives identical codes (every hashing model offers `encode`).

    Returns the restored model, for further assertions (predictions, optimiser state).
    """
    codes = np.asarray(model.encode(inputs))
    restored = _save_and_load(model, directory)
    np.testing.assert_array_equal(np.asarray(restored.encode(inputs)), codes)
    return restored


def run_cross_modal_saving_test(model, images, texts, directory):
    """`run_model_saving_test` for a model that encodes two modalities: `encode_image(images)`
    and `encode_text(texts)` both give identical codes after the `.keras` round trip.

    Returns the restored model.
    """
    image_codes = np.asarray(model.encode_image(images))
    text_codes = np.asarray(model.encode_text(texts))
    restored = _save_and_load(model, directory)
    np.testing.assert_array_equal(np.asarray(restored.encode_image(images)), image_codes)
    np.testing.assert_array_equal(np.asarray(restored.encode_text(texts)), text_codes)
    return restored
