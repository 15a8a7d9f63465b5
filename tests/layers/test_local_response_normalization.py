"""LocalResponseNormalization against an explicit-loop NumPy oracle (spec deephash.md §3.3)."""

import keras
import numpy as np
import pytest

from keras_hashing.layers.local_response_normalization import LocalResponseNormalization
from tests.harness import run_layer_test


def lrn_oracle(x, depth_radius, alpha, beta, bias):
    out = np.zeros_like(x, dtype="float64")
    channels = x.shape[-1]
    for index in np.ndindex(*x.shape[:-1]):
        for c in range(channels):
            total = 0.0
            for k in range(c - depth_radius, c + depth_radius + 1):
                if 0 <= k < channels:  # channels outside [0, C) count as zero
                    total += float(x[index + (k,)]) ** 2
            out[index + (c,)] = x[index + (c,)] / (bias + alpha * total) ** beta
    return out


@pytest.mark.parametrize(
    "depth_radius, alpha, beta, bias",
    [(2, 2e-5, 0.75, 1.0), (1, 0.3, 0.5, 2.0), (0, 0.1, 1.0, 1.0), (4, 0.05, 0.75, 0.5)],
)
def test_matches_the_loop_oracle(depth_radius, alpha, beta, bias):
    x = np.random.RandomState(0).uniform(-30, 30, (2, 3, 3, 7)).astype("float32")
    layer = LocalResponseNormalization(depth_radius, alpha, beta, bias)
    got = keras.ops.convert_to_numpy(layer(x))
    np.testing.assert_allclose(
        got, lrn_oracle(x, depth_radius, alpha, beta, bias), rtol=1e-5, atol=1e-7
    )


def test_the_defaults_are_deephash_values_and_normalise_large_activations():
    layer = LocalResponseNormalization()
    assert (layer.depth_radius, layer.alpha, layer.beta, layer.bias) == (2, 2e-5, 0.75, 1.0)
    x = np.full((1, 1, 1, 5), 100.0, "float32")
    # the centre channel sees 5 channels: 100 / (1 + 2e-5 * 5e4)^0.75 = 100 / 2^0.75
    centre = keras.ops.convert_to_numpy(layer(x))[0, 0, 0, 2]
    np.testing.assert_allclose(centre, 100.0 / 2.0**0.75, rtol=1e-6)


def test_config_round_trip_and_saving():
    kwargs = dict(depth_radius=3, alpha=1e-3, beta=0.5, bias=2.0, name="lrn")
    restored = run_layer_test(LocalResponseNormalization, kwargs, (1, 2, 2, 6))
    assert restored.depth_radius == 3


@pytest.mark.parametrize(
    "kwargs", [{"depth_radius": -1}, {"depth_radius": 2.5}, {"alpha": "x"}, {"beta": None}]
)
def test_invalid_arguments_raise(kwargs):
    with pytest.raises(ValueError, match="LocalResponseNormalization"):
        LocalResponseNormalization(**kwargs)


def test_unknown_channels_raise():
    with pytest.raises(ValueError, match="channel"):
        LocalResponseNormalization().build((None, 4, 4, None))
