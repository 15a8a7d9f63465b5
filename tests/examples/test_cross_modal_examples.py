"""examples/dadh/main.py and examples/djsrh/train.py end to end on tiny files."""

import importlib.util
import json
import os

import numpy as np
import pytest
import scipy.io

import keras_hashing.metrics

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load_script(relative, name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(ROOT, relative))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def stand_in_cross_modal_map(
    query_codes, query_labels, database_codes, database_labels, top_k=None, convention="index"
):
    """Local stand-in used only while `keras_hashing.metrics.cross_modal_map` is missing."""
    total = 0.0
    for codes, labels in zip(query_codes, query_labels):
        relevant = (database_labels @ labels > 0)[
            np.argsort(-(database_codes @ codes), kind="stable")
        ]
        if top_k:
            relevant = relevant[:top_k]
        hits = np.flatnonzero(relevant)
        if len(hits):
            total += np.mean(np.arange(1, len(hits) + 1) / (hits + 1.0))
    return total / len(query_codes)


@pytest.fixture
def cross_modal_map(monkeypatch):
    if not hasattr(keras_hashing.metrics, "cross_modal_map"):
        monkeypatch.setattr(
            keras_hashing.metrics, "cross_modal_map", stand_in_cross_modal_map, raising=False
        )


@pytest.mark.tensorflow_only
def test_dadh_main_train_then_test(tmp_path, capsys, cross_modal_map):
    rng = np.random.default_rng(0)
    n = 40
    classes = rng.integers(0, 3, n)
    labels = np.eye(3)[classes]
    path = os.path.join(tmp_path, "FLICKR-25K.mat")
    scipy.io.savemat(
        path,
        {
            "images": rng.normal(size=(n, 6)) + classes[:, None],
            "YAll": (rng.random((n, 5)) < 0.3) + labels[:, [0, 1, 2, 0, 1]],
            "LAll": labels,
        },
    )
    main = load_script("examples/dadh/main.py", "dadh_main")
    common = [
        "--flag",
        "mir",
        "--data_path",
        path,
        "--split_sizes",
        "8,24,32",
        "--image_dim",
        "6",
        "--bit",
        "8",
        "--hidden_dim",
        "32",
        "--batch_size",
        "8",
        "--checkpoint_dir",
        str(tmp_path / "checkpoints"),
        "--log_dir",
        str(tmp_path / "tflog"),
        "--verbose",
        "0",
    ]
    model_path = main.main(["train", "--max_epoch", "2", "--lr", "1e-3"] + common)
    assert os.path.exists(model_path) and model_path.endswith("flickr25k_8/GEN_module.keras")
    result = json.load(open(os.path.join(os.path.dirname(model_path), "result.json")))
    assert len(result["train_times"]) == 2 and len(result["mapi2t"]) == 2
    output = capsys.readouterr().out
    assert "valid MAP: MAP(i->t)" in output and "final MAP" in output
    assert "cross_modal_curves.npz" in output
    results = main.main(["test"] + common)
    assert 0.0 <= results["map_i2t"] <= 1.0 and 0.0 <= results["map_t2i"] <= 1.0
    output = capsys.readouterr().out
    assert "...test MAP: MAP(i->t)" in output and "cross_modal_curves.png" in output
    for name in ("cross_modal_curves.png", "cross_modal_curves.npz"):
        assert os.path.getsize(os.path.join(os.path.dirname(model_path), name)) > 0


def test_dadh_parser_has_the_original_flags_and_defaults():
    main = load_script("examples/dadh/main.py", "dadh_main_parser")
    args = main.build_parser().parse_args(["train"])
    expected = {
        "flag": "mir",
        "batch_size": 128,
        "lr": 5e-5,
        "valid_freq": 1,
        "bit": 64,
        "lamb": 1.0,
        "alpha": 10.0,
        "gamma": 1.0,
        "beta": 1.0,
        "mu": 1e-5,
        "margin": 0.4,
        "max_epoch": 300,
        "dropout": False,
        "image_dim": 4096,
        "hidden_dim": 8192,
        "select_on_query": False,
    }
    assert {key: getattr(args, key) for key in expected} == expected
    assert main.build_parser().parse_args(["train", "--dropout", "True"]).dropout is True
    scripts = {
        name: open(os.path.join(ROOT, "examples/dadh", name)).read()
        for name in ("run_mir.sh", "run_nus.sh")
    }
    assert "--flag mir" in scripts["run_mir.sh"]
    assert "--lr 1e-5 --dropout True" in scripts["run_nus.sh"]


@pytest.mark.slow
@pytest.mark.tensorflow_only
def test_djsrh_train_then_eval_on_a_tiny_wiki(tmp_path, cross_modal_map):
    import cv2

    rng = np.random.default_rng(1)
    directory = str(tmp_path)
    for part, count, key in (("trainset", 8, "T_tr"), ("testset", 2, "T_te")):
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
    train = load_script("examples/djsrh/train.py", "djsrh_train")
    common = [
        "--dataset",
        "WIKI",
        "--data-dir",
        directory,
        "--model-dir",
        str(tmp_path / "checkpoint"),
        "--log-dir",
        str(tmp_path / "tflog"),
        "--alexnet-weights",
        "none",
        "--code-len",
        "8",
        "--batch-size",
        "4",
        "--text-hidden",
        "16",
        "--verbose",
        "0",
    ]
    results = train.main(common + ["--num-epoch", "1", "--eval-interval", "1"])
    assert set(results) >= {"map_i2t", "map_t2i", "epoch_seconds"}
    assert os.path.exists(tmp_path / "checkpoint" / "latest.keras")
    assert os.path.exists(tmp_path / "checkpoint" / "split_indices.npz")
    for name in ("cross_modal_curves.png", "cross_modal_curves.npz"):
        assert os.path.getsize(tmp_path / "checkpoint" / name) > 0
    os.remove(tmp_path / "checkpoint" / "cross_modal_curves.png")
    evaluated = train.main(common + ["--eval"])
    assert evaluated["map_i2t"] == pytest.approx(results["map_i2t"])
    assert os.path.getsize(tmp_path / "checkpoint" / "cross_modal_curves.png") > 0


