"""DRSHRecipe (train.py) and DRSHTestRecipe (test.py) from Python, on tiny files made here."""

import glob
import os
import types

import numpy as np
import pytest

from keras_hashing.recipes.drsh import DRSHConfig
from keras_hashing.recipes.drsh import DRSHRecipe
from keras_hashing.recipes.drsh import DRSHTestConfig
from keras_hashing.recipes.drsh import DRSHTestRecipe
from keras_hashing.recipes.drsh import membership_labels


def make_files(tmp_path, extra_ids=()):
    """12 images in 3 categories (one image in two): 6-d features, 3 x 4 attributes, 9 training
    and 3 test ids. `extra_ids` are in the membership and training lists only."""
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
    all_ids = ids + list(extra_ids)
    all_labels = np.concatenate([labels, np.eye(3)[np.arange(len(extra_ids)) % 3]])
    Membership.from_labels(all_ids, all_labels, ["sky", "sea", "cat"]).write(
        tmp_path / "imageclas.h5", tmp_path / "class.h5"
    )
    write_ids(tmp_path / "train.npy", ids[:9] + list(extra_ids))
    write_ids(tmp_path / "test.npy", ids[9:])
    return ids


def file_settings(tmp_path):
    """The settings both recipes share for the files of `make_files`."""
    return dict(
        feature=str(tmp_path / "feat.h5"),
        attribute=str(tmp_path / "att.h5"),
        dim_frame=6,
        att_frame=4,
        hidden_dim=4,
        train_ids=str(tmp_path / "train.npy"),
        test_ids=str(tmp_path / "test.npy"),
        steps=8,
    )


def train_recipe(tmp_path, saveto, **settings):
    return DRSHRecipe(
        **{
            **file_settings(tmp_path),
            "image_categories": str(tmp_path / "imageclas.h5"),
            "category_images": str(tmp_path / "class.h5"),
            "saveto": str(saveto) + "/",
            "log_dir": str(tmp_path / "tflog"),
            "maxepoch": 1,
            **settings,
        }
    )


def test_defaults_are_the_originals():
    config = DRSHConfig()
    assert (config.maxepoch, config.steps, config.batch_size, config.save_freq) == (20, 32, 1, 4000)
    assert (config.dim_frame, config.att_frame, config.hidden_dim) == (4096, 300, 512)
    assert config.mode == "faithful" and config.l2_decay == 1e-4
    codes = DRSHTestConfig()
    assert (codes.steps, codes.test_name) == (96, "test34_2_1k_96")
    assert (codes.train_name, codes.code_dir) == ("train34_2_1k_96", "code")


def test_schedule_and_names():
    recipe = DRSHRecipe(saveto="runs/v34/", save_freq=3, maxepoch=2)
    assert recipe.file_stem() == "v34"
    assert recipe.schedule(9) == (3, 6, 18)  # 2 epochs x 9 anchors, a checkpoint every 3
    assert DRSHRecipe(save_freq=3, maxepoch=2, max_steps=5).schedule(9) == (3, 2, 5)
    assert DRSHRecipe(batch_size=4, save_freq=2).schedule(10)[0] == 1  # at least one step
    assert DRSHTestRecipe(test_name="t").file_stem() == "t"
    with pytest.raises(TypeError, match="no setting 'bits'"):
        DRSHRecipe(bits=32)


def test_a_backup_of_other_settings_is_refused(tmp_path):
    from keras_hashing.callbacks import RunBackup

    def backup(**settings):
        recipe = DRSHRecipe(saveto=str(tmp_path) + "/", **settings)
        (found,) = [c for c in recipe.callbacks(9, 18) if isinstance(c, RunBackup)]
        return found

    first = backup(lrate=0.001)
    # Where and how often files are written does not change the run; the rate does.
    assert {"saveto", "print_freq", "save_freq", "log_dir"}.isdisjoint(first.settings)
    first.on_train_begin()  # records this run's settings beside the backup
    backup(lrate=0.001, print_freq=7).on_train_begin()
    with pytest.raises(ValueError, match="lrate: backup 0.001, now 0.002"):
        backup(lrate=0.002).on_train_begin()


def test_membership_labels():
    membership = types.SimpleNamespace(image_categories={"1": ["sea"], "2": ["sky", "cat"]})
    labels = membership_labels(membership, ["2", "1"], ["cat", "sea", "sky"])
    np.testing.assert_array_equal(labels, [[1, 0, 1], [0, 1, 0]])
    with pytest.raises(ValueError, match="'3' has no entry in the image-category file"):
        membership_labels(membership, ["3"], ["sea"])


