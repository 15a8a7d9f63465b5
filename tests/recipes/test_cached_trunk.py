"""The CPU fine-tuning path: a split EfficientNet-Lite, its cache of list files, training on it."""

import os

import cv2
import keras
import numpy as np
import pytest

from keras_hashing.backbones.efficientnet_lite import EfficientNetLite
from keras_hashing.backbones.efficientnet_lite import efficientnet_lite_preprocess
from keras_hashing.backbones.efficientnet_lite import load_efficientnet_lite_state_dict
from keras_hashing.data import write_image_list
from keras_hashing.data.trunk_cache import trunk_cache_dataset
from keras_hashing.models import DCH
from keras_hashing.recipes.cached_trunk import build_list_cache
from keras_hashing.recipes.cached_trunk import efficientnet_lite_trunk
from keras_hashing.recipes.cached_trunk import list_rows

SIZE = 32


def test_trunk_parts_compose_to_the_whole_imagenet_network():
    state = load_efficientnet_lite_state_dict("imagenet", "lite0")
    whole = EfficientNetLite("lite0", weights=state, input_shape=(SIZE, SIZE, 3))
    trunk = efficientnet_lite_trunk("lite0", split_at=8, image_size=SIZE, weights=state)
    assert not trunk.lower.trainable and trunk.upper.trainable
    assert trunk.image_size == SIZE and "blocks 0..7" in trunk.description
    images = np.random.default_rng(0).uniform(0, 255, (2, SIZE, SIZE, 3)).astype("float32")
    maps = trunk(images)
    assert maps.shape == (2, 2, 2, 80)
    expected = whole.predict_on_batch(efficientnet_lite_preprocess(images))
    np.testing.assert_allclose(trunk.upper.predict_on_batch(maps), expected, atol=1e-4)


def _list_folder(folder, counts):
    rng = np.random.default_rng(0)
    for list_name, count in counts.items():
        rel_paths = []
        for index in range(count):
            rel_path = f"images/{list_name}_{index}.png"
            os.makedirs(os.path.join(folder, "images"), exist_ok=True)
            cv2.imwrite(os.path.join(folder, rel_path), rng.integers(0, 255, (8, 8, 3), np.uint8))
            rel_paths.append(rel_path)
        labels = np.eye(2, dtype=np.int64)[np.arange(count) % 2]
        write_image_list(os.path.join(folder, list_name), rel_paths, labels)


def test_build_list_cache_and_train_a_hashing_model_on_it(tmp_path):
    _list_folder(tmp_path, {"train.txt": 6, "test.txt": 2, "database.txt": 4})
    trunk = efficientnet_lite_trunk("lite0", split_at=12, image_size=SIZE, weights=None)
    cache = build_list_cache(tmp_path, tmp_path / "cache", trunk, train_views=2, verbose=0)
    assert cache.splits == ["train", "query", "database"]
    assert cache.features("train").shape == (6, 2, 1, 1, 192)
    assert cache.features("database").shape == (4, 1, 1, 1, 192)
    assert cache.manifest["settings"]["description"] == trunk.description

    model = DCH(trunk.upper, 8, num_labels=2)
    model.compile(optimizer=keras.optimizers.SGD(0.01))
    before = [keras.ops.convert_to_numpy(w).copy() for w in trunk.upper.trainable_weights]
    history = model.fit(trunk_cache_dataset(cache, "train", 3, training=True), epochs=2,
                        verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    after = [keras.ops.convert_to_numpy(w) for w in trunk.upper.trainable_weights]
    assert any(not np.allclose(a, b) for a, b in zip(before, after)), "the upper part trains"
    codes = model.encode(trunk_cache_dataset(cache, "database", 3))
    assert codes.shape == (4, 8) and set(np.unique(codes)) <= {-1, 1}


def test_list_rows_finds_a_validation_list_inside_the_training_list(tmp_path):
    _list_folder(tmp_path, {"train.txt": 5})
    with open(tmp_path / "train.txt") as handle:
        lines = handle.readlines()
    with open(tmp_path / "val.txt", "w") as handle:
        handle.writelines([lines[3], lines[0]])
    np.testing.assert_array_equal(list_rows(tmp_path / "val.txt", tmp_path / "train.txt"), [3, 0])
    with open(tmp_path / "other.txt", "w") as handle:
        handle.write("images/elsewhere.png 1 0\n")
    with pytest.raises(ValueError, match="elsewhere.png"):
        list_rows(tmp_path / "other.txt", tmp_path / "train.txt")


@pytest.mark.parametrize("method", ["dch", "dqn"])
def test_with_trunk_encodes_images_as_the_cache_path_does(tmp_path, method):
    from keras_hashing.models import DQN
    from keras_hashing.recipes.cached_trunk import with_trunk

    trunk = efficientnet_lite_trunk("lite0", split_at=12, image_size=SIZE, weights=None)
    images = np.random.default_rng(1).uniform(0, 255, (3, SIZE, SIZE, 3)).astype("float32")
    maps = trunk(images)
    if method == "dch":
        model = DCH(trunk.upper, 8, num_labels=2)
    else:
        model = DQN(trunk.upper, 8, num_train=5, num_labels=2, num_codebooks=2, num_codewords=4)
    model.predict_outputs(maps)
    for variable in model.weights:  # make every weight differ from a fresh build's
        variable.assign(variable + np.random.default_rng(2).normal(0, 0.1, variable.shape))
    image_model = with_trunk(model, trunk)
    np.testing.assert_allclose(
        image_model.predict_outputs(images), model.predict_outputs(maps), atol=1e-4
    )
    path = str(tmp_path / "image_model.keras")
    image_model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_array_equal(loaded.encode(images), image_model.encode(images))
    with pytest.raises(ValueError, match="already has a preprocessor"):
        with_trunk(image_model, trunk)


def test_deepen_cache_equals_a_cache_split_later(tmp_path):
    from keras_hashing.recipes.cached_trunk import deepen_cache

    _list_folder(tmp_path, {"train.txt": 3, "test.txt": 2, "database.txt": 2})
    state = load_efficientnet_lite_state_dict("imagenet", "lite0")
    early = efficientnet_lite_trunk("lite0", split_at=8, image_size=SIZE, weights=state)
    late = efficientnet_lite_trunk("lite0", split_at=15, image_size=SIZE, weights=state)
    cache = build_list_cache(tmp_path, tmp_path / "early", early, train_views=2, verbose=0)
    direct = build_list_cache(tmp_path, tmp_path / "late", late, train_views=2, verbose=0)
    deeper = deepen_cache(cache, tmp_path / "deeper", "lite0", 8, 15, SIZE, state, verbose=0)
    for split in direct.splits:
        np.testing.assert_allclose(
            deeper.features(split).astype(np.float32),
            direct.features(split).astype(np.float32),
            atol=0.05,  # float16 storage of the intermediate maps
        )
