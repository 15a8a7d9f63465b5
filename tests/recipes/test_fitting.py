"""fit_variable_epochs: every epoch reads its dataset pass to the end, and resumes."""

import keras
import numpy as np
import pytest

from keras_hashing.callbacks import RunBackup
from keras_hashing.callbacks import TripletQuantizationUpdate
from keras_hashing.data import TripletSampler
from keras_hashing.models import DCH
from keras_hashing.models import DTQ
from keras_hashing.optimizers import deephash_optimizer
from keras_hashing.recipes import fit_variable_epochs
from tests.models import quantizer_helpers

pytestmark = pytest.mark.tensorflow_only


class CountSteps(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.steps = []

    def on_epoch_begin(self, epoch, logs=None):
        self.steps.append(0)

    def on_train_batch_end(self, batch, logs=None):
        self.steps[-1] += 1


def _growing_dataset(lengths):
    """A dataset whose pass `p` has `lengths[p]` batches of 4 (as DTQ's after re-mining)."""
    import tensorflow as tf

    images, labels = quantizer_helpers.tiny_data(n=32)
    passes = iter(lengths)

    def generate():
        for i in range(next(passes)):
            rows = slice(4 * i % 32, 4 * i % 32 + 4)
            yield images[rows], labels[rows]

    return tf.data.Dataset.from_generator(
        generate,
        output_signature=(
            tf.TensorSpec((None, 16, 16, 1), tf.float32),
            tf.TensorSpec((None, 4), tf.float32),
        ),
    )


def _dch():
    model = DCH(quantizer_helpers.backbone(), code_length=8)
    model.build((None, 16, 16, 1))
    model.compile(optimizer=deephash_optimizer(0.01, 100, 0.5))
    return model


def test_each_epoch_trains_on_its_whole_pass():
    counter = CountSteps()
    fit_variable_epochs(_dch(), _growing_dataset([2, 5, 3]), 3, [counter], verbose=0)
    assert counter.steps == [2, 5, 3]


def test_one_plain_fit_call_would_cap_later_epochs():
    # The Keras behaviour this function exists for: a dataset of unknown length is cut at the
    # first pass's length. If Keras changes, this test says the workaround can go.
    counter = CountSteps()
    _dch().fit(_growing_dataset([2, 5, 3]), epochs=3, callbacks=[counter], verbose=0)
    assert counter.steps[1] < 5


def test_dtq_epochs_use_every_mined_batch():
    from keras_hashing.data import triplet_dataset

    images, labels = quantizer_helpers.tiny_data()
    sampler = TripletSampler(images, labels, batch_size=2, margin=1.0, n_part=4, seed=0)
    model = quantizer_helpers.compiled(DTQ, code_length=8, cq_lambda=0.1, triplet_margin=1.0)
    expected = []

    class Expect(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            expected.append(sampler.steps_per_epoch())

    counter = CountSteps()
    update = TripletQuantizationUpdate(sampler, seed=0, verbose=0)
    fit_variable_epochs(model, triplet_dataset(sampler), 3, [update, Expect(), counter], verbose=0)
    assert counter.steps == expected
    assert model.quantizer.get_rounds() == 4  # the initial round + one per epoch, no re-mining


def test_resume_from_a_run_backup(tmp_path, capsys):
    backup = str(tmp_path / "backup")
    settings = {"method": "dch", "bits": 8}

    class Stop(Exception):
        pass

    class StopInThirdEpoch(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 2:
                raise Stop()

    model = _dch()
    with pytest.raises(Stop):
        fit_variable_epochs(
            model,
            _growing_dataset([2, 3, 4]),
            3,
            [RunBackup(backup, settings), StopInThirdEpoch(), first := CountSteps()],
            verbose=0,
        )
    assert len(first.steps) == 2
    resumed = _dch()
    counter = CountSteps()
    fit_variable_epochs(
        resumed, _growing_dataset([4]), 3, [RunBackup(backup, settings), counter], verbose=0
    )
    assert counter.steps == [4]  # only the third epoch was left
    # The optimiser's step count came back with the backup (Keras also counts the step that
    # found a pass exhausted, so it is compared with what was saved, not with batch counts).
    assert "epoch 2" in capsys.readouterr().out
    assert int(resumed.optimizer.iterations) > 4
    assert not (tmp_path / "backup").exists()  # removed after the last epoch


def test_backup_of_other_settings_is_refused(tmp_path):
    backup = str(tmp_path / "backup")
    fit_variable_epochs(
        _dch(),
        _growing_dataset([2]),
        1,
        [RunBackup(backup, {"bits": 8}, delete_checkpoint=False)],
        verbose=0,
    )
    with pytest.raises(ValueError, match=r"bits: backup 8, now 16"):
        fit_variable_epochs(
            _dch(), _growing_dataset([2]), 2, [RunBackup(backup, {"bits": 16})], verbose=0
        )


def test_truncated_backup_names_the_file_and_the_way_out(tmp_path):
    backup = tmp_path / "backup"
    fit_variable_epochs(
        _dch(),
        _growing_dataset([2]),
        1,
        [RunBackup(str(backup), {}, delete_checkpoint=False)],
        verbose=0,
    )
    weights = backup / "latest.weights.h5"
    weights.write_bytes(weights.read_bytes()[:100])
    with pytest.raises(RuntimeError, match=r"latest.weights.h5.*delete .*backup to start"):
        fit_variable_epochs(
            _dch(), _growing_dataset([2]), 2, [RunBackup(str(backup), {})], verbose=0
        )


def test_run_name_and_atomic_save(tmp_path):
    from keras_hashing.callbacks import run_name
    from keras_hashing.callbacks import save_model_atomically

    assert run_name("x", {"a": 1, "b": 2}) == run_name("x", {"b": 2, "a": 1})
    assert run_name("x", {"a": 1}) != run_name("x", {"a": 2})
    path = tmp_path / "m.keras"
    model = _dch()
    save_model_atomically(model, path)
    np.testing.assert_array_equal(
        keras.models.load_model(path).encode(np.zeros((2, 16, 16, 1), "float32")),
        model.encode(np.zeros((2, 16, 16, 1), "float32")),
    )
    assert [p.name for p in tmp_path.iterdir()] == ["m.keras"]
