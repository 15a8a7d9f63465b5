"""The `Codebook` layer: reconstruction, one-hot codes, the per-sample store, saving."""

import numpy as np
import pytest
from keras import ops

from keras_hashing.layers import Codebook
from tests.harness import run_config_round_trip
from tests.harness import run_layer_saving_test


def test_reconstruction_and_one_hot_loop_oracle(rng):
    layer = Codebook(2, 3, 4, num_samples=5, seed=0)
    C = rng.normal(size=(6, 4)).astype(np.float32)
    layer.set_codebook(C)
    codes = np.array([[0, 2], [1, 1], [2, 0]])
    expected = np.stack([C[a] + C[3 + b] for a, b in codes])
    np.testing.assert_allclose(ops.convert_to_numpy(layer(codes)), expected, rtol=1e-6)
    np.testing.assert_allclose(layer.reconstruct_numpy(codes), expected, rtol=1e-6)
    one_hot = ops.convert_to_numpy(layer.one_hot(codes))
    assert one_hot.shape == (3, 6) and np.all(one_hot.sum(1) == 2)
    np.testing.assert_allclose(one_hot @ C, expected, rtol=1e-6)


def test_store_codes_and_outputs():
    layer = Codebook(2, 3, 4, num_samples=5)
    layer.set_codes(np.array([[0, 1], [2, 2], [1, 0], [0, 0], [2, 1]]))
    np.testing.assert_array_equal(
        ops.convert_to_numpy(layer.gather_codes(np.array([4, 1]))), [[2, 1], [2, 2]]
    )
    layer.store_outputs(np.array([3, 0]), np.ones((2, 4), np.float32) * [[1], [2]])
    stored = layer.get_stored_outputs()
    np.testing.assert_array_equal(stored[[3, 0]], [[1] * 4, [2] * 4])
    assert np.all(stored[[1, 2, 4]] == 0)
    assert [w.trainable for w in layer.weights] == [False] * 4


def test_placeholder_is_uniform_and_seeded():
    a, b = Codebook(2, 8, 4, seed=3), Codebook(2, 8, 4, seed=3)
    np.testing.assert_array_equal(a.get_codebook(), b.get_codebook())
    assert np.abs(a.get_codebook()).max() <= 1.0


def test_validation_errors():
    with pytest.raises(ValueError, match="num_codebooks"):
        Codebook(0, 4, 4)
    layer = Codebook(2, 3, 4, num_samples=5)
    with pytest.raises(ValueError, match="shape"):
        layer.set_codebook(np.zeros((5, 4)))
    with pytest.raises(ValueError, match="range"):
        layer.set_codes(np.full((5, 2), 3))
    with pytest.raises(ValueError, match="num_samples"):
        Codebook(2, 3, 4).gather_codes(np.array([0]))


def test_config_and_weights_round_trip():
    layer = Codebook(2, 3, 4, num_samples=5, seed=1, name="cb")
    layer.set_codes(np.array([[0, 1], [2, 2], [1, 0], [0, 0], [2, 1]]))
    layer.set_rounds(3)
    clone = run_config_round_trip(layer)
    clone.set_weights(layer.get_weights())
    np.testing.assert_array_equal(clone.get_codes(), layer.get_codes())
    assert clone.get_rounds() == 3
    restored = run_layer_saving_test(layer, np.array([[0, 1], [2, 2], [1, 0]], "int32"))
    np.testing.assert_array_equal(restored.get_codebook(), layer.get_codebook())
    np.testing.assert_array_equal(restored.get_codes(), layer.get_codes())
    assert restored.get_rounds() == 3
