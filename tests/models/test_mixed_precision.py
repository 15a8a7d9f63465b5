"""Training under Keras' mixed_bfloat16 policy: bfloat16 convolutions and matrix products,
float32 weights, and float32 where precision matters (LRN, the hash layer and the losses)."""

import keras
import numpy as np
import pytest

from keras_hashing.backbones import AlexNet
from keras_hashing.layers import CaffeCrop
from keras_hashing.models import DCH
from keras_hashing.optimizers import deephash_optimizer
from tests.backbones.test_alexnet import GOLDEN_TANH
from tests.backbones.test_alexnet import fixture_images
from tests.backbones.test_alexnet import fixture_weights


@pytest.fixture
def mixed_bfloat16():
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_bfloat16")
    yield
    keras.config.set_dtype_policy(previous)


def test_alexnet_dch_keeps_float32_where_precision_matters(mixed_bfloat16):
    model = DCH(AlexNet(), code_length=8, preprocessor=CaffeCrop())
    model.build((None, 256, 256, 3))
    assert model.backbone.get_layer("conv2").compute_dtype == "bfloat16"
    assert model.backbone.get_layer("fc7").compute_dtype == "bfloat16"
    for name in ("lrn1", "lrn2"):  # TensorFlow has no bfloat16 LRN kernel on CPU
        assert model.backbone.get_layer(name).compute_dtype == "float32"
    assert model.hash_layer.compute_dtype == "float32"
    assert all(weight.dtype == "float32" for weight in model.weights)


def test_alexnet_dch_outputs_follow_the_original_to_bfloat16_precision(mixed_bfloat16):
    model = DCH(AlexNet(), code_length=8, preprocessor=CaffeCrop())
    model.set_deephash_weights(fixture_weights(), source="the §12.6 weights")
    outputs = model.predict(fixture_images(), verbose=0)
    assert outputs.dtype == np.float32
    # The original's float32 outputs to bfloat16's 8-bit mantissa through eight layers.
    np.testing.assert_allclose(outputs, GOLDEN_TANH, atol=0.05)
    clear = np.abs(GOLDEN_TANH) > 0.05
    np.testing.assert_array_equal(np.sign(outputs[clear]), np.sign(GOLDEN_TANH[clear]))


def test_alexnet_dch_trains_under_mixed_bfloat16(mixed_bfloat16):
    model = DCH(AlexNet(), code_length=8, preprocessor=CaffeCrop(seed=0))
    model.set_deephash_weights(fixture_weights(), source="the §12.6 weights")
    model.compile(optimizer=deephash_optimizer(0.001, 100, 0.5))
    images = np.concatenate([fixture_images()] * 2)
    labels = np.eye(2, dtype="float32")[np.arange(len(images)) % 2]
    before = [np.array(w) for w in model.trainable_weights]
    loss = float(model.train_on_batch(images, labels)[0])
    assert np.isfinite(loss)
    changed = [not np.array_equal(a, np.array(w)) for a, w in zip(before, model.trainable_weights)]
    assert all(changed)
    assert all(weight.dtype == "float32" for weight in model.weights)
