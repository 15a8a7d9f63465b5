"""`keras_hashing.recipes.djsrh`: zs-zhong/DJSRH's settings, data, model, training, evaluation."""

import dataclasses
import os
import types

import numpy as np
import pytest
import scipy.io

from keras_hashing.metrics import cross_modal_map
from keras_hashing.recipes.djsrh import DJSRHConfig
from keras_hashing.recipes.djsrh import DJSRHRecipe
from tests.fake_data import write_openclipart_mat


def tiny_recipe(tmp_path, **settings):
    """A DJSRH recipe on `write_openclipart_mat`'s file, small nets, batches of 4."""
    return DJSRHRecipe(
        dataset="openclipart",
        data_dir=write_openclipart_mat(tmp_path / "openclipart"),
        code_len=8,
        batch_size=4,
        hidden=16,
        text_hidden=16,
        model_dir=str(tmp_path / "checkpoint"),
        log_dir=str(tmp_path / "tflog"),
        verbose=0,
        **settings,
    )


def test_each_dataset_takes_the_original_settings():
    nuswide = DJSRHRecipe(dataset="NUSWIDE").config
    assert (
        nuswide.beta,
        nuswide.lambda1,
        nuswide.lambda2,
        nuswide.num_epoch,
        nuswide.lr_img,
        nuswide.lr_txt,
        nuswide.eval_interval,
    ) == (0.6, 0.1, 0.1, 80, 0.001, 0.01, 40)
    assert (
        nuswide.batch_size,
        nuswide.code_len,
        nuswide.mu,
        nuswide.eta,
        nuswide.momentum,
        nuswide.weight_decay,
        nuswide.top_k,
    ) == (32, 64, 1.5, 0.4, 0.9, 5e-4, 50)
    wiki = DJSRHRecipe(dataset="WIKI").config
    assert (wiki.beta, wiki.lambda1, wiki.num_epoch, wiki.lr_img, wiki.eval_interval) == (
        0.3,
        0.3,
        200,
        0.01,
        100,
    )
    # settings.py's DATASET is MIRFlickr; fashion_mnist takes MIRFlickr's settings.
    assert DJSRHRecipe().config == DJSRHRecipe.preset("MIRFlickr").config
    mirflickr = DJSRHRecipe.preset("MIRFlickr").config
    fashion = DJSRHRecipe(dataset="fashion_mnist").config
    assert dataclasses.replace(fashion, dataset="MIRFlickr", data_dir=mirflickr.data_dir) == (
        mirflickr
    )
    # Open Clip Art: WIKI's settings, chosen on the validation split, for 80 epochs.
    openclipart = DJSRHRecipe(dataset="openclipart").config
    assert (openclipart.beta, openclipart.lambda1, openclipart.lr_img) == (0.3, 0.3, 0.01)
    assert (openclipart.num_epoch, openclipart.eval_interval) == (80, 40)
    assert sorted(DJSRHRecipe.presets) == sorted(
        ["WIKI", "MIRFlickr", "NUSWIDE", "fashion_mnist", "openclipart"]
    )
    for name in DJSRHRecipe.presets:
        assert DJSRHRecipe.preset(name).config == DJSRHRecipe(dataset=name).config


def test_given_settings_and_paths_win_over_the_datasets():
    wiki = DJSRHRecipe(dataset="WIKI", beta=0.5, num_epoch=3).config
    assert (wiki.beta, wiki.num_epoch, wiki.lambda1) == (0.5, 3, 0.3)
    assert (wiki.data_dir, wiki.image_dir) == ("path/to/wiki", "path/to/wiki/images")
    # With a data folder given, WIKI's images default to <data_dir>/images (the loader's).
    assert DJSRHRecipe(dataset="WIKI", data_dir="wiki").config.image_dir is None
    assert DJSRHRecipe(dataset="fashion_mnist").config.data_dir is None
    assert DJSRHRecipe(DJSRHConfig(dataset="NUSWIDE"), code_len=16).file_stem() == "NUSWIDE_16"


