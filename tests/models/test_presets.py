"""The Fashion-MNIST presets: the recipe the benchmarks and the main job train."""

import keras
import numpy as np

from keras_hashing.models import DHN
from keras_hashing.models.presets import FASHION_MNIST_BACKBONE
from keras_hashing.models.presets import FASHION_MNIST_CUTOUT
from keras_hashing.models.presets import FASHION_MNIST_DCH_GAMMA
from keras_hashing.models.presets import fashion_mnist_dch
from keras_hashing.models.presets import fashion_mnist_dch_learning_rate
from keras_hashing.models.presets import fashion_mnist_model
from tests.harness import run_config_round_trip


def test_dch_preset_carries_the_recipe_and_round_trips():
    model = fashion_mnist_dch(16, seed=3)
    assert model.gamma == FASHION_MNIST_DCH_GAMMA and model.num_views == 10
    assert model.preprocessor.cutout == FASHION_MNIST_CUTOUT and model.preprocessor.padding == 2
    for key, value in FASHION_MNIST_BACKBONE.items():
        found = getattr(model.backbone, key)
        assert (tuple(found) if isinstance(value, tuple) else found) == value
    images = np.random.default_rng(0).random((4, 28, 28, 1)).astype("float32")
    outputs = keras.ops.convert_to_numpy(model(images))
    assert outputs.shape == (4, 16)
    clone = run_config_round_trip(model)
    assert clone.preprocessor.get_config() == model.preprocessor.get_config()
    assert clone.backbone.get_config() == model.backbone.get_config()


def test_model_preset_overrides_reach_the_parts():
    model = fashion_mnist_model(
        DHN, 8, backbone={"filters": (4,), "units": 8}, cutout=0, inference_views=1
    )
    assert isinstance(model, DHN) and model.num_views == 1
    assert model.preprocessor.cutout == 0 and model.backbone.filters == (4,)


def test_dch_learning_rate_is_lower_for_short_codes():
    assert fashion_mnist_dch_learning_rate(16) == 0.02
    assert fashion_mnist_dch_learning_rate(32) == fashion_mnist_dch_learning_rate(64) == 0.05
