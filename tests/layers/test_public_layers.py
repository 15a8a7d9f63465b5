"""Every public layer of `keras_hashing.layers` passes the shared harness (`tests/harness.py`).

The layers' own files add their specific configurations; this table makes sure none is left out,
the small ones without a file of their own (SignSTE, TorchDense, DADHDiscriminator) included.
"""

import inspect

import keras
import numpy as np
import pytest

import keras_hashing.layers
from keras_hashing.layers import CaffeCrop
from keras_hashing.layers import Codebook
from keras_hashing.layers import DADHDiscriminator
from keras_hashing.layers import LocalResponseNormalization
from keras_hashing.layers import RandomFlipCrop
from keras_hashing.layers import RecurrentScaling
from keras_hashing.layers import SignSTE
from keras_hashing.layers import TorchBatchNormalization
from keras_hashing.layers import TorchDense
from tests.harness import run_layer_test

_rng = np.random.default_rng(0)


def _normal(*shape):
    return _rng.normal(size=shape).astype("float32")


# (class, init kwargs, a batch of inputs)
CASES = [
    (
        CaffeCrop,
        {"crop_size": 8, "max_offset": 2, "ten_crop_offsets": ((0, 0), (2, 2), (1, 1))},
        _rng.integers(0, 256, (2, 10, 10, 3)).astype("uint8"),
    ),
    (
        Codebook,
        {"num_codebooks": 2, "num_codewords": 3, "dim": 4},
        np.array([[0, 2], [1, 1]], "int32"),
    ),
    (DADHDiscriminator, {"hidden_units": (4, 3), "seed": 1}, _normal(3, 6)),
    (LocalResponseNormalization, {}, _normal(2, 3, 3, 7)),
    (RandomFlipCrop, {"padding": 1, "inference_views": 10}, _normal(2, 5, 5, 1)),
    (RecurrentScaling, {"steps": 3, "hidden_dim": 4}, (_normal(2, 6), _normal(2, 4, 5))),
    (SignSTE, {}, _normal(3, 6)),
    (TorchBatchNormalization, {}, _normal(4, 6)),
    (TorchDense, {"units": 5, "seed": 2}, _normal(3, 4)),
]


@pytest.mark.parametrize("layer_class,kwargs,inputs", CASES, ids=[c[0].__name__ for c in CASES])
def test_public_layer_passes_the_harness(layer_class, kwargs, inputs):
    restored = run_layer_test(layer_class, kwargs, input_data=inputs)
    assert isinstance(restored, layer_class)


def test_every_public_layer_is_in_the_table():
    public = {
        value
        for value in vars(keras_hashing.layers).values()
        if inspect.isclass(value) and issubclass(value, keras.layers.Layer)
    }
    assert public == {case[0] for case in CASES}
