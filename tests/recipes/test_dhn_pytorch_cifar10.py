"""DHN_PyTorch on the CIFAR-10 benchmark's list files with an EfficientNet-Lite: the whole
network from the images, and the cached-trunk (CPU) path it shares with the DeepHash recipes
(a tiny random-weight trunk on 32-px crops of a few list-file images)."""

import os

import keras
import numpy as np
import pytest

from keras_hashing.recipes.deephash import DCHRecipe
from keras_hashing.recipes.deephash import cached
from keras_hashing.recipes.dhn_pytorch import DHNPyTorchRecipe
from tests.fake_data import write_png_list_dataset
from tests.recipes.small_trunk import centre_crops


def settings(tmp_path, root, **overrides):
    return {
        "dataset": "cifar10",
        "root": root,
        "arch": "efficientnet_lite0",
        "model_weights": "none",  # random blocks: no download, seeded
        "code_length": 8,
        "batch_size": 4,
        "max_iter": 2,
        "evaluate_interval": 2,
        "save_dir": str(tmp_path / "checkpoints"),
        "log_dir": str(tmp_path / "logs"),
        **overrides,
    }


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"arch": "alexnet"}, r"--dataset cifar10 .* --arch must be one of efficientnet_lite0"),
        ({"dataset": "cifar-10"}, r"--arch efficientnet_lite0 reads the DeepHash list files"),
        (
            {"dataset": "fashion_mnist", "arch": "small_cnn", "trunk_cache": "c"},
            r"--trunk-cache caches the frozen blocks of an EfficientNet-Lite",
        ),
    ],
)
def test_settings_the_list_files_cannot_take_are_refused(tmp_path, overrides, message):
    with pytest.raises(ValueError, match=message):
        DHNPyTorchRecipe(**settings(tmp_path, "root", **overrides))


def test_the_cached_path_names_its_files_and_shares_the_deephash_cache(tmp_path):
    whole = DHNPyTorchRecipe(**settings(tmp_path, "root"))
    assert whole.file_stem() == "cifar10_model_efficientnet_lite0_code_8_lamda_1"
    recipe = DHNPyTorchRecipe(**settings(tmp_path, "root", trunk_cache=str(tmp_path / "c")))
    assert recipe.file_stem() == whole.file_stem() + "_from15"
    deephash = DCHRecipe(
        dataset="cifar10",
        img_model="efficientnet_lite0",
        model_weights="none",
        trunk_cache=str(tmp_path / "c"),
        seed=recipe.config.seed,
    )
    assert cached.cache_dir(recipe.cached_path_settings()) == cached.cache_dir(deephash.config)


@pytest.mark.slow
@pytest.mark.tensorflow_only
def test_dhn_pytorch_trains_on_the_cache_and_its_image_model_encodes_images_alike(
    tmp_path, lists, small_trunk
):
    root = os.path.join(lists, "cifar10")
    recipe = DHNPyTorchRecipe(**settings(tmp_path, root, trunk_cache=str(tmp_path / "cache")))
    result = recipe.run()
    assert [epoch for epoch, _ in result["history"]] == [2]
    assert 0 <= result["map"] <= 1
    folder = cached.cache_dir(recipe.cached_path_settings())
    assert os.path.exists(os.path.join(folder, "manifest.json"))
    codes = np.load(result["path"][: -len(".keras")] + "_codes.npz")
    assert codes["qB"].shape == (4, 8) and codes["rB"].shape == (6, 8)
    model = keras.models.load_model(result["path"])
    assert model.backbone.input_shape[1:] == (1, 1, 192)  # block 15 onwards at 32 px
    image_model = keras.models.load_model(result["path"][: -len(".keras")] + ".images.keras")
    crops = centre_crops(os.path.join(root, "database.txt"))
    # The cache stores float16 maps: the image model's codes are the saved database codes.
    np.testing.assert_allclose(
        image_model.predict(crops, verbose=0),
        model.predict(recipe.load_data().database[0], verbose=0),
        atol=1e-3,
    )
    np.testing.assert_array_equal(image_model.encode(crops), codes["rB"])


@pytest.mark.slow
@pytest.mark.tensorflow_only
def test_dhn_pytorch_trains_the_whole_network_from_list_file_images(tmp_path):
    # CIFAR-10's ten labels: the list files of the whole-network path are checked against them.
    root = write_png_list_dataset(str(tmp_path / "cifar10"), num_labels=10)
    recipe = DHNPyTorchRecipe(**settings(tmp_path, root, max_iter=1, evaluate_interval=1))
    data = recipe.load_data()
    assert data.kind == "caffe256" and data.num_train == 8
    assert data.steps_per_epoch(4) == 2  # full batches only
    result = recipe.run()
    codes = np.load(result["path"][: -len(".keras")] + "_codes.npz")
    assert codes["qB"].shape == (4, 8) and codes["rB"].shape == (6, 8)
    assert set(np.unique(codes["rB"])) <= {-1, 1}
    model = keras.models.load_model(result["path"])
    assert model.backbone.input_shape[1:] == (224, 224, 3)
