"""Encoding an empty input gives an empty `(0, code_length)` array, for every model."""

import numpy as np
import pytest

from keras_hashing.models import DADH
from keras_hashing.models import DCH
from keras_hashing.models import DJSRH
from keras_hashing.models import DQN
from keras_hashing.models import DRSH
from tests.models import quantizer_helpers
from tests.models.test_djsrh import backbone as djsrh_backbone


def _assert_empty(codes, code_length):
    assert codes.shape == (0, code_length) and codes.dtype == np.int8


def test_dch_encode_of_an_empty_array():
    model = DCH(quantizer_helpers.backbone(), code_length=8)
    model.build((None, 16, 16, 1))
    _assert_empty(model.encode(np.zeros((0, 16, 16, 1), "float32")), 8)


@pytest.mark.tensorflow_only
def test_dch_encode_of_an_empty_dataset():
    import tensorflow as tf

    model = DCH(quantizer_helpers.backbone(), code_length=8)
    model.build((None, 16, 16, 1))
    empty = tf.data.Dataset.from_tensor_slices(np.zeros((0, 16, 16, 1), "float32")).batch(4)
    _assert_empty(model.encode(empty), 8)


def test_quantizer_encode_and_encode_quantized_of_an_empty_array():
    model = quantizer_helpers.compiled(DQN, 8)
    empty = np.zeros((0, 16, 16, 1), "float32")
    _assert_empty(model.encode(empty), 8)
    outputs, codes, reconstructions = model.encode_quantized(empty)
    assert outputs.shape == (0, 8) and codes.shape == (0, 2) and reconstructions.shape == (0, 8)


def test_cross_modal_and_drsh_encode_of_empty_arrays():
    dadh = DADH(image_dim=6, text_dim=5, num_labels=3, num_train=8, code_length=8, hidden_dim=32)
    _assert_empty(dadh.encode_image(np.zeros((0, 6), "float32")), 8)
    _assert_empty(dadh.encode_text(np.zeros((0, 5), "float32")), 8)
    djsrh = DJSRH(djsrh_backbone(), text_dim=7, code_length=8)
    _assert_empty(djsrh.encode_text(np.zeros((0, 7), "float32")), 8)
    drsh = DRSH(8, 4, feature_dim=6, attribute_shape=(3, 5))
    _assert_empty(drsh.encode(np.zeros((0, 6), "float32")), 8)
