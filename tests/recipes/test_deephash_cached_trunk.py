"""The DeepHash recipes on the cached-trunk (CPU) path: `trunk_cache` set, EfficientNet-Lite's
lower blocks frozen and cached, the rest fine-tuned on the maps (a tiny random-weight trunk on
32-px crops of a few list-file images)."""

import os

import keras
import numpy as np
import pytest

from keras_hashing.recipes import cached_trunk
from keras_hashing.recipes.deephash import DCHRecipe
from keras_hashing.recipes.deephash import DHNRecipe
from keras_hashing.recipes.deephash import DQNRecipe
from keras_hashing.recipes.deephash import DTQRecipe
from keras_hashing.recipes.deephash import DVSQRecipe
from keras_hashing.recipes.deephash import cached
from keras_hashing.recipes.deephash.hashers import REPORT_KEYS
from tests.examples.test_flags import build_parser
from tests.recipes.small_trunk import SIZE
from tests.recipes.small_trunk import centre_crops

QUANTIZED_KEYS = ["i2i_nocq", "i2i_AQD", "i2i_SQD"]


def cached_settings(tmp_path, data_dir, data_setting="data_dir", **settings):
    return {
        "dataset": "cifar10",
        data_setting: data_dir,
        "img_model": "efficientnet_lite0",
        "model_weights": "none",  # random blocks: no download, seeded
        "trunk_cache": str(tmp_path / "cache"),
        "save_dir": str(tmp_path / "models"),
        "log_dir": str(tmp_path / "tflog"),
        "val_batch_size": 4,
        **settings,
    }


@pytest.mark.slow
@pytest.mark.tensorflow_only
def test_dch_trains_on_the_cache_and_its_image_model_encodes_images_alike(
    tmp_path, lists, small_trunk
):
    recipe = DCHRecipe(
        **cached_settings(tmp_path, lists), output_dim=8, iter_num=3, batch_size=4, no_plots=True
    )
    report = recipe.run()
    assert list(report) == list(REPORT_KEYS)
    assert all(0 <= value <= 1 for value in report.values())
    folder = cached.cache_dir(recipe.config)
    assert os.path.dirname(folder) == str(tmp_path / "cache")
    assert os.path.exists(os.path.join(folder, "manifest.json"))
    model = keras.models.load_model(recipe.model_path())
    # Blocks 0..14 frozen and cached, block 15 and the head fine-tuned: 1x1x192 maps at 32 px.
    assert model.backbone.input_shape[1:] == (1, 1, 192)

    # The saved image model: RGB centre crops give the outputs of the cached centre view.
    image_model = keras.models.load_model(recipe.model_path()[: -len(".keras")] + ".images.keras")
    crops = centre_crops(os.path.join(lists, "cifar10", "database.txt"))
    data = recipe.load_data()  # reopens the cache
    assert data.trunk.image_size == SIZE
    from_maps = model.predict(data.database, verbose=0)
    from_images = image_model.predict(crops, verbose=0)
    # The maps are stored as float16; the models agree to 1e-4 on the same float32 maps.
    np.testing.assert_allclose(from_images, from_maps, atol=1e-3)
    maps = data.trunk(crops)
    np.testing.assert_allclose(from_images, model.predict(maps, verbose=0), atol=1e-4)
    np.testing.assert_array_equal(image_model.encode(crops), model.encode(maps))


@pytest.mark.slow
@pytest.mark.tensorflow_only
def test_a_second_method_reuses_the_cache_without_running_the_frozen_blocks(
    tmp_path, lists, small_trunk, monkeypatch
):
    settings = cached_settings(tmp_path, lists, output_dim=8, batch_size=4)
    DCHRecipe(**settings, iter_num=2, no_plots=True).load_data()
    features = os.path.join(cached.cache_dir(DCHRecipe(**settings).config), "train.features.npy")
    written = os.path.getmtime(features)

    def refuse(self, images):
        raise AssertionError("the cache was rebuilt: the frozen blocks ran again")

    monkeypatch.setattr(cached_trunk.Trunk, "__call__", refuse)
    settings = cached_settings(
        tmp_path, lists, "data_root", output_dim=8, batch_size=4, code_batch_size=8
    )
    recipe = DQNRecipe(**settings, iter_num=3, subspace_num=2, num_codewords=4)
    report = recipe.run()
    assert list(report) == QUANTIZED_KEYS
    assert os.path.getmtime(features) == written
    assert os.path.exists(recipe.model_path()[: -len(".keras")] + ".images.keras")
    image_model = keras.models.load_model(recipe.model_path()[: -len(".keras")] + ".images.keras")
    np.testing.assert_array_equal(
        image_model.quantizer.get_codebook(),
        keras.models.load_model(recipe.model_path()).quantizer.get_codebook(),
    )


