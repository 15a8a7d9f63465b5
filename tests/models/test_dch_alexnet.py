"""A model file saved by thulab/DeepHash loads into DCH and gives the original's outputs (§12.6)."""

import numpy as np
import pytest

from keras_hashing.backbones import AlexNet
from keras_hashing.backbones import load_alexnet_npy
from keras_hashing.backbones import save_alexnet_npy
from keras_hashing.layers import CaffeCrop
from keras_hashing.models import DCH
from tests.backbones.test_alexnet import GOLDEN_TANH
from tests.backbones.test_alexnet import fixture_images
from tests.backbones.test_alexnet import fixture_weights


@pytest.fixture(scope="module")
def trained_file(tmp_path_factory):
    # The §12.6 weights with an fc8: the layout of a model the original saved after training.
    path = str(tmp_path_factory.mktemp("deephash") / "lr_0.005_cqlambda_0_gamma_20_dataset_x.npy")
    save_alexnet_npy(path, fixture_weights())
    return path


def test_original_model_file_gives_the_original_outputs_and_exports_back(trained_file, tmp_path):
    model = DCH(AlexNet(), code_length=8, preprocessor=CaffeCrop())
    model.set_deephash_weights(load_alexnet_npy(trained_file), source=trained_file)
    outputs = model.predict(fixture_images(), verbose=0)
    # Same tolerance as the backbone's golden test: oneDNN's convolution order (see there).
    np.testing.assert_allclose(outputs, GOLDEN_TANH, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(model.encode(fixture_images()), np.where(GOLDEN_TANH >= 0, 1, -1))

    exported = str(tmp_path / "exported.npy")
    save_alexnet_npy(exported, model.get_deephash_weights())
    original, back = load_alexnet_npy(trained_file), load_alexnet_npy(exported)
    for name, pair in original.layers.items():
        for a, b in zip(pair, back.layers[name]):
            np.testing.assert_array_equal(a, b)
    for a, b in zip(original.fc8, back.fc8):
        np.testing.assert_array_equal(a, b)


def test_fc8_of_another_width_is_refused(trained_file):
    model = DCH(AlexNet(), code_length=16, preprocessor=CaffeCrop())
    with pytest.raises(ValueError, match=r"fc8.*\(4096, 16\).*\(4096, 8\)"):
        model.set_deephash_weights(load_alexnet_npy(trained_file), source=trained_file)
