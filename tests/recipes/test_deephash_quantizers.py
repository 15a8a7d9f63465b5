"""DQN, DVSQ and DTQ recipes (`keras_hashing.recipes.deephash.quantizers`) from Python."""

import dataclasses
import os

import keras
import numpy as np
import pytest

from keras_hashing.recipes.deephash import quantizers
from keras_hashing.recipes.deephash.quantizers import DQNRecipe
from keras_hashing.recipes.deephash.quantizers import DTQRecipe
from keras_hashing.recipes.deephash.quantizers import DVSQRecipe
from keras_hashing.recipes.deephash.quantizers import QuantizerData
from tests.fake_data import write_fake_fashion_mnist

CODES_KEYS = {
    "db_features",
    "db_reconstr",
    "db_label",
    "val_features",
    "val_reconstr",
    "val_label",
    "db_codes",
    "val_codes",
}


@pytest.fixture(scope="module")
def fashion_dir(tmp_path_factory):
    return write_fake_fashion_mnist(str(tmp_path_factory.mktemp("fashion")))


def tiny(tmp_path, fashion_dir, **settings):
    """Settings of a run of a few steps on 64 training images, 20 queries, 80 database items."""
    folder = "data_dir" if settings.pop("dtq", False) else "data_root"
    return {
        "dataset": "fashion_mnist",
        folder: fashion_dir,
        "log_dir": str(tmp_path / "tflog"),
        "save_dir": str(tmp_path / "models"),
        "train_limit": 64,
        "eval_limit": 20,
        "code_batch_size": 32,
        **settings,
    }


def arrays_data(num_train=12, num_query=4, num_database=16, seed=0):
    rng = np.random.default_rng(seed)

    def images(n):
        return rng.uniform(0, 1, (n, 28, 28, 1)).astype(np.float32)

    def labels(n):
        return np.eye(3, dtype=np.float32)[np.arange(n) % 3]

    return QuantizerData(
        name="toy",
        input_kind="gray28",
        num_labels=3,
        train_inputs=images(num_train),
        train_labels=labels(num_train),
        query=images(num_query),
        query_labels=labels(num_query),
        database=images(num_database),
        database_labels=labels(num_database),
        top_k=num_database,
    )


# --- settings, names, presets: no training ---------------------------------------------------


def test_settings_are_the_scripts_flags_with_their_defaults():
    assert (DQNRecipe().config.lr, DQNRecipe().config.subspace_num) == (0.002, 4)
    assert (DVSQRecipe().config.lr, DVSQRecipe().config.loss_type) == (
        0.02,
        "cos_softmargin_multi_label",
    )
    assert (DTQRecipe().config.triplet_margin, DTQRecipe().config.triplet_thresold) == (30.0, 64000)
    with pytest.raises(TypeError, match="no setting 'bits'"):
        DQNRecipe(bits=32)


def test_presets_are_named_fashion_mnist_configurations():
    for recipe in (DQNRecipe, DVSQRecipe, DTQRecipe):
        assert set(recipe.presets) == {"fashion_mnist", "fashion_mnist_pretrained"}
        assert recipe.preset("fashion_mnist").config.dataset == "fashion_mnist"
    assert DQNRecipe.preset("fashion_mnist", iter_num=7).config.iter_num == 7
    assert DVSQRecipe.preset("fashion_mnist").config.output_dim == 50  # GloVe 6B 50-d
    with pytest.raises(ValueError, match="no preset 'cifar'"):
        DTQRecipe.preset("cifar")


def test_run_names_keep_the_originals_stems_and_ignore_output_folders():
    dqn = DQNRecipe(dataset="fashion_mnist")
    assert dqn.run_name().startswith(
        "lr_0.002_cqlambda_0.0001_subspace_num_4_dataset_fashion_mnist_"
    )
    assert (
        dqn.run_name() == DQNRecipe(dataset="fashion_mnist", log_dir="x", save_dir="y").run_name()
    )
    assert dqn.run_name() != DQNRecipe(dataset="fashion_mnist", seed=1).run_name()
    dtq = DTQRecipe()
    assert dtq.run_name().startswith(
        "lr_3e-05_margin_30.0_margin_dim_64_subspace_4_subcenter_256_euclidean2_n_part_20_64000"
        "_ds_cifar10_"
    )
    # The digest has always been taken over the user-expanded data folder.
    assert dtq.settings()["data_dir"] == os.path.expanduser("~/data/")
    assert dtq.run_name() == DTQRecipe(data_dir=os.path.expanduser("~/data/")).run_name()


