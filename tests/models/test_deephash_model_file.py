"""The original's `.npy` model file: DHN, DQN, DVSQ, DTQ (and their recipes) load fc8 and `'C'`
from it and write it back."""

import types

import numpy as np
import pytest

from keras_hashing.backbones import AlexNet
from keras_hashing.backbones import load_alexnet_npy
from keras_hashing.backbones import save_alexnet_npy
from keras_hashing.layers import CaffeCrop
from keras_hashing.models import DCH
from keras_hashing.models import DHN
from keras_hashing.models import DQN
from keras_hashing.models import DTQ
from keras_hashing.models import DVSQ
from tests.backbones.test_alexnet import fixture_weights

pytestmark = pytest.mark.slow  # five AlexNets
BITS = 8
WORDS = np.random.default_rng(1).normal(size=(3, BITS)).astype("float32")


def _quantizer(model_class, *args):
    return model_class(
        AlexNet(),
        *args,
        num_train=4,
        num_codebooks=2,
        num_codewords=4,
        preprocessor=CaffeCrop(),
    )


BUILDERS = {
    "dch": lambda: DCH(AlexNet(), BITS, preprocessor=CaffeCrop()),
    "dhn": lambda: DHN(AlexNet(), BITS, preprocessor=CaffeCrop()),
    "dqn": lambda: _quantizer(DQN, BITS),
    "dvsq": lambda: _quantizer(DVSQ, WORDS, BITS),
    "dtq": lambda: _quantizer(DTQ, BITS),
}
QUANTIZERS = ("dqn", "dvsq", "dtq")


@pytest.fixture(scope="module")
def trained_file(tmp_path_factory):
    """A trained model's file as the originals write it: conv1..fc8 and a codebook 'C'."""
    path = str(tmp_path_factory.mktemp("deephash") / "trained.npy")
    codebook = np.random.default_rng(0).normal(size=(8, BITS)).astype("float32")
    save_alexnet_npy(path, fixture_weights(), codebook=codebook)
    return path


@pytest.mark.parametrize("method", sorted(BUILDERS))
def test_load_restores_fc8_and_the_codebook_and_save_writes_them_back(
    method, trained_file, tmp_path
):
    model = BUILDERS[method]()
    model.build((None, 256, 256, 3))
    model.load_deephash_weights(trained_file)
    original = load_alexnet_npy(trained_file)
    for loaded, expected in zip(model.hash_layer.get_weights(), original.fc8):
        np.testing.assert_array_equal(loaded, expected)
    if method in QUANTIZERS:
        np.testing.assert_array_equal(model.quantizer.get_codebook(), original.codebook)

    exported = str(tmp_path / "exported.npy")
    model.save_deephash_weights(exported)
    back = load_alexnet_npy(exported)
    for name, pair in original.layers.items():
        for a, b in zip(pair, back.layers[name]):
            np.testing.assert_array_equal(a, b)
    for a, b in zip(original.fc8, back.fc8):
        np.testing.assert_array_equal(a, b)
    if method in QUANTIZERS:
        np.testing.assert_array_equal(back.codebook, original.codebook)
    else:
        assert back.codebook is None


def test_dhn_recipe_loads_fc8_from_a_trained_file(trained_file):
    from keras_hashing.recipes.deephash import DHNRecipe

    recipe = DHNRecipe(lr=0.005, output_dim=BITS, model_weights=trained_file)
    data = types.SimpleNamespace(input_kind="caffe256", num_labels=10)
    model = recipe.build_model(data)
    np.testing.assert_array_equal(model.hash_layer.get_weights()[0], fixture_weights()["fc8"][0])


def test_a_backbone_without_named_layers_is_refused_both_ways():
    from keras_hashing.backbones import SmallCNN

    model = DCH(SmallCNN(), BITS)
    with pytest.raises(ValueError, match=r"model.npy: backbone .* has no named weight layers"):
        model.set_deephash_weights({"conv1": []}, source="model.npy")
    with pytest.raises(ValueError, match="has no named weight layers"):
        model.get_deephash_weights()
