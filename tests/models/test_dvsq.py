"""DVSQ: label embeddings saved with the model, V-weighted ICM, fit on NumPy dicts (any backend)."""

import keras
import numpy as np
import pytest

from keras_hashing.callbacks import CodebookUpdate
from keras_hashing.losses import adaptive_margin_loss
from keras_hashing.losses import semantic_reconstruction_loss
from keras_hashing.models import DVSQ
from tests.harness import run_config_round_trip
from tests.harness import run_model_saving_test
from tests.models.quantizer_helpers import backbone
from tests.models.quantizer_helpers import compiled
from tests.models.quantizer_helpers import tiny_data

V = np.random.default_rng(1).normal(size=(4, 8)).astype(np.float32)


def make(**kwargs):
    return compiled(DVSQ, V, cq_lambda=0.25, **kwargs)


def test_fit_numpy_dict_save_load(tmp_path):
    x, y = tiny_data()
    model = make()
    history = model.fit(
        {"images": x, "indices": np.arange(32)},
        y,
        batch_size=8,
        epochs=2,
        shuffle=True,
        verbose=0,
        callbacks=[CodebookUpdate(3, seed=0, verbose=0)],
    )
    assert {"cos_loss", "cq_loss", "cq_euclidean_loss", "loss"} <= set(history.history)
    assert model.quantizer.get_rounds() == 2  # t = 3 and 6
    assert np.all(np.abs(model.quantizer.get_stored_outputs()).sum(1) > 0)
    loaded = run_model_saving_test(model, x, tmp_path)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(loaded.label_embeddings), V)
    np.testing.assert_array_equal(loaded.quantizer.get_codebook(), model.quantizer.get_codebook())
    np.testing.assert_array_equal(loaded.quantizer.get_codes(), model.quantizer.get_codes())
    run_config_round_trip(model)


def test_loss_is_semantic_plus_weighted_quantization():
    x, y = tiny_data()
    for negatives_only, loss_type in [
        (False, "cos_softmargin_multi_label"),
        (True, "cos_margin_multi_label"),
    ]:
        model = make(negatives_only=negatives_only, loss_type=loss_type)
        model.quantizer.set_rounds(1)
        model.quantizer.set_codes(np.tile([[2, 0]], (32, 1)))
        z = model(x[:6])
        loss = model.compute_loss(
            {"images": x[:6], "indices": np.arange(6)}, y[:6], z, training=False
        )
        onehot = np.zeros((6, 8), np.float32)
        onehot[:, [2, 4]] = 1
        margin = 0.7 if loss_type == "cos_margin_multi_label" else None
        expected = float(adaptive_margin_loss(y[:6], z, V, negatives_only, margin)) + 0.25 * float(
            semantic_reconstruction_loss(z, onehot, model.quantizer.get_codebook(), V)
        )
        np.testing.assert_allclose(float(loss), expected, rtol=1e-5)


def test_icm_uses_label_embeddings():
    model = make()
    np.testing.assert_array_equal(model.label_embeddings_for_icm(), V)


def test_validation():
    with pytest.raises(ValueError, match="word-vector dimension"):
        DVSQ(backbone(), V, code_length=16, num_train=32)
    with pytest.raises(ValueError, match="zero row"):
        DVSQ(backbone(), np.zeros((4, 8), np.float32), num_train=32)
    with pytest.raises(ValueError, match="loss_type"):
        DVSQ(backbone(), V, num_train=32, loss_type="hinge")
    with pytest.raises(ValueError, match="num_labels=3"):
        DVSQ(backbone(), V, num_train=32, num_labels=3)
