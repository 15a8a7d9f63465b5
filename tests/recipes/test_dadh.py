"""`keras_hashing.recipes.dadh`: DADH's `train` and `test` from Python, on tiny files."""

import json
import os

import numpy as np
import pytest
import scipy.io

from keras_hashing.recipes.dadh import DADHConfig
from keras_hashing.recipes.dadh import DADHRecipe
from tests.fake_data import write_openclipart_mat


def write_tiny_flickr(directory, n=40, seed=0):
    """A `FLICKR-25K.mat` of `n` items: 6 image features, 5 text words, 3 classes."""
    rng = np.random.default_rng(seed)
    classes = rng.integers(0, 3, n)
    labels = np.eye(3)[classes]
    path = os.path.join(directory, "FLICKR-25K.mat")
    scipy.io.savemat(
        path,
        {
            "images": rng.normal(size=(n, 6)) + classes[:, None],
            "YAll": (rng.random((n, 5)) < 0.3) + labels[:, [0, 1, 2, 0, 1]],
            "LAll": labels,
        },
    )
    return path


def write_tiny_openclipart(directory, with_features=True):
    """16 database items (the first 12 the training pairs), then 4 queries, 2 classes."""
    return write_openclipart_mat(
        directory,
        num_classes=2,
        database_size=16,
        query_size=4,
        num_words=9,
        with_features=with_features,
        class_shifted_features=False,
    )


def tiny_recipe(tmp_path, **settings):
    """A DADH recipe on `write_tiny_flickr`'s file: 24 training, 8 query, 32 database items."""
    tiny = {
        "flag": "mir",
        "data_path": write_tiny_flickr(str(tmp_path)),
        "split_sizes": "8,24,32",
        "image_dim": 6,
        "bit": 8,
        "hidden_dim": 32,
        "batch_size": 8,
        "lr": 1e-3,
        "checkpoint_dir": str(tmp_path / "checkpoints"),
        "log_dir": str(tmp_path / "tflog"),
        "verbose": 0,
    }
    return DADHRecipe(**{**tiny, **settings})


def test_presets_are_the_original_run_scripts_and_the_ports_datasets():
    assert DADHRecipe.preset("mir").config == DADHConfig(flag="mir")
    nus = DADHRecipe.preset("nus", bit=32)
    assert (nus.config.lr, nus.config.dropout, nus.config.bit) == (1e-5, True, 32)
    assert nus.file_stem() == "nus-wide_32"
    fashion = DADHRecipe.preset("fashion_mnist").config
    assert (fashion.flag, fashion.bit, fashion.hidden_dim) == ("fashion_mnist", 32, 1024)
    clip_art = DADHRecipe.preset("openclipart").config
    assert (clip_art.bit, clip_art.hidden_dim, clip_art.max_epoch) == (32, 1024, 60)
    recipe = DADHRecipe(checkpoint_dir="runs", bit=16)
    assert recipe.model_path() == os.path.join("runs", "flickr25k_16", "GEN_module.keras")


def test_settings_are_checked_when_the_recipe_is_made():
    with pytest.raises(ValueError, match="DADH: `flag` must be one of"):
        DADHRecipe(flag="wiki")
    with pytest.raises(ValueError, match="DADH: `command` must be one of"):
        DADHRecipe(command="valid")
    with pytest.raises(ValueError, match="DADH: `convention` must be one of"):
        DADHRecipe(convention="pytorch")
    with pytest.raises(ValueError, match=r"--split_sizes.*'8,24'"):
        DADHRecipe(split_sizes="8,24")
    assert DADHRecipe(split_sizes="8,24,32").split_sizes() == {
        "query_size": 8,
        "train_size": 24,
        "database_size": 32,
    }


def test_run_settings_leave_out_folders_commands_and_unused_options():
    settings = DADHRecipe(command="test", vis_port=1).run_settings()
    for name in ("command", "checkpoint_dir", "log_dir", "verbose", "vis_port", "device"):
        assert name not in settings
    assert settings["lr"] == 5e-5 and settings["bit"] == 64