def test_an_unknown_dataset_is_refused():
    with pytest.raises(ValueError, match="--dataset.*'CIFAR'"):
        DJSRHRecipe(dataset="CIFAR")


def test_missing_files_are_named(tmp_path):
    recipe = DJSRHRecipe(dataset="MIRFlickr", alexnet_weights=str(tmp_path / "alexnet.npz"))
    with pytest.raises(FileNotFoundError, match="--alexnet-weights .*alexnet.npz"):
        recipe.build_model(types.SimpleNamespace(text_dim=5))
    with pytest.raises(FileNotFoundError, match="No checkpoint .*latest.keras"):
        DJSRHRecipe(model_dir=str(tmp_path)).load_model()


def test_open_clip_art_without_features_is_refused(tmp_path):
    folder = write_openclipart_mat(tmp_path, with_features=False)
    with pytest.raises(ValueError, match="features-from lite0"):
        DJSRHRecipe(dataset="openclipart", data_dir=folder).load_data()


def test_evaluation_is_the_djsrh_map_of_both_directions(tmp_path):
    recipe = tiny_recipe(tmp_path, top_k=5)
    data = recipe.load_data()
    model = recipe.build_model(data)
    assert model.image_backbone.get_layer("fc7").units == 16
    results = recipe.evaluate(model, data)
    query_images, query_texts = recipe.encode(model, data.query)
    database_images, database_texts = recipe.encode(model, data.database)
    query, database = data.query.labels, data.database.labels
    assert results == {
        "map_i2t": cross_modal_map(
            query_images, query, database_texts, database, top_k=5, convention="djsrh"
        ),
        "map_t2i": cross_modal_map(
            query_texts, query, database_images, database, top_k=5, convention="djsrh"
        ),
    }
    logs = os.listdir(tmp_path / "checkpoint" / "log")
    assert len(logs) == 1 and logs[0].endswith("_log.txt")
    text = open(tmp_path / "checkpoint" / "log" / logs[0]).read()
    assert "MAP of Image to Text:" in text


def test_each_model_dir_gets_its_own_log_file(tmp_path):
    for name in ("first", "second"):
        DJSRHRecipe(model_dir=str(tmp_path / name)).logger().info("hello %s", name)
    for name in ("first", "second"):
        (log,) = os.listdir(tmp_path / name / "log")
        assert f"hello {name}" in open(tmp_path / name / "log" / log).read()


def test_callbacks_back_up_only_when_resuming(tmp_path):
    import keras

    def kinds(recipe):
        return [type(callback).__name__ for callback in recipe.callbacks(keras.callbacks.History())]

    assert kinds(tiny_recipe(tmp_path)) == ["DJSRHSlopeSchedule", "History", "TensorBoard"]
    assert kinds(tiny_recipe(tmp_path, resume=True))[0] == "RunBackup"


def test_a_backup_of_other_settings_is_refused(tmp_path):
    import keras

    from keras_hashing.callbacks import RunBackup

    def run_backup(recipe):
        callbacks = recipe.callbacks(keras.callbacks.History())
        (found,) = [c for c in callbacks if isinstance(c, RunBackup)]
        return found

    recipe = tiny_recipe(tmp_path, resume=True)
    backup = run_backup(recipe)
    # Where files go, `eval` and `resume` do not change the run; the rates do.
    assert {"model_dir", "eval", "resume", "log_dir"}.isdisjoint(backup.settings)
    assert backup.settings["lr_img"] == recipe.config.lr_img
    backup.on_train_begin()  # records this run's settings beside the backup
    refusing = run_backup(tiny_recipe(tmp_path, resume=True, lr_img=0.5))
    with pytest.raises(ValueError, match="lr_img: backup 0.01, now 0.5"):
        refusing.on_train_begin()


