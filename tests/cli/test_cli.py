"""`keras-hashing` end to end on a tiny DCH and a folder of images the tests draw."""

import json
import os
import subprocess
import sys

import cv2
import keras
import numpy as np

# Imported outside any captured test: milvus-lite binds its log handler to the stderr of the
# moment, and a test's captured stream is closed when the test ends.
import pymilvus  # noqa: F401
import pytest

from keras_hashing.backbones import SmallCNN
from keras_hashing.cli import build_parser
from keras_hashing.cli import main
from keras_hashing.index import HammingIndex
from keras_hashing.models import DCH

CODE_LENGTH = 12  # not a multiple of 8: the padding path runs end to end


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """A saved tiny DCH, six 12x12 images in a folder and a list file of them with labels."""
    root = tmp_path_factory.mktemp("cli")
    keras.utils.set_random_seed(0)
    model = DCH(
        SmallCNN(input_shape=(12, 12, 1), filters=(4,), units=8, dropout=0.0),
        code_length=CODE_LENGTH,
        num_labels=2,
    )
    model(np.zeros((1, 12, 12, 1), np.float32))
    model.save(root / "dch.keras")
    rng = np.random.default_rng(0)
    folder = root / "images"
    folder.mkdir()
    lines = []
    for i in range(6):
        # Two kinds of picture: dark with a bright square, or noise; labels follow the kind.
        image = rng.integers(0, 255, (12, 12, 3)).astype(np.uint8)
        if i % 2 == 0:
            image[:] = 20
            image[3:9, 3:9] = 230
        cv2.imwrite(str(folder / f"image_{i}.png"), image)
        lines.append(f"images/image_{i}.png {int(i % 2 == 0)} {int(i % 2 == 1)}")
    (folder / "notes.txt").write_text("not an image")
    (root / "list.txt").write_text("\n".join(lines) + "\n")
    return root


