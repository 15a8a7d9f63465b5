"""examples/drsh/train.py and test.py end to end on tiny files made here."""

import glob
import os
import sys

import numpy as np
import pytest
import scipy.io

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "examples", "drsh"))

pytestmark = [pytest.mark.tensorflow_only, pytest.mark.slow]


def make_files(tmp_path):
    from keras_hashing.data.drsh import Membership
    from keras_hashing.data.drsh import write_h5_entries
    from keras_hashing.data.drsh import write_ids

    rng = np.random.default_rng(0)
    ids = [str(1000 + i) for i in range(12)]
    labels = np.zeros((12, 3))
    labels[np.arange(12), np.arange(12) % 3] = 1
    labels[0, 1] = 1  # one multi-label image
    centres = rng.normal(size=(3, 6))
    features = labels @ centres + 0.1 * rng.normal(size=(12, 6))
    write_h5_entries(tmp_path / "feat.h5", ids, features)
    write_h5_entries(tmp_path / "att.h5", ids, rng.normal(size=(12, 3, 4)))
    Membership.from_labels(ids, labels, ["sky", "sea", "cat"]).write(
        tmp_path / "imageclas.h5", tmp_path / "class.h5"
    )
    write_ids(tmp_path / "train.npy", ids[:9])
    write_ids(tmp_path / "test.npy", ids[9:])
    return ids


def common(tmp_path):
    return [
        "--feature",
        str(tmp_path / "feat.h5"),
        "--attribute",
        str(tmp_path / "att.h5"),
        "--dim-frame",
        "6",
        "--att-frame",
        "4",
        "--hidden-dim",
        "4",
        "--train-ids",
        str(tmp_path / "train.npy"),
        "--test-ids",
        str(tmp_path / "test.npy"),
    ]


def test_train_then_test(tmp_path):
    import test as drsh_test
    import train as drsh_train

    make_files(tmp_path)
    saveto = str(tmp_path / "models") + "/"
    model, path = drsh_train.main(
        common(tmp_path)
        + ["--log-dir", str(tmp_path / "tflog")]
        + [
            "--steps",
            "8",
            "--maxepoch",
            "1",
            "--save-freq",
            "3",
            "--saveto",
            saveto,
            "--image-categories",
            str(tmp_path / "imageclas.h5"),
            "--category-images",
            str(tmp_path / "class.h5"),
        ]
    )
    assert int(model.optimizer.iterations.numpy()) == 9  # 9 anchors, batch 1
    checkpoints = sorted(os.path.basename(p) for p in glob.glob(saveto + "*.npz"))
    assert checkpoints == ["0_2.npz", "0_5.npz", "0_8.npz"]  # every 3 samples, original names
    with np.load(saveto + "0_8.npz") as params:
        assert params["W_feat"].shape == (6, 8) and params["W_hid"].shape == (4, 16)
        assert len(params["train_loss_his"]) >= 3

    code_dir = tmp_path / "code"
    results = drsh_test.main(
        common(tmp_path)
        + [
            "--loadfile",
            path,
            "--code-dir",
            str(code_dir),
            "--image-categories",
            str(tmp_path / "imageclas.h5"),
        ]
    )
    test_mat = scipy.io.loadmat(code_dir / "test34_2_1k_96.mat")["test"]
    train_mat = scipy.io.loadmat(code_dir / "train34_2_1k_96.mat")["train"]
    assert test_mat.shape == (3, 1, 8) and train_mat.shape == (9, 1, 8)
    assert set(np.unique(train_mat)) <= {0, 1}
    np.testing.assert_array_equal(np.load(code_dir / "train34_2_1k_96.npy"), train_mat[:, 0])
    assert 0.0 < results["mAP@ALL"] <= 1.0

    # Reload from the original-format checkpoint: same codes as the final model at that point.
    again = drsh_test.main(
        common(tmp_path)
        + ["--loadfile", saveto + "0_8.npz", "--steps", "8", "--code-dir", str(tmp_path / "code2")]
    )
    np.testing.assert_array_equal(again["train"], results["train"])

    # --reload starts from an original checkpoint.
    model2, _ = drsh_train.main(
        common(tmp_path)
        + ["--log-dir", str(tmp_path / "tflog")]
        + [
            "--steps",
            "8",
            "--maxepoch",
            "1",
            "--max-steps",
            "1",
            "--saveto",
            str(tmp_path / "m2") + "/",
            "--reload",
            "true",
            "--loadfile",
            saveto + "0_8.npz",
            "--image-categories",
            str(tmp_path / "imageclas.h5"),
            "--category-images",
            str(tmp_path / "class.h5"),
        ]
    )
    assert int(model2.optimizer.iterations.numpy()) == 1


def test_missing_id_is_reported(tmp_path):
    import train as drsh_train

    from keras_hashing.data.drsh import Membership
    from keras_hashing.data.drsh import write_ids

    ids = make_files(tmp_path) + ["999"]  # in the membership files, not in the feature file
    labels = np.eye(3)[np.arange(13) % 3]
    Membership.from_labels(ids, labels, ["sky", "sea", "cat"]).write(
        tmp_path / "imageclas.h5", tmp_path / "class.h5"
    )
    write_ids(tmp_path / "train.npy", ids[:9] + ["999"])
    with pytest.raises(ValueError, match=r"feature file .*feat\.h5 has no entry .*'999'"):
        drsh_train.main(
            common(tmp_path)
            + ["--log-dir", str(tmp_path / "tflog")]
            + [
                "--steps",
                "8",
                "--saveto",
                str(tmp_path / "m") + "/",
                "--image-categories",
                str(tmp_path / "imageclas.h5"),
                "--category-images",
                str(tmp_path / "class.h5"),
            ]
        )