@pytest.mark.tensorflow_only
def test_train_then_evaluate_on_open_clip_art_features(tmp_path):
    recipe = tiny_recipe(tmp_path, num_epoch=2, eval_interval=1)
    results = recipe.run()
    assert 0.0 <= results["map_i2t"] <= 1.0 and 0.0 <= results["map_t2i"] <= 1.0
    assert len(results["epoch_seconds"]) == 2
    checkpoint = tmp_path / "checkpoint"
    assert recipe.model_path() == str(checkpoint / "latest.keras")
    assert os.path.exists(checkpoint / "latest.keras")
    split = np.load(checkpoint / "split_indices.npz")
    assert (len(split["train"]), len(split["query"]), len(split["database"])) == (12, 6, 12)
    for name in ("cross_modal_curves.png", "cross_modal_curves.npz"):
        assert os.path.getsize(checkpoint / name) > 0
    assert os.listdir(tmp_path / "tflog" / "openclipart_8")
    (log,) = os.listdir(checkpoint / "log")
    text = open(checkpoint / "log" / log).read()
    assert "DATASET = openclipart, BETA = 0.3000" in text and "Epoch [2/2] Loss1:" in text
    os.remove(checkpoint / "cross_modal_curves.png")
    evaluated = dataclasses.replace(recipe.config, eval=True)
    evaluated = DJSRHRecipe(evaluated).run()
    assert evaluated["map_i2t"] == pytest.approx(results["map_i2t"])
    assert evaluated["map_t2i"] == pytest.approx(results["map_t2i"])
    assert os.path.getsize(checkpoint / "cross_modal_curves.png") > 0


def write_tiny_wiki(directory, seed=1):
    """DJSRH's WIKI layout: the two lists, `raw_features.mat` and `images/<category>/*.jpg`."""
    import cv2

    rng = np.random.default_rng(seed)
    for part, count in (("trainset", 8), ("testset", 2)):
        with open(os.path.join(directory, f"{part}_txt_img_cat.list"), "w") as handle:
            for i in range(count):
                category = i % 2 + 1
                handle.write(f"t{i} {part}{i} {category}\n")
                folder = os.path.join(directory, "images", ["art", "biology"][category - 1])
                os.makedirs(folder, exist_ok=True)
                cv2.imwrite(
                    os.path.join(folder, f"{part}{i}.jpg"),
                    rng.integers(0, 256, (40, 48, 3)).astype("uint8"),
                )
    scipy.io.savemat(
        os.path.join(directory, "raw_features.mat"),
        {"T_tr": rng.random((8, 10)), "T_te": rng.random((2, 10))},
    )
    return str(directory)


@pytest.mark.slow
@pytest.mark.tensorflow_only
def test_train_then_evaluate_on_a_tiny_wiki(tmp_path):
    settings = dict(
        dataset="WIKI",
        data_dir=write_tiny_wiki(tmp_path),
        model_dir=str(tmp_path / "checkpoint"),
        log_dir=str(tmp_path / "tflog"),
        alexnet_weights="none",
        code_len=8,
        batch_size=4,
        text_hidden=16,
        verbose=0,
    )
    recipe = DJSRHRecipe(num_epoch=1, eval_interval=1, **settings)
    model = recipe.build_model(recipe.load_data())
    # WIKI trains only the classifier of the AlexNet (and the code layers).
    trainable = [layer.name for layer in model.image_backbone.layers if layer.trainable_weights]
    assert trainable == ["fc6", "fc7"]
    results = recipe.run()
    assert set(results) >= {"map_i2t", "map_t2i", "epoch_seconds"}
    checkpoint = tmp_path / "checkpoint"
    assert os.path.exists(checkpoint / "latest.keras")
    assert os.path.exists(checkpoint / "split_indices.npz")
    for name in ("cross_modal_curves.png", "cross_modal_curves.npz"):
        assert os.path.getsize(checkpoint / name) > 0
    os.remove(checkpoint / "cross_modal_curves.png")
    evaluated = DJSRHRecipe(eval=True, **settings).run()
    assert evaluated["map_i2t"] == pytest.approx(results["map_i2t"])
    assert os.path.getsize(checkpoint / "cross_modal_curves.png") > 0
