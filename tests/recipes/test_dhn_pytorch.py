"""The DHN_PyTorch recipe (keras_hashing/recipes/dhn_pytorch.py), called from Python."""

import dataclasses
import os

import cv2
import numpy as np
import pytest

from keras_hashing.recipes.dhn_pytorch import DHNPyTorchConfig
from keras_hashing.recipes.dhn_pytorch import DHNPyTorchData
from keras_hashing.recipes.dhn_pytorch import DHNPyTorchRecipe
from tests.fake_data import write_fake_fashion_mnist


@pytest.fixture(scope="module")
def fashion_root(tmp_path_factory):
    # 70 images per class: 10 queries, 30 training images and 30 database images each.
    folder = tmp_path_factory.mktemp("fashion_mnist")
    return write_fake_fashion_mnist(str(folder), train_per_class=60, test_per_class=10)


def tiny(fashion_root, tmp_path, **settings):
    defaults = dict(
        code_length=16,
        max_iter=4,
        evaluate_interval=2,
        lr=3e-3,
        batch_size=64,
        num_query=100,
        num_train=300,
        root=fashion_root,
        save_dir=str(tmp_path / "checkpoints"),
        log_dir=str(tmp_path / "logs"),
    )
    return DHNPyTorchRecipe(**{**defaults, **settings})


def test_settings_and_the_original_file_stem():
    recipe = DHNPyTorchRecipe(code_length=32)
    assert recipe.config == DHNPyTorchConfig(code_length=32)
    # lamda keeps the original's int default, so the files read "lamda_1" as there.
    assert recipe.file_stem() == "fashion_mnist_model_alexnet_code_32_lamda_1"
    assert recipe.log_path() == os.path.join("logs", recipe.file_stem() + ".log")
    assert DHNPyTorchRecipe.preset("fashion_mnist_32").config == recipe.config
    # Where it writes and which GPU it uses do not name the run; the seed does.
    assert DHNPyTorchRecipe(code_length=32, gpu=1, log_dir="x").run_name() == recipe.run_name()
    assert DHNPyTorchRecipe(code_length=32, seed=1).run_name() != recipe.run_name()


@pytest.mark.parametrize(
    "settings, message",
    [
        ({}, "--code-length is required"),
        ({"code_length": 16, "arch": "vgg16"}, "vgg16 is not ported"),
        ({"code_length": 16, "arch": "resnet"}, r"`--arch` must be one of .*, found 'resnet'"),
        ({"code_length": 16, "dataset": "mnist"}, "`--dataset` must be one of"),
        ({"code_length": 16, "tie_break": "random"}, r"`--tie-break` must be one of \('index'"),
        ({"code_length": 16, "evaluate_interval": 0}, "`--evaluate-interval` must be a positive"),
    ],
)
def test_refused_settings_name_the_flag(settings, message):
    with pytest.raises(ValueError, match=message):
        DHNPyTorchRecipe(**settings)


def test_fashion_mnist_split_and_inputs(fashion_root, tmp_path):
    data = tiny(fashion_root, tmp_path).load_data()
    assert data.kind == "gray28" and data.num_labels == 10
    assert data.train[0].shape == (300, 28, 28, 1) and data.train[0].dtype == np.float32
    assert 0.0 <= data.train[0].min() and data.train[0].max() <= 1.0
    assert len(data.query[1]) == 100 and len(data.database[1]) == 300
    assert data.query[1].sum(axis=0).tolist() == [10] * 10


def test_model_errors_name_the_flag(tmp_path):
    images = DHNPyTorchData(
        train=(None, np.eye(2)),
        query=(None, np.eye(2)),
        database=(None, np.eye(2)),
        kind="torch224",
    )
    with pytest.raises(ValueError, match="small_cnn takes 28x28"):
        DHNPyTorchRecipe(code_length=8, arch="small_cnn").build_model(images)
    missing = str(tmp_path / "alexnet.npz")
    with pytest.raises(FileNotFoundError, match=r"--model-weights .*alexnet\.npz does not exist"):
        DHNPyTorchRecipe(code_length=8, model_weights=missing).build_model(images)
    with pytest.raises(ValueError, match="--root .*lacks train-images"):
        DHNPyTorchRecipe(code_length=8, root=str(tmp_path)).load_data()


@pytest.mark.slow
def test_run_trains_evaluates_and_writes_the_original_files(fashion_root, tmp_path, capsys):
    recipe = tiny(fashion_root, tmp_path)
    result = recipe.run()
    assert [epoch for epoch, _ in result["history"]] == [2, 4]
    assert result["map"] > 0.2  # 10 classes: chance is about 0.1
    assert os.path.basename(result["path"]).startswith(recipe.file_stem() + "_map_")
    assert os.path.exists(result["path"])
    codes = np.load(result["path"][: -len(".keras")] + "_codes.npz")
    assert codes["qB"].shape == (100, 16) and codes["rB"].shape == (300, 16)
    assert codes["P"].shape == codes["R"].shape == (17,)
    assert float(codes["map"]) == pytest.approx(result["map"])
    log = (tmp_path / "logs" / "fashion_mnist_model_alexnet_code_16_lamda_1.log").read_text()
    assert "[iter:2/4]" in log and "[code_length:16][map:" in log and "saved " in log
    assert str(dataclasses.asdict(recipe.config)) in log
    assert "using --arch small_cnn" in capsys.readouterr().out
    assert os.listdir(tmp_path / "logs" / recipe.file_stem())  # TensorBoard summaries


@pytest.mark.slow
def test_keep_best_on_query_restores_the_best_evaluation(fashion_root, tmp_path):
    recipe = tiny(fashion_root, tmp_path, keep_best_on_query=True, max_iter=2, evaluate_interval=1)
    data = recipe.load_data()
    model = recipe.build_model(data)
    evaluation = recipe.train(model, data)
    best_map, weights, _, _, epoch = evaluation.best
    assert best_map == max(value for _, value in evaluation.history)
    assert epoch in (1, 2)
    model.set_weights(weights)
    assert recipe.evaluate(model, data)[0] == pytest.approx(best_map)
    too_short = tiny(fashion_root, tmp_path, keep_best_on_query=True, max_iter=1)
    with pytest.raises(ValueError, match="no evaluation ran"):
        too_short.run()


@pytest.mark.slow
def test_image_folders_train_alexnet_on_torchvision_crops(tmp_path):
    rng = np.random.default_rng(0)
    for part, count in (("train", 2), ("query", 1), ("database", 2)):
        for name in ("a", "b"):
            folder = tmp_path / "cifar" / "images" / part / name
            os.makedirs(folder)
            for i in range(count):
                image = rng.integers(0, 255, (32, 32, 3)).astype(np.uint8)
                cv2.imwrite(str(folder / f"{i}.png"), image)
    recipe = DHNPyTorchRecipe(
        dataset="cifar-10",
        root=str(tmp_path / "cifar"),
        code_length=8,
        model_weights="none",
        max_iter=1,
        evaluate_interval=1,
        batch_size=4,
        num_workers=1,
        save_dir=str(tmp_path / "checkpoints"),
        log_dir=str(tmp_path / "logs"),
    )
    result = recipe.run()
    assert [epoch for epoch, _ in result["history"]] == [1]
    codes = np.load(result["path"][: -len(".keras")] + "_codes.npz")
    assert codes["qB"].shape == (2, 8) and codes["rB"].shape == (4, 8)
    assert os.path.basename(result["path"]).startswith("cifar-10_model_alexnet_code_8_lamda_1")
