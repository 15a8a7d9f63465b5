"""Plain `model.fit` stops with a clear error at the first non-finite loss."""

import keras
import numpy as np
import pytest

from keras_hashing.callbacks import NonFiniteLossError
from keras_hashing.models import DADH
from keras_hashing.models import DCH
from keras_hashing.optimizers import deephash_optimizer
from tests.models import quantizer_helpers


def _nan_batch():
    images, labels = quantizer_helpers.tiny_data(n=16)
    images[3] = np.nan
    return images, labels


def test_plain_fit_raises_on_a_nan_loss():
    model = DCH(quantizer_helpers.backbone(), code_length=8)
    model.compile(optimizer=deephash_optimizer(0.01, 100, 0.5))
    images, labels = _nan_batch()
    with pytest.raises(NonFiniteLossError, match="epoch 1, batch 1"):
        model.fit(images, labels, batch_size=8, epochs=2, verbose=0, shuffle=False)
    assert int(model.optimizer.iterations) == 1  # stopped at once, not after 4 steps


def test_a_callers_terminate_on_nan_replaces_the_guard():
    model = DCH(quantizer_helpers.backbone(), code_length=8)
    model.compile(optimizer=deephash_optimizer(0.01, 100, 0.5))
    images, labels = _nan_batch()
    history = model.fit(
        images,
        labels,
        batch_size=8,
        epochs=2,
        verbose=0,
        callbacks=[keras.callbacks.TerminateOnNaN()],
    )
    assert np.isnan(history.history["loss"][0])


def test_cross_modal_models_are_guarded_too():
    model = DADH(image_dim=6, text_dim=5, num_labels=3, num_train=8, code_length=8, hidden_dim=32)
    model.compile()
    rng = np.random.default_rng(0)
    images = rng.normal(size=(8, 6)).astype("float32")
    images[0] = np.nan
    inputs = {
        "image": images,
        "text": rng.normal(size=(8, 5)).astype("float32"),
        "index": np.arange(8),
    }
    labels = np.eye(3, dtype="float32")[np.arange(8) % 3]
    with pytest.raises(NonFiniteLossError):
        model.fit(inputs, labels, batch_size=8, epochs=1, verbose=0)
