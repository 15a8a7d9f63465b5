import keras
import numpy as np
import pytest

from keras_hashing.models import DCH
from keras_hashing.models import HashingModel
from keras_hashing.optimizers import deephash_optimizer
from tests.harness import run_config_round_trip
from tests.harness import run_model_saving_test
from tests.models.pairwise_helpers import tiny_backbone
from tests.models.pairwise_helpers import tiny_data


def test_fit_reduces_the_loss_and_encodes_signs():
    keras.utils.set_random_seed(1)
    images, labels = tiny_data()
    model = DCH(tiny_backbone(), code_length=8, num_labels=3)
    model.compile(optimizer=deephash_optimizer(0.01, 1000, 0.1))
    history = model.fit(images, labels, batch_size=8, epochs=5, verbose=0).history
    assert history["loss"][-1] < history["loss"][0]
    assert set(history) >= {"loss", "cauchy_loss", "q_loss"}
    codes = model.encode(images)
    assert codes.dtype == np.int8 and codes.shape == (32, 8)
    assert set(np.unique(codes)) <= {-1, 1}
    outputs = model.predict(images, verbose=0)
    np.testing.assert_array_equal(codes, np.where(outputs >= 0, 1, -1))


def test_save_and_load_give_identical_codes(tmp_path):
    images, labels = tiny_data()
    model = DCH(tiny_backbone(), code_length=8, gamma=5.0, q_lambda=0.1)
    model.compile(optimizer=deephash_optimizer(0.01, 1000, 0.1))
    model.fit(images, labels, batch_size=8, epochs=1, verbose=0)
    restored = run_model_saving_test(model, images, tmp_path)
    assert isinstance(restored, DCH)
    assert (restored.gamma, restored.q_lambda, restored.code_length) == (5.0, 0.1, 8)
    np.testing.assert_allclose(
        restored.predict(images, verbose=0), model.predict(images, verbose=0)
    )


def test_get_config_round_trip():
    model = DCH(
        tiny_backbone(),
        code_length=12,
        gamma=3.0,
        q_lambda=0.5,
        normed=True,
        with_tanh=False,
        num_labels=4,
    )
    clone = run_config_round_trip(model)
    for name in ("code_length", "gamma", "q_lambda", "normed", "with_tanh", "num_labels"):
        assert getattr(clone, name) == getattr(model, name)
    assert clone.backbone.name == "tiny"


@pytest.mark.parametrize("code_length", [0, -3, 2.5, "8", True])
def test_bad_code_length_is_rejected(code_length):
    with pytest.raises(ValueError, match="code_length"):
        DCH(tiny_backbone(), code_length=code_length)


@pytest.mark.parametrize("gamma", [0, -1.0])
def test_bad_gamma_is_rejected(gamma):
    with pytest.raises(ValueError, match="gamma"):
        DCH(tiny_backbone(), code_length=8, gamma=gamma)


def test_label_width_mismatch_names_the_shapes():
    images, labels = tiny_data(num_labels=4)
    model = DCH(tiny_backbone(), code_length=8, num_labels=3)
    model.compile(optimizer="sgd")
    with pytest.raises(ValueError, match=r"num_labels=3.*width 4"):
        model.fit(images, labels, batch_size=8, epochs=1, verbose=0)


def test_views_are_averaged_after_tanh_at_inference():
    class TwoViews(keras.layers.Layer):
        num_views = 2

        def call(self, inputs, training=False):
            if training:
                return inputs
            return keras.ops.concatenate([inputs, -inputs], axis=0)

    model = DCH(tiny_backbone(), code_length=4, preprocessor=TwoViews())
    images, _ = tiny_data(n=3)
    averaged = model.predict(images, verbose=0)

    def one_view(x):
        return np.tanh(keras.ops.convert_to_numpy(model.hash_layer(model.backbone(x))))

    first, second = one_view(images), one_view(-images)
    np.testing.assert_allclose(averaged, (first + second) / 2, rtol=1e-5, atol=1e-6)


def test_base_class_demands_a_loss():
    model = HashingModel(tiny_backbone(), code_length=4)
    model.compile(optimizer="sgd")
    images, labels = tiny_data(n=8)
    with pytest.raises(NotImplementedError, match="hashing_loss"):
        model.fit(images, labels, epochs=1, verbose=0)


def test_frozen_backbone_trains_the_hash_layer_only():
    # `--finetune-all false`: the original could not turn it off (type=bool); here it works.
    images, labels = tiny_data()
    model = DCH(tiny_backbone(), code_length=8)
    model.backbone.trainable = False
    model.compile(optimizer=deephash_optimizer(0.01, 1000, 0.1))
    model.build((None, 6, 6, 1))
    backbone_before = [w.copy() for w in model.backbone.get_weights()]
    head_before = [w.copy() for w in model.hash_layer.get_weights()]
    model.fit(images, labels, batch_size=8, epochs=1, verbose=0)
    for before, after in zip(backbone_before, model.backbone.get_weights()):
        np.testing.assert_array_equal(before, after)
    assert not np.allclose(head_before[0], model.hash_layer.get_weights()[0])
