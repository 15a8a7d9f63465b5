"""DQN and DVSQ: tiny fit, encode, `.keras` round trip with codebook and codes, resume."""

import keras
import numpy as np
import pytest

from keras_hashing.callbacks import CodebookUpdate
from keras_hashing.callbacks import update_period
from keras_hashing.models import DQN
from tests.harness import run_config_round_trip
from tests.harness import run_model_saving_test
from tests.models.quantizer_helpers import Interrupt
from tests.models.quantizer_helpers import backbone
from tests.models.quantizer_helpers import compiled
from tests.models.quantizer_helpers import interrupt_after
from tests.models.quantizer_helpers import tiny_data


def make(**kwargs):
    return compiled(DQN, code_length=8, num_labels=4, cq_lambda=0.5, **kwargs)


def train_data():
    from keras_hashing.data import indexed_dataset

    x, y = tiny_data()
    return x, y, indexed_dataset(x, y, 8, shuffle_seed=0)


def test_update_period_matches_original():
    assert update_period(5000, 256) == 40 and update_period(32, 8) == 8


def test_cq_weight_warm_up():
    model = make()
    assert float(model.cq_weight()) == 0.0
    model.quantizer.set_rounds(1)
    assert float(model.cq_weight()) == 0.5
    model.quantizer.set_rounds(4)
    assert float(model.cq_weight()) == 0.5


@pytest.mark.tensorflow_only
def test_fit_stores_outputs_updates_codes_and_round_trips(tmp_path):
    x, y, train = train_data()
    model = make()
    model.fit(train, epochs=3, verbose=0, callbacks=[CodebookUpdate(4, seed=0, verbose=0)])
    # steps 4 and 8 (0-based) trigger: 12 steps in all -> t = 4, 8 -> 2 rounds
    assert model.quantizer.get_rounds() == 2
    stored = model.quantizer.get_stored_outputs()
    assert np.all(np.abs(stored).sum(1) > 0)
    codebook = model.quantizer.get_codebook()
    # DQN's codebook is the block-diagonal PQ codebook of k-means (spec §6.2).
    assert np.all(codebook[:4, 4:] == 0) and np.all(codebook[4:, :4] == 0)
    outputs, codes, recon = model.encode_quantized(x, seed=0)
    assert codes.shape == (32, 2) and recon.shape == (32, 8)
    loaded = run_model_saving_test(model, x, tmp_path)
    np.testing.assert_array_equal(loaded.quantizer.get_codebook(), codebook)
    np.testing.assert_array_equal(loaded.quantizer.get_codes(), model.quantizer.get_codes())
    np.testing.assert_array_equal(loaded.quantize_outputs(outputs, seed=0), codes)
    assert loaded.quantizer.get_rounds() == 2
    run_config_round_trip(model)


@pytest.mark.tensorflow_only
def test_resume_keeps_codes_and_codebook(tmp_path):
    _, _, train = train_data()
    backup = str(tmp_path / "backup")
    model = make()
    with pytest.raises(Interrupt):
        model.fit(
            train,
            epochs=4,
            verbose=0,
            callbacks=[
                keras.callbacks.BackupAndRestore(backup),
                CodebookUpdate(4, seed=0, verbose=0),
                interrupt_after(10),
            ],
        )
    saved_codes = model.quantizer.get_codes()
    resumed = make()
    seen = {}

    class Peek(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            seen["rounds"] = self.model.quantizer.get_rounds()
            seen["codes"] = self.model.quantizer.get_codes()
            seen["step"] = int(keras.ops.convert_to_numpy(self.model.optimizer.iterations))

    resumed.fit(
        train,
        epochs=4,
        verbose=0,
        callbacks=[
            keras.callbacks.BackupAndRestore(backup),
            Peek(),
            CodebookUpdate(4, seed=0, verbose=0),
        ],
    )
    # The backup of epoch 2 (8 steps, after the round at t = 4 and t = 8 is pending) came back.
    assert seen["step"] == 8 and seen["rounds"] == 1
    assert np.any(seen["codes"] != 0)
    assert resumed.quantizer.get_rounds() == 3  # rounds at t = 8 and 12 after resuming
    assert saved_codes.shape == resumed.quantizer.get_codes().shape


def test_needs_indices_and_labels():
    x, y = tiny_data()
    model = make()
    with pytest.raises(ValueError, match="indices"):
        model.compute_loss(x[:4], y[:4], model(x[:4]))
    with pytest.raises(ValueError, match="num_labels=4"):
        model.compute_loss({"images": x[:4], "indices": np.arange(4)}, y[:4, :3], model(x[:4]))
    with pytest.raises(ValueError, match="num_train"):
        DQN(backbone(), code_length=8)


def test_loss_matches_functions():
    from keras_hashing.losses import cosine_pairwise_loss
    from keras_hashing.losses import reconstruction_loss

    x, y = tiny_data()
    model = make()
    model.quantizer.set_rounds(1)
    model.quantizer.set_codes(np.tile([[1, 3]], (32, 1)))
    z = model(x[:6])
    loss = model.compute_loss({"images": x[:6], "indices": np.arange(6)}, y[:6], z, training=False)
    onehot = np.zeros((6, 8), np.float32)
    onehot[:, [1, 7]] = 1
    expected = float(cosine_pairwise_loss(y[:6], z)) + 0.5 * float(
        reconstruction_loss(z, onehot, model.quantizer.get_codebook())
    )
    np.testing.assert_allclose(float(loss), expected, rtol=1e-5)