def test_image_dim_is_checked_against_the_features(tmp_path):
    recipe = tiny_recipe(tmp_path, image_dim=4096)
    data = recipe.load_data()
    assert (len(data.train), len(data.query), len(data.database)) == (24, 8, 32)
    with pytest.raises(ValueError, match="image_dim.*4096.*6 columns"):
        recipe.build_model(data)


def test_test_without_a_trained_model_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"flickr25k_8.GEN_module.keras.*main.py train"):
        tiny_recipe(tmp_path, command="test").run()


def test_open_clip_art_without_features_is_refused(tmp_path):
    folder = write_tiny_openclipart(str(tmp_path / "oca"), with_features=False)
    with pytest.raises(ValueError, match="features-from lite0"):
        DADHRecipe(flag="openclipart", data_path=folder).load_data()


@pytest.mark.slow
@pytest.mark.tensorflow_only
def test_train_then_test(tmp_path, capsys):
    recipe = tiny_recipe(tmp_path, max_epoch=2)
    model_path = recipe.run()
    assert model_path == recipe.model_path() and os.path.exists(model_path)
    run_dir = os.path.dirname(model_path)
    assert model_path.endswith(os.path.join("flickr25k_8", "GEN_module.keras"))
    with open(os.path.join(run_dir, "result.json")) as handle:
        result = json.load(handle)
    assert sorted(result) == ["mapi2t", "mapt2i", "train_times"]
    assert len(result["train_times"]) == 2 and len(result["mapi2t"]) == 2
    assert not os.path.exists(os.path.join(run_dir, "backup"))  # removed after a finished run
    assert os.listdir(tmp_path / "tflog" / "flickr25k_8")
    output = capsys.readouterr().out
    assert "...epoch:   2, valid MAP: MAP(i->t)" in output and "final MAP" in output
    assert "cross_modal_curves.npz" in output
    os.remove(os.path.join(run_dir, "cross_modal_curves.png"))

    tester = tiny_recipe(tmp_path, command="test")
    results = tester.run()
    assert set(results) == {"map_i2t", "map_t2i"}
    assert 0.0 <= results["map_i2t"] <= 1.0 and 0.0 <= results["map_t2i"] <= 1.0
    output = capsys.readouterr().out
    assert "...test MAP: MAP(i->t)" in output and "cross_modal_curves.png" in output
    for name in ("cross_modal_curves.png", "cross_modal_curves.npz"):
        assert os.path.getsize(os.path.join(run_dir, name)) > 0
    # The steps one by one give the same mAP as the command.
    data = tester.load_data()
    model = __import__("keras").models.load_model(model_path)
    assert tester.evaluate(model, data) == pytest.approx(results)


@pytest.mark.slow
@pytest.mark.tensorflow_only
def test_select_on_query_saves_the_best_epoch(tmp_path, capsys):
    recipe = tiny_recipe(tmp_path, max_epoch=1, select_on_query=True)
    model_path = recipe.train_command()
    assert os.path.exists(model_path)
    output = capsys.readouterr().out
    assert "max MAP: MAP(i->t)" in output and "final MAP" not in output
    assert not os.path.exists(os.path.join(recipe.run_dir(), "cross_modal_curves.png"))


@pytest.mark.tensorflow_only
def test_trains_on_open_clip_art_features(tmp_path):
    folder = write_tiny_openclipart(str(tmp_path / "oca"))
    recipe = DADHRecipe.preset(
        "openclipart",
        data_path=folder,
        bit=8,
        hidden_dim=16,
        batch_size=2,
        max_epoch=1,
        checkpoint_dir=str(tmp_path / "dadh"),
        log_dir=str(tmp_path / "dadh_log"),
        verbose=0,
    )
    data = recipe.load_data()
    assert (len(data.train), len(data.query), len(data.database)) == (12, 4, 16)
    assert os.path.exists(recipe.run())