def test_evaluate_needs_the_categories():
    with pytest.raises(ValueError, match="--image-categories"):
        DRSHTestRecipe().evaluate({}, None)


@pytest.mark.tensorflow_only
def test_negative_categories():
    from keras_hashing.data.drsh import NUS_NEGATIVE_CATEGORIES
    from keras_hashing.data.drsh import Membership

    nus = Membership({}, {c: [] for c in NUS_NEGATIVE_CATEGORIES + ("extra",)})
    assert DRSHRecipe().negative_categories(nus) == list(NUS_NEGATIVE_CATEGORIES)
    assert DRSHRecipe().negative_categories(Membership({}, {"sky": []})) is None
    assert DRSHRecipe(negative_categories=["sky"]).negative_categories(nus) == ["sky"]


@pytest.mark.tensorflow_only
@pytest.mark.slow
def test_train_then_test(tmp_path):
    make_files(tmp_path)
    saveto = tmp_path / "models"
    report = train_recipe(tmp_path, saveto, save_freq=3).run()
    model = report["model"]
    assert report["steps"] == 9 and report["triplets"] == 9  # 9 anchors, batch 1
    assert int(model.optimizer.iterations.numpy()) == 9
    assert report["model_path"] == os.path.join(str(saveto) + "/", "drsh.keras")
    assert os.path.isfile(report["model_path"])
    checkpoints = sorted(os.path.basename(p) for p in glob.glob(f"{saveto}/*.npz"))
    assert checkpoints == ["0_2.npz", "0_5.npz", "0_8.npz"]  # every 3 samples, original names
    with np.load(saveto / "0_8.npz") as params:
        assert params["W_feat"].shape == (6, 8) and params["W_hid"].shape == (4, 16)
        assert len(params["train_loss_his"]) >= 3
    assert os.listdir(tmp_path / "tflog") == ["models"]  # TensorBoard: <log_dir>/<saveto name>

    import scipy.io

    code_dir = tmp_path / "code"
    settings = file_settings(tmp_path)
    results = DRSHTestRecipe(
        **settings,
        loadfile=report["model_path"],
        code_dir=str(code_dir),
        image_categories=str(tmp_path / "imageclas.h5"),
    ).run()
    test_mat = scipy.io.loadmat(code_dir / "test34_2_1k_96.mat")["test"]
    train_mat = scipy.io.loadmat(code_dir / "train34_2_1k_96.mat")["train"]
    assert test_mat.shape == (3, 1, 8) and train_mat.shape == (9, 1, 8)
    assert set(np.unique(train_mat)) <= {0, 1}
    np.testing.assert_array_equal(np.load(code_dir / "train34_2_1k_96.npy"), train_mat[:, 0])
    np.testing.assert_array_equal(results["train"], train_mat[:, 0])
    assert 0.0 < results["mAP@ALL"] <= 1.0 and 0.0 < results["mAP@1000"] <= 1.0

    # An original-format checkpoint encodes as the final model at that point; no mAP without
    # the categories.
    again = DRSHTestRecipe(
        **settings, loadfile=str(saveto / "0_8.npz"), code_dir=str(tmp_path / "code2")
    ).run()
    np.testing.assert_array_equal(again["train"], results["train"])
    assert sorted(again) == ["test", "train"]

    # reload=True starts from an original checkpoint, with its weights.
    recipe = train_recipe(
        tmp_path, tmp_path / "m2", max_steps=1, reload=True, loadfile=str(saveto / "0_8.npz")
    )
    data = recipe.load_data()
    reloaded = recipe.build_model(data)
    for name, value in model.get_original_weights().items():
        np.testing.assert_allclose(reloaded.get_original_weights()[name], value)
    assert recipe.train(reloaded, data)["steps"] == 1


@pytest.mark.tensorflow_only
def test_missing_id_is_reported(tmp_path):
    make_files(tmp_path, extra_ids=["999"])  # in the membership files, not in the feature file
    with pytest.raises(ValueError, match=r"feature file .*feat\.h5 has no entry .*'999'"):
        train_recipe(tmp_path, tmp_path / "m").load_data()


@pytest.mark.tensorflow_only
def test_attribute_width_is_checked(tmp_path):
    make_files(tmp_path)
    recipe = train_recipe(tmp_path, tmp_path / "m", att_frame=5)
    with pytest.raises(ValueError, match=r"att\.h5: entries are \(3, 4\), expected \(slots, 5\)"):
        recipe.load_data()
