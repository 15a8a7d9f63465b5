import math

import keras
import numpy as np
import pytest

from keras_hashing.losses import dhn_pytorch_loss
from keras_hashing.losses import pairwise_cross_entropy
from keras_hashing.losses import quantization_loss
from keras_hashing.models import DHN
from keras_hashing.models import DHNPyTorch
from keras_hashing.optimizers import deephash_optimizer
from keras_hashing.optimizers import dhn_pytorch_optimizer
from tests.harness import run_config_round_trip
from tests.harness import run_model_saving_test
from tests.models.pairwise_helpers import tiny_backbone
from tests.models.pairwise_helpers import tiny_data


@pytest.mark.parametrize("model_class", [DHN, DHNPyTorch])
def test_fit_reduces_the_loss_and_encodes_signs(model_class):
    keras.utils.set_random_seed(1)
    images, labels = tiny_data()
    model = model_class(tiny_backbone(), code_length=8, num_labels=3)
    optimizer = (
        deephash_optimizer(0.01, 1000, 0.1)
        if model_class is DHN
        else dhn_pytorch_optimizer(3e-3, 6, 4)
    )
    model.compile(optimizer=optimizer)
    history = model.fit(images, labels, batch_size=8, epochs=6, verbose=0).history
    assert history["loss"][-1] < history["loss"][0]
    parts = {"cos_loss", "q_loss"} if model_class is DHN else {"metric_loss", "q_loss"}
    assert set(history) >= {"loss"} | parts
    codes = model.encode(images)
    assert codes.dtype == np.int8 and codes.shape == (32, 8)
    assert set(np.unique(codes)) <= {-1, 1}
    np.testing.assert_array_equal(codes, np.where(model.predict(images, verbose=0) >= 0, 1, -1))


def test_dhn_loss_is_the_pairwise_term_plus_weighted_quantization():
    images, labels = tiny_data(n=8)
    model = DHN(tiny_backbone(), code_length=8, alpha=3.0, q_lambda=0.25, normed=False)
    outputs = model(images)
    expected = float(
        pairwise_cross_entropy(labels, outputs, alpha=3.0, normed=False)
    ) + 0.25 * float(quantization_loss(outputs))
    np.testing.assert_allclose(
        float(model.compute_loss(images, labels, outputs)), expected, rtol=1e-6
    )


def test_dhn_pytorch_loss_and_torch_initialisation():
    keras.utils.set_random_seed(3)
    images, labels = tiny_data(n=8)
    model = DHNPyTorch(tiny_backbone(), code_length=8, lamda=0.5)
    outputs = model(images)
    np.testing.assert_allclose(
        float(model.compute_loss(images, labels, outputs)),
        float(dhn_pytorch_loss(labels, outputs, lamda=0.5)),
        rtol=1e-6,
    )
    # nn.Linear default: weight and bias ~ U(+-1/sqrt(fan_in)), fan_in = 16 here.
    bound = 1 / math.sqrt(16)
    kernel = keras.ops.convert_to_numpy(model.hash_layer.kernel)
    bias = keras.ops.convert_to_numpy(model.hash_layer.bias)
    assert np.abs(kernel).max() <= bound and np.abs(kernel).max() > 0.7 * bound
    assert np.abs(bias).max() <= bound and np.abs(bias).max() > 0.2 * bound
    assert np.abs(kernel).std() > 0.1 * bound  # not DeepHash's Normal(0, 0.01)


@pytest.mark.parametrize("model_class", [DHN, DHNPyTorch])
def test_save_and_load_give_identical_codes(tmp_path, model_class):
    images, labels = tiny_data()
    if model_class is DHN:
        model = DHN(tiny_backbone(), code_length=8, alpha=5.0, q_lambda=0.1, normed=False)
        model.compile(optimizer=deephash_optimizer(0.01, 1000, 0.1))
    else:
        model = DHNPyTorch(tiny_backbone(), code_length=8, lamda=0.5)
        model.compile(optimizer=dhn_pytorch_optimizer(1e-3, 10, 4))
    model.fit(images, labels, batch_size=8, epochs=1, verbose=0)
    restored = run_model_saving_test(model, images, tmp_path)
    assert type(restored) is model_class
    np.testing.assert_allclose(
        restored.predict(images, verbose=0), model.predict(images, verbose=0)
    )
    if model_class is DHN:
        assert (restored.alpha, restored.q_lambda, restored.normed) == (5.0, 0.1, False)
    else:
        assert restored.lamda == 0.5
        # The restored optimiser keeps its state and schedule: training goes on.
        assert int(restored.optimizer.iterations) == 4
        restored.fit(images, labels, batch_size=8, epochs=1, verbose=0)


def test_get_config_round_trip():
    model = DHN(
        tiny_backbone(),
        code_length=12,
        alpha=0.5,
        q_lambda=0.5,
        normed=False,
        stable=False,
        with_tanh=False,
        num_labels=4,
    )
    clone = run_config_round_trip(model)
    for name in ("code_length", "alpha", "q_lambda", "normed", "stable", "with_tanh", "num_labels"):
        assert getattr(clone, name) == getattr(model, name)
    assert clone.backbone.name == "tiny"
    torch_model = DHNPyTorch(tiny_backbone(), code_length=16, lamda=0.01, num_labels=3)
    clone = run_config_round_trip(torch_model)
    assert (clone.code_length, clone.lamda, clone.num_labels) == (16, 0.01, 3)


@pytest.mark.parametrize("model_class", [DHN, DHNPyTorch])
def test_label_width_mismatch_names_the_shapes(model_class):
    images, labels = tiny_data(num_labels=4)
    model = model_class(tiny_backbone(), code_length=8, num_labels=3)
    model.compile(optimizer="sgd")
    with pytest.raises(ValueError, match=r"num_labels=3.*width 4"):
        model.fit(images, labels, batch_size=8, epochs=1, verbose=0)


def test_bad_hyperparameters_are_rejected():
    with pytest.raises(ValueError, match="alpha"):
        DHN(tiny_backbone(), code_length=8, alpha=0.0)
    with pytest.raises(ValueError, match="q_lambda"):
        DHN(tiny_backbone(), code_length=8, q_lambda=-1.0)
    with pytest.raises(ValueError, match="lamda"):
        DHNPyTorch(tiny_backbone(), code_length=8, lamda=-0.1)
    with pytest.raises(ValueError, match="code_length"):
        DHN(tiny_backbone(), code_length=0)
