"""DTQ: triplet batches, per-epoch ICM + LS and re-mining, save/load, resume."""

import keras
import numpy as np
import pytest

from keras_hashing.callbacks import TripletQuantizationUpdate
from keras_hashing.data import TripletSampler
from keras_hashing.losses import reconstruction_loss
from keras_hashing.losses import triplet_loss
from keras_hashing.models import DTQ
from tests.harness import run_config_round_trip
from tests.harness import run_model_saving_test
from tests.models.quantizer_helpers import Interrupt
from tests.models.quantizer_helpers import backbone
from tests.models.quantizer_helpers import compiled
from tests.models.quantizer_helpers import tiny_data


def make(**kwargs):
    return compiled(DTQ, code_length=8, cq_lambda=0.1, triplet_margin=1.0, **kwargs)


def sampler(threshold=100):
    x, y = tiny_data()
    return x, TripletSampler(x, y, batch_size=4, margin=1.0, n_part=2, threshold=threshold, seed=0)


@pytest.mark.tensorflow_only
def test_fit_rounds_mining_and_round_trip(tmp_path):
    from keras_hashing.data import triplet_dataset

    # Every mining of the tiny set yields fewer triplets than this threshold, so n_part must
    # halve (2 -> 1) whatever the unseeded initial weights mine.
    x, s = sampler(threshold=10_000)
    model = make()
    history = model.fit(
        triplet_dataset(s),
        epochs=2,
        verbose=0,
        callbacks=[TripletQuantizationUpdate(s, seed=0, verbose=0)],
    )
    # initial round + one per epoch
    assert model.quantizer.get_rounds() == 3
    assert history.history["num_triplets"][0] > 0 and history.history["n_part"][-1] == 1
    codebook = model.quantizer.get_codebook()
    assert np.any(codebook[:4, 4:] != 0)  # least squares makes it dense (spec §5.4)
    loaded = run_model_saving_test(model, x, tmp_path)
    np.testing.assert_array_equal(loaded.quantizer.get_codebook(), codebook)
    np.testing.assert_array_equal(loaded.quantizer.get_codes(), model.quantizer.get_codes())
    run_config_round_trip(model)


@pytest.mark.tensorflow_only
def test_verbose_draws_a_bar_over_each_epochs_mined_batches(capsys):
    from keras_hashing.data import triplet_dataset

    x, s = sampler()
    lengths = []

    class Length(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            lengths.append(s.steps_per_epoch())

    make().fit(
        triplet_dataset(s),
        epochs=2,
        verbose=0,
        callbacks=[TripletQuantizationUpdate(s, seed=0, verbose=1), Length()],
    )
    out = capsys.readouterr().out
    assert "mined" in out and "loss" in out
    # Each epoch's bar ends at that epoch's own number of batches, read after its mining.
    for steps in lengths:
        assert f"{steps}/{steps}" in out


@pytest.mark.tensorflow_only
def test_resume_runs_the_owed_update(tmp_path):
    from keras_hashing.data import triplet_dataset

    x, s = sampler()
    backup = str(tmp_path / "backup")
    model = make()

    class StopInSecondEpoch(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_end(self, batch, logs=None):
            if self.epoch == 1:
                raise Interrupt()

    with pytest.raises(Interrupt):
        model.fit(
            triplet_dataset(s),
            epochs=3,
            verbose=0,
            callbacks=[
                keras.callbacks.BackupAndRestore(backup),
                TripletQuantizationUpdate(s, seed=0, verbose=0),
                StopInSecondEpoch(),
            ],
        )
    x, s2 = sampler()
    resumed = make()
    seen = {}

    class Peek(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            seen.setdefault("epoch", epoch)
            seen.setdefault("rounds", self.model.quantizer.get_rounds())

    resumed.fit(
        triplet_dataset(s2),
        epochs=3,
        verbose=0,
        callbacks=[
            keras.callbacks.BackupAndRestore(backup),
            TripletQuantizationUpdate(s2, seed=0, verbose=0),
            Peek(),
        ],
    )
    assert seen["epoch"] == 1 and seen["rounds"] == 2  # epoch 0's update was owed and ran
    assert resumed.quantizer.get_rounds() == 4


def test_loss_matches_functions():
    x, _ = tiny_data()
    y = np.eye(4, dtype=np.float32)[[0, 1, 0, 2, 3, 2]]
    model = make(dist_type="cosine")
    model.quantizer.set_codes(np.tile([[0, 3]], (32, 1)))
    z = model(x[:6])
    loss = model.compute_loss({"images": x[:6], "indices": np.arange(6)}, y, z, training=False)
    onehot = np.zeros((6, 8), np.float32)
    onehot[:, [0, 7]] = 1
    zn = keras.ops.convert_to_numpy(z)
    expected = float(triplet_loss(zn[:2], zn[2:4], zn[4:], 1.0, "cosine")) + 0.1 * float(
        reconstruction_loss(zn, onehot, model.quantizer.get_codebook())
    )
    np.testing.assert_allclose(float(loss), expected, rtol=1e-5)


def test_validation():
    with pytest.raises(ValueError, match="dist_type"):
        DTQ(backbone(), code_length=8, num_train=32, dist_type="l1")
    with pytest.raises(ValueError, match="num_train"):
        DTQ(backbone(), code_length=8)
