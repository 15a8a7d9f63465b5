"""TorchBatchNormalization: PyTorch's BatchNorm1d running statistics, Keras' layer otherwise."""

import keras
import numpy as np
import pytest

from keras_hashing.layers import TorchBatchNormalization
from tests.harness import run_layer_test


def _torch_rule(batches, momentum=0.1, epsilon=1e-5):
    """NumPy oracle of `torch.nn.BatchNorm1d` in training: (outputs of the last batch,
    running mean, running var), written from PyTorch's documented update rule."""
    channels = batches[0].shape[1]
    running_mean, running_var = np.zeros(channels), np.ones(channels)
    for x in batches:
        mean, var = x.mean(0), x.var(0)
        unbiased = var * len(x) / (len(x) - 1)
        running_mean = (1 - momentum) * running_mean + momentum * mean
        running_var = (1 - momentum) * running_var + momentum * unbiased
        outputs = (x - mean) / np.sqrt(var + epsilon)
    return outputs, running_mean, running_var


@pytest.mark.parametrize("batch", [128, 16, 2])
def test_running_variance_is_unbiased_as_pytorch(batch):
    rng = np.random.default_rng(batch)
    batches = [rng.normal(2.0, 3.0, size=(batch, 5)).astype("float32") for _ in range(3)]
    layer = TorchBatchNormalization()
    for x in batches:
        outputs = layer(x, training=True)
    expected_outputs, expected_mean, expected_var = _torch_rule(batches)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(outputs), expected_outputs, atol=1e-4)
    np.testing.assert_allclose(layer.moving_mean.numpy(), expected_mean, rtol=1e-5)
    np.testing.assert_allclose(layer.moving_variance.numpy(), expected_var, rtol=1e-5)
    # Inference then normalises with the running statistics, as PyTorch's eval().
    inference = keras.ops.convert_to_numpy(layer(batches[0], training=False))
    expected = (batches[0] - expected_mean) / np.sqrt(expected_var + 1e-5)
    np.testing.assert_allclose(inference, expected, atol=1e-4)


def test_differs_from_keras_batch_normalization_on_small_batches():
    x = np.random.default_rng(0).normal(size=(16, 3)).astype("float32")
    torch_like, plain = TorchBatchNormalization(), keras.layers.BatchNormalization(
        momentum=0.9, epsilon=1e-5
    )
    torch_like(x, training=True)
    plain(x, training=True)
    ratio = (torch_like.moving_variance.numpy() - 0.9) / (plain.moving_variance.numpy() - 0.9)
    np.testing.assert_allclose(ratio, 16 / 15, rtol=1e-4)


def test_config_round_trip_and_saving():
    run_layer_test(TorchBatchNormalization, {"momentum": 0.8, "epsilon": 1e-3}, (4, 6))


def test_renorm_is_refused():
    with pytest.raises(ValueError, match="renorm"):
        TorchBatchNormalization(renorm=True)