def run(argv, capsys):
    status = main([str(item) for item in argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_encode_index_search_and_evaluate(workspace, capsys, tmp_path):
    model_path, folder = workspace / "dch.keras", workspace / "images"
    codes_path = tmp_path / "database.npz"
    status, out, err = run(
        ["encode", "--model", model_path, "--images", folder, "--output", codes_path], capsys
    )
    assert status == 0, err
    assert f"wrote 6 codes of {CODE_LENGTH} bits" in out
    assert "encoding" in err  # the progress bar
    stored = np.load(codes_path)
    assert stored["codes"].shape == (6, CODE_LENGTH) and stored["codes"].dtype == np.int8
    np.testing.assert_array_equal(stored["ids"], np.arange(6))
    assert [os.path.basename(p) for p in stored["paths"]] == [f"image_{i}.png" for i in range(6)]
    model = keras.models.load_model(model_path, compile=False)
    images = np.stack(
        [
            cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2GRAY)[..., None] / 255.0
            for path in stored["paths"]
        ]
    ).astype(np.float32)
    np.testing.assert_array_equal(stored["codes"], model.encode(images))

    index_path = tmp_path / "database.hidx"
    status, out, err = run(["index", "--codes", codes_path, "--output", index_path], capsys)
    assert status == 0, err
    assert len(HammingIndex.load(index_path)) == 6

    results_path, grid_path = tmp_path / "results.json", tmp_path / "grid.png"
    status, out, err = run(
        [
            "search",
            "--index",
            index_path,
            "--model",
            model_path,
            "--query-images",
            folder / "image_2.png",
            "--database",
            codes_path,
            "--k",
            3,
            "--output",
            results_path,
            "--grid",
            grid_path,
            "--quiet",
        ],
        capsys,
    )
    assert status == 0, err
    results = json.loads(results_path.read_text())
    assert results[0]["query"].endswith("image_2.png")
    nearest = results[0]["neighbours"]
    assert len(nearest) == 3 and nearest[0]["distance"] == 0
    assert os.path.basename(nearest[0]["path"]).startswith("image_")
    assert cv2.imread(str(grid_path)) is not None

    status, out, err = run(
        ["search", "--index", index_path, "--query-codes", codes_path, "--radius", CODE_LENGTH],
        capsys,
    )
    assert status == 0, err
    everything = json.loads(out)
    assert [len(result["neighbours"]) for result in everything] == [6] * 6
    assert [result["neighbours"][0]["distance"] for result in everything] == [0] * 6


def encode_list(workspace, capsys, codes_path):
    return run(
        [
            "encode",
            "--model",
            workspace / "dch.keras",
            "--list",
            workspace / "list.txt",
            "--output",
            codes_path,
            "--quiet",
        ],
        capsys,
    )


def test_a_list_file_gives_labels(workspace, capsys, tmp_path):
    status, _, err = encode_list(workspace, capsys, tmp_path / "listed.npz")
    assert status == 0, err
    stored = np.load(tmp_path / "listed.npz")
    np.testing.assert_array_equal(stored["labels"][:, 0], [1, 0, 1, 0, 1, 0])
    assert stored["codes"].shape == (6, CODE_LENGTH)


# The metrics compile their counting pass (numba) on first use: seconds on a busy machine.
@pytest.mark.slow
def test_evaluate_prints_the_metrics_table(workspace, capsys, tmp_path):
    codes_path = tmp_path / "listed.npz"
    status, _, err = encode_list(workspace, capsys, codes_path)
    assert status == 0, err
    status, out, err = run(
        ["evaluate", "--query", codes_path, "--database", codes_path, "--R", 3], capsys
    )
    assert status == 0, err
    assert "i2i_after_sign" in out and "i2i_prec_radius_2" in out and "R=3" in out
    status, out, _ = run(
        ["evaluate", "--query", codes_path, "--database", codes_path, "--json"], capsys
    )
    report = json.loads(out)
    # Each image is its own nearest item and shares its label with itself.
    assert report["i2i_after_sign"] > 0.0 and report["i2i_after_sign"] <= 1.0


def test_milvus_backend(workspace, capsys, tmp_path):
    codes_path = tmp_path / "database.npz"
    ids = np.arange(20) * 3 + 1
    codes = np.where(np.random.default_rng(1).normal(size=(20, 16)) >= 0, 1, -1).astype(np.int8)
    np.savez(codes_path, codes=codes, ids=ids)
    uri = tmp_path / "codes.db"
    status, out, err = run(
        ["index", "--codes", codes_path, "--output", uri, "--backend", "milvus"], capsys
    )
    assert status == 0, err
    status, out, err = run(
        ["search", "--index", uri, "--code-length", 16, "--query-codes", codes_path, "--k", 1],
        capsys,
    )
    assert status == 0, err
    results = json.loads(out)
    assert [result["neighbours"][0]["distance"] for result in results] == [0] * 20
    assert [result["query"] for result in results] == ids.tolist()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["encode", "--model", "missing.keras", "--images", "x", "--output", "o.npz"], "no such"),
        (["encode", "--model", "{model}", "--output", "o.npz"], "exactly one of --images"),
        (
            ["encode", "--model", "{model}", "--dataset", "cifar10", "--output", "o.npz"],
            "pass --data-dir",
        ),
        (
            ["encode", "--model", "{model}", "--images", "{root}/nowhere", "--output", "o.npz"],
            "no such folder",
        ),
        (["index", "--codes", "{root}/list.txt", "--output", "x.hidx"], "not a codes file"),
        (["index", "--codes", "{bad_codes}", "--output", "{tmp}/x.hidx"], "take the sign"),
        (
            ["search", "--index", "{tmp}/none.hidx", "--query-codes", "{bad_codes}", "--k", "1"],
            "no such index file",
        ),
        (
            ["search", "--index", "x", "--query-codes", "y", "--k", "1", "--radius", "2"],
            "exactly one of --k or --radius",
        ),
        (["search", "--index", "x", "--query-codes", "y", "--k", "0"], "positive integer"),
        (["evaluate", "--query", "{bad_codes}", "--database", "{bad_codes}"], "no 'labels'"),
        (["frobnicate"], "invalid choice"),
        ([], "required"),
    ],
)
def test_bad_input_gives_one_line_and_status_2(workspace, capsys, tmp_path, argv, message):
    bad_codes = tmp_path / "bad.npz"
    np.savez(bad_codes, codes=np.full((2, 8), 0.5), ids=np.arange(2))
    names = {
        "model": workspace / "dch.keras",
        "root": workspace,
        "tmp": tmp_path,
        "bad_codes": bad_codes,
    }
    status, out, err = run([item.format(**names) for item in argv], capsys)
    assert status == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("keras-hashing") and message in err


def test_every_flag_has_help():
    parser = build_parser()
    subcommands = parser._subparsers._group_actions[0].choices
    assert set(subcommands) == {"encode", "index", "search", "evaluate"}
    for name, subparser in subcommands.items():
        for action in subparser._actions:
            assert action.help, f"{name} {action.option_strings} has no help"


@pytest.mark.slow
def test_the_module_runs_as_a_program_without_a_traceback(tmp_path):
    environment = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    help_run = subprocess.run(
        [sys.executable, "-m", "keras_hashing.cli", "search", "--help"],
        capture_output=True,
        text=True,
        env=environment,
    )
    assert help_run.returncode == 0 and "--radius" in help_run.stdout
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "keras_hashing.cli",
            "index",
            "--codes",
            str(tmp_path / "no.npz"),
            "--output",
            str(tmp_path / "x.hidx"),
        ],
        capture_output=True,
        text=True,
        env=environment,
    )
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr
    assert "keras-hashing index: error:" in bad.stderr and "no such codes file" in bad.stderr