@pytest.mark.slow
@pytest.mark.tensorflow_only
def test_dvsq_trains_on_the_cache(tmp_path, lists, small_trunk):
    np.savetxt(
        os.path.join(lists, "cifar10_wordvec.txt"), np.random.default_rng(0).normal(size=(3, 8))
    )
    settings = cached_settings(
        tmp_path, lists, "data_root", output_dim=8, batch_size=4, code_batch_size=8
    )
    recipe = DVSQRecipe(**settings, iter_num=2, subspace_num=2, num_codewords=4)
    assert list(recipe.run()) == QUANTIZED_KEYS
    assert os.path.exists(recipe.model_path()[: -len(".keras")] + ".images.keras")


@pytest.mark.slow
@pytest.mark.tensorflow_only
def test_dhn_trains_on_the_cache(tmp_path, lists, small_trunk):
    settings = cached_settings(tmp_path, lists, "data_root", output_dim=8, batch_size=4)
    recipe = DHNRecipe(**settings, iter_num=2, gpu="cpu")
    assert list(recipe.run()) == list(REPORT_KEYS)
    assert os.path.exists(recipe.model_path()[: -len(".keras")] + ".images.keras")


@pytest.mark.slow
@pytest.mark.tensorflow_only
def test_dtq_mines_triplets_from_the_cached_maps(tmp_path, lists, small_trunk):
    settings = cached_settings(tmp_path, lists, output_dim=8, batch_size=2, code_batch_size=8)
    recipe = DTQRecipe(**settings, epochs=1, subspace=2, subcenter=4, n_part=1, triplet_margin=2.0)
    data = recipe.load_data()
    assert data.train is None and data.train_inputs.load(0).shape == data.input_shape
    assert list(recipe.run()) == ["map_feature_ip", "map_AQD_ip", "map_SQD_ip"]
    assert os.path.exists(recipe.model_path()[: -len(".keras")] + ".images.keras")


@pytest.mark.parametrize("recipe_class", [DCHRecipe, DHNRecipe, DQNRecipe, DVSQRecipe, DTQRecipe])
def test_the_cache_needs_an_efficientnet_lite_and_list_files(tmp_path, recipe_class):
    folder = "data_dir" if recipe_class in (DCHRecipe, DTQRecipe) else "data_root"
    settings = cached_settings(tmp_path, str(tmp_path), folder)
    with pytest.raises(ValueError, match="trunk_cache.*img_model"):
        recipe_class(**{**settings, "img_model": "alexnet"}).load_data()
    with pytest.raises(ValueError, match="trunk_cache.*'fashion_mnist'"):
        recipe_class(**{**settings, "dataset": "fashion_mnist"}).load_data()
    with pytest.raises(ValueError, match="trunk_cache.*train.txt"):
        recipe_class(**settings).load_data()  # no lists in the folder
    with pytest.raises(ValueError, match="train_from"):
        recipe_class(**{**settings, "train_from": 99}).load_data()
    assert not os.path.exists(tmp_path / "cache")


def test_run_names_tell_cached_runs_apart_and_keep_whole_network_names():
    whole = DCHRecipe(img_model="efficientnet_lite0")
    assert "trunk_cache" not in whole.run_settings()
    # The cached settings change nothing while the cache is off, nor the run's name.
    assert DCHRecipe(img_model="efficientnet_lite0", train_from=12).run_name() == whole.run_name()
    cached_run = DCHRecipe(img_model="efficientnet_lite0", trunk_cache="cache")
    assert cached_run.run_settings()["train_from"] == 15
    assert cached_run.run_name() != whole.run_name()
    deeper = DCHRecipe(img_model="efficientnet_lite0", trunk_cache="cache", train_from=12)
    assert deeper.run_name() != cached_run.run_name()
    assert DQNRecipe(trunk_cache="cache").run_name() != DQNRecipe().run_name()