def test_fashion_mnist_reads_the_default_folder_and_list_files_the_expanded_one():
    assert DQNRecipe(dataset="fashion_mnist").data_dir() is None
    assert DQNRecipe(data_root="~/lists").data_dir() == os.path.expanduser("~/lists")
    assert DTQRecipe(dataset="fashion_mnist").data_dir() is None


def test_limits_take_evenly_spaced_items():
    data = arrays_data(num_train=12, num_query=4, num_database=16).limited(3, 2)
    np.testing.assert_array_equal(data.train_labels.argmax(1), [0, 2, 2])  # items 0, 5, 11
    assert (len(data.query), len(data.database), data.top_k) == (2, 8, 8)
    assert data.num_train == 3 and data.input_shape == (28, 28, 1)
    listed = dataclasses.replace(arrays_data(), name="cifar10", train_inputs=object())
    with pytest.raises(ValueError, match="--train-limit works on in-memory datasets"):
        listed.limited(train_limit=3)


def test_loads_the_fashion_mnist_protocol_split(fashion_dir):
    data = quantizers.load_quantizer_data("fashion_mnist", fashion_dir)
    assert (data.num_train, len(data.query), data.input_kind) == (5000, 1000, "gray28")
    assert data.top_k == len(data.database) and data.train_inputs.dtype == np.float32
    held_out = quantizers.load_quantizer_data("fashion_mnist", fashion_dir, validation=100)
    assert (held_out.num_train, len(held_out.query)) == (4900, 100)


def test_dvsq_output_width_must_equal_the_word_vectors(tmp_path, fashion_dir):
    recipe = DVSQRecipe(**tiny(tmp_path, fashion_dir, output_dim=8))
    with pytest.raises(ValueError, match="output_dim 8 must equal the word-vector dimension 50"):
        recipe.build_model(recipe.load_data())


def test_dqn_evaluates_at_the_scripts_r_and_with_a_random_codebook_on_request():
    data = arrays_data()
    assert DQNRecipe().top_k(data) == 16 and DQNRecipe(original_r=True).top_k(data) == 5
    # Only the shape attributes are read.
    model = type("Shapes", (), {"num_codebooks": 2, "num_codewords": 4, "code_length": 8})()
    codebook = DQNRecipe().random_codebook(model)
    assert codebook.shape == (8, 8) and np.all(np.abs(codebook) <= 1)


def test_dtq_validation_codebook_is_a_copy(tmp_path):
    from keras_hashing.backbones import SmallCNN
    from keras_hashing.models import DTQ

    data = arrays_data()
    model = DTQ(SmallCNN(), 8, num_train=data.num_train, num_codebooks=2, num_codewords=4)
    model.build((None, 28, 28, 1))
    before = model.quantizer.get_codebook().copy()
    sets = quantizers.quantize_sets(model, data, seed=0, database_codebook_fit=True)
    assert sets.query_codes.shape == (4, 2) and sets.database_codes.shape == (16, 2)
    assert not np.allclose(sets.codebook, before)
    np.testing.assert_array_equal(model.quantizer.get_codebook(), before)
    np.testing.assert_allclose(
        sets.database_reconstructions,
        model.quantizer.reconstruct_numpy(sets.database_codes, sets.codebook),
    )
    sets.save(str(tmp_path / "codes.npz"), data)
    assert set(np.load(tmp_path / "codes.npz")) == CODES_KEYS