def test_djsrh_settings_match_the_original():
    train = load_script("examples/djsrh/train.py", "djsrh_train_settings")
    settings = train.load_settings()
    args = train.resolve(
        train.build_parser(settings).parse_args(["--dataset", "NUSWIDE"]), settings
    )
    assert (
        args.beta,
        args.lambda1,
        args.lambda2,
        args.num_epoch,
        args.lr_img,
        args.lr_txt,
        args.eval_interval,
    ) == (0.6, 0.1, 0.1, 80, 0.001, 0.01, 40)
    assert (
        args.batch_size,
        args.code_len,
        args.mu,
        args.eta,
        args.momentum,
        args.weight_decay,
        args.top_k,
    ) == (32, 64, 1.5, 0.4, 0.9, 5e-4, 50)
    wiki = train.resolve(train.build_parser(settings).parse_args(["--dataset", "WIKI"]), settings)
    assert (wiki.beta, wiki.lambda1, wiki.num_epoch, wiki.lr_img, wiki.eval_interval) == (
        0.3,
        0.3,
        200,
        0.01,
        100,
    )


@pytest.fixture
def openclipart_folder(tmp_path):
    """A tiny Open Clip Art folder as data/openclipart/prepare.py writes it, with features."""
    import warnings

    from keras_hashing.data import openclipart as oca
    from tests.data import test_openclipart as collection

    root = tmp_path / "collection"
    for seed, (stem, title, description, keywords) in enumerate(collection.PICTURES):
        collection.write_png(root / "png" / f"{stem}.png", seed)
        collection.write_svg(root / "svg" / f"{stem}.svg", title, description, keywords)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the fixture's pictures that the filters skip
        built = oca.build_openclipart(
            str(root),
            min_category_size=collection.THRESHOLD,
            query_size=3,
            train_size=4,
            vocabulary_size=50,
        )
    out = tmp_path / "openclipart"
    written = oca.write_openclipart(built, str(out), image_size=8, progress=False)
    features = np.random.default_rng(3).uniform(0, 6, (len(built.records), 7))
    oca.attach_image_features(written["mat"], features.astype(np.float32))
    return str(out)


@pytest.mark.tensorflow_only
def test_dadh_and_djsrh_examples_train_on_open_clip_art(tmp_path, openclipart_folder):
    main = load_script("examples/dadh/main.py", "dadh_main_openclipart")
    dadh = main.main(
        [
            "train",
            "--flag",
            "openclipart",
            "--data_path",
            openclipart_folder,
            "--bit",
            "8",
            "--hidden_dim",
            "16",
            "--batch_size",
            "2",
            "--max_epoch",
            "1",
            "--checkpoint_dir",
            str(tmp_path / "dadh"),
            "--log_dir",
            str(tmp_path / "dadh_log"),
        ]
    )
    assert os.path.exists(dadh)
    train = load_script("examples/djsrh/train.py", "djsrh_train_openclipart")
    common = [
        "--dataset",
        "openclipart",
        "--data-dir",
        openclipart_folder,
        "--code-len",
        "8",
        "--batch-size",
        "2",
        "--hidden",
        "16",
        "--text-hidden",
        "16",
        "--verbose",
        "0",
        "--model-dir",
        str(tmp_path / "djsrh"),
        "--log-dir",
        str(tmp_path / "djsrh_log"),
    ]
    results = train.main(common + ["--num-epoch", "1", "--eval-interval", "1"])
    assert 0.0 <= results["map_i2t"] <= 1.0 and 0.0 <= results["map_t2i"] <= 1.0
    # WIKI's settings, chosen for this collection on the validation split.
    settings = load_script("examples/djsrh/settings.py", "djsrh_settings_openclipart")
    assert settings.PER_DATASET["openclipart"]["BETA"] == settings.PER_DATASET["WIKI"]["BETA"]


def test_examples_refuse_an_open_clip_art_folder_without_features(tmp_path, openclipart_folder):
    import scipy.io as sio

    mat = os.path.join(openclipart_folder, "openclipart.mat")
    content = {k: v for k, v in sio.loadmat(mat).items() if not k.startswith("__")}
    content.pop("images")
    sio.savemat(mat, content)
    main = load_script("examples/dadh/main.py", "dadh_main_no_features")
    with pytest.raises(ValueError, match="features-from lite0"):
        main.main(
            [
                "train",
                "--flag",
                "openclipart",
                "--data_path",
                openclipart_folder,
                "--checkpoint_dir",
                str(tmp_path / "dadh"),
            ]
        )
    train = load_script("examples/djsrh/train.py", "djsrh_train_no_features")
    with pytest.raises(ValueError, match="features-from lite0"):
        train.main(["--dataset", "openclipart", "--data-dir", openclipart_folder,
                    "--model-dir", str(tmp_path / "djsrh")])