@pytest.mark.parametrize(
    "script, recipe_class, argv",
    [
        ("examples/dch/train_val_script.py", DCHRecipe, []),
        ("examples/dqn/train_val_script.py", DQNRecipe, []),
        ("examples/dvsq/train_val_script.py", DVSQRecipe, []),
        ("examples/dtq/train_val_script.py", DTQRecipe, []),
        (
            "examples/dhn/train_val_script.py",
            DHNRecipe,
            ["0.00005", "64", "2000", "0.0", "10.0", "cifar10", "0", "tflog", "~/data/"],
        ),
    ],
)
def test_the_flags_reach_the_recipe(script, recipe_class, argv):
    flags = ["--img-model", "efficientnet_lite0", "--trunk-cache", "~/cache", "--train-from", "12"]
    config = recipe_class.from_args(build_parser(script).parse_args(argv + flags)).config
    assert (config.trunk_cache, config.train_from, config.train_views) == ("~/cache", 12, 3)
    assert not config.validation
    config = recipe_class.from_args(build_parser(script).parse_args(argv)).config
    assert (config.trunk_cache, config.train_from, config.train_views) == ("", 15, 3)
    config = recipe_class.from_args(build_parser(script).parse_args(argv + ["--validation"]))
    assert config.config.validation


def write_validation_lists(lists):
    """val_test.txt = train.txt's lines 1 and 4, val_train.txt = the other six, as
    data/cifar10/prepare.py draws them from train.txt."""
    folder = os.path.join(lists, "cifar10")
    with open(os.path.join(folder, "train.txt")) as handle:
        lines = handle.read().splitlines()
    held_out = [1, 4]
    with open(os.path.join(folder, "val_test.txt"), "w") as handle:
        handle.write("\n".join(lines[i] for i in held_out) + "\n")
    with open(os.path.join(folder, "val_train.txt"), "w") as handle:
        handle.write("\n".join(x for i, x in enumerate(lines) if i not in held_out) + "\n")
    return held_out


@pytest.mark.slow
@pytest.mark.tensorflow_only
def test_validation_trains_on_val_train_and_searches_val_test_from_the_same_cache(
    tmp_path, lists, small_trunk
):
    held_out = write_validation_lists(lists)
    settings = cached_settings(tmp_path, lists, output_dim=8, batch_size=2)
    test = DCHRecipe(**settings).load_data()
    recipe = DCHRecipe(**settings, validation=True, iter_num=2, no_plots=True)
    assert recipe.run_name() != DCHRecipe(**settings).run_name()
    data = recipe.load_data()
    assert data.cache.directory == test.cache.directory  # one cache for both
    kept = [i for i in range(8) if i not in held_out]
    np.testing.assert_array_equal(data.train_labels, test.train_labels[kept])
    np.testing.assert_array_equal(data.query_labels, test.train_labels[held_out])
    assert len(data.database_labels) == len(test.database_labels)
    # The queries are the centre views of the held-out training images.
    centre = np.asarray(data.cache.features("train")[held_out, 0], dtype=np.float32)
    np.testing.assert_array_equal(np.concatenate(list(data.query.as_numpy_iterator())), centre)
    # Training item 1 is a view of the second kept image.
    assert len(data.train_inputs) == 6
    views = np.asarray(data.cache.features("train")[kept[1]], dtype=np.float32)
    assert any(np.array_equal(data.train_inputs.load(1), view) for view in views)
    assert sorted(recipe.run()) == sorted(REPORT_KEYS)
    dtq = DTQRecipe(
        **cached_settings(tmp_path, lists, output_dim=8, batch_size=2, code_batch_size=8),
        validation=True,
        epochs=1,
        subspace=2,
        subcenter=4,
        n_part=1,
        triplet_margin=2.0,
    )
    assert list(dtq.run()) == ["map_feature_ip", "map_AQD_ip", "map_SQD_ip"]


@pytest.mark.parametrize("recipe_class", [DCHRecipe, DHNRecipe, DQNRecipe, DVSQRecipe, DTQRecipe])
def test_validation_needs_the_cache_and_the_held_out_lists(tmp_path, lists, recipe_class):
    folder = "data_dir" if recipe_class in (DCHRecipe, DTQRecipe) else "data_root"
    settings = cached_settings(tmp_path, lists, folder, validation=True)
    with pytest.raises(ValueError, match="validation.*set trunk_cache"):
        recipe_class(**{**settings, "trunk_cache": ""}).load_data()
    with pytest.raises(ValueError, match="validation: .* no list .*val_train.txt"):
        recipe_class(**settings).load_data()
