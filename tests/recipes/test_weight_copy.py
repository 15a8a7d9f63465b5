"""copy_weights: trained values into a rebuilt model, refused when any shape differs."""

import keras
import numpy as np
import pytest

from keras_hashing.recipes.weight_copy import copy_weights


def _dense(units):
    layer = keras.layers.Dense(units)
    layer.build((None, 3))
    return layer


def test_values_are_copied_in_order_and_stay_independent():
    source, target = _dense(2), _dense(2)
    copy_weights(source.weights, target.weights, "unused")
    for copied, original in zip(target.weights, source.weights):
        np.testing.assert_array_equal(
            keras.ops.convert_to_numpy(copied), keras.ops.convert_to_numpy(original)
        )
    source.kernel.assign(np.zeros((3, 2)))
    assert np.any(keras.ops.convert_to_numpy(target.kernel) != 0)


def test_a_shape_or_count_mismatch_is_refused_with_nothing_written():
    source, target = _dense(2), _dense(4)
    before = [keras.ops.convert_to_numpy(v) for v in target.weights]
    with pytest.raises(ValueError, match="rebuilt model differs"):
        copy_weights(source.weights, target.weights, "rebuilt model differs")
    with pytest.raises(ValueError, match="rebuilt model differs"):
        copy_weights(source.weights[:1], _dense(2).weights, "rebuilt model differs")
    for value, variable in zip(before, target.weights):
        np.testing.assert_array_equal(value, keras.ops.convert_to_numpy(variable))