# --- training end to end -------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.tensorflow_only
def test_dqn_steps_train_the_budget_and_the_saved_model_evaluates_the_same(tmp_path, fashion_dir):
    settings = tiny(tmp_path, fashion_dir, output_dim=8, iter_num=10, subspace_num=2)
    recipe = DQNRecipe(**settings, num_codewords=4, batch_size=16)
    data = recipe.load_data()
    model = recipe.train(recipe.build_model(data), data)
    assert int(keras.ops.convert_to_numpy(model.optimizer.iterations)) == 10
    assert model.quantizer.get_rounds() >= 1  # the codes were refitted
    report = recipe.evaluate(model, data)
    assert list(report) == ["i2i_nocq", "i2i_AQD", "i2i_SQD"]
    assert all(0 <= value <= 1 for value in report.values())
    assert os.path.exists(recipe.model_path())
    assert set(np.load(recipe.codes_path())) == CODES_KEYS
    assert os.path.isdir(os.path.join(settings["log_dir"], recipe.run_name()))
    again = DQNRecipe(
        **settings, num_codewords=4, batch_size=16, evaluate=True, model_weights=recipe.model_path()
    ).run()
    np.testing.assert_allclose(again["i2i_nocq"], report["i2i_nocq"])


@pytest.mark.slow
@pytest.mark.tensorflow_only
def test_dvsq_runs_on_the_glove_vectors(tmp_path, fashion_dir):
    settings = tiny(tmp_path, fashion_dir, output_dim=50, iter_num=8, subspace_num=2)
    report = DVSQRecipe(**settings, num_codewords=4, batch_size=16).run()
    assert list(report) == ["i2i_nocq", "i2i_AQD", "i2i_SQD"]


@pytest.mark.slow
@pytest.mark.tensorflow_only
def test_dtq_trains_one_fit_per_epoch_and_returns_the_last_validation(tmp_path, fashion_dir):
    settings = tiny(tmp_path, fashion_dir, dtq=True, output_dim=8, epochs=2, subspace=2)
    settings.update(subcenter=4, batch_size=8, n_part=2, triplet_margin=2.0, train_limit=48)
    recipe = DTQRecipe(**settings, val_freq=2)
    report = recipe.run()
    assert list(report) == ["map_feature_ip", "map_AQD_ip", "map_SQD_ip"]
    assert report == recipe.validation.report
    assert os.path.exists(recipe.model_path()) and os.path.exists(recipe.codes_path())


@pytest.mark.slow
@pytest.mark.tensorflow_only
def test_dtq_stopped_in_its_last_validation_validates_when_run_again(
    tmp_path, fashion_dir, monkeypatch
):
    # The run's backup holds the last epoch, so the second run trains nothing and no epoch-end
    # validation runs in it; it must still report its figures (it returned None before).
    settings = tiny(tmp_path, fashion_dir, dtq=True, output_dim=8, epochs=1, subspace=2)
    settings.update(subcenter=4, batch_size=8, n_part=2, triplet_margin=2.0, train_limit=48)

    def stopped(self, model, data):
        raise KeyboardInterrupt("stopped during the last validation")

    with monkeypatch.context() as patch:
        patch.setattr(DTQRecipe, "evaluate", stopped)
        with pytest.raises(KeyboardInterrupt):
            DTQRecipe(**settings).run()
    recipe = DTQRecipe(**settings)
    report = recipe.run()
    assert recipe.validation.report is None
    assert list(report) == ["map_feature_ip", "map_AQD_ip", "map_SQD_ip"]


@pytest.mark.slow
def test_dqn_loads_fc8_and_the_codebook_from_the_originals_file(tmp_path):
    from keras_hashing.backbones import load_alexnet_npy
    from keras_hashing.backbones import save_alexnet_npy
    from tests.backbones.test_alexnet import fixture_weights

    path = str(tmp_path / "trained.npy")
    codebook = np.random.default_rng(0).normal(size=(8, 8)).astype("float32")
    save_alexnet_npy(path, fixture_weights(), codebook=codebook)
    recipe = DQNRecipe(output_dim=8, subspace_num=2, num_codewords=4, model_weights=path)
    data = dataclasses.replace(
        arrays_data(num_train=4),
        input_kind="caffe256",
        train_inputs=np.zeros((4, 256, 256, 3), "float32"),
    )
    model = recipe.build_model(data)
    np.testing.assert_array_equal(model.hash_layer.get_weights()[0], fixture_weights()["fc8"][0])
    np.testing.assert_array_equal(model.quantizer.get_codebook(), load_alexnet_npy(path).codebook)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        DQNRecipe(model_weights=str(tmp_path / "missing.npy")).build_model(data)
