import os

import keras
import numpy as np
import pytest

from keras_hashing.callbacks import NonFiniteLossError
from keras_hashing.callbacks import StopAtStep
from keras_hashing.callbacks import TerminateOnNonFiniteLoss


def regression_model():
    model = keras.Sequential([keras.layers.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
    return model


def test_stop_at_step_counts_optimizer_updates():
    model = regression_model()
    x = np.ones((40, 3), "float32")
    model.fit(x, x[:, :1], batch_size=4, epochs=5, verbose=0, callbacks=[StopAtStep(13)])
    assert int(model.optimizer.iterations.numpy()) == 13
    assert StopAtStep.from_config(StopAtStep(13).get_config()).total_steps == 13
    with pytest.raises(ValueError, match="total_steps"):
        StopAtStep(0)


def test_nan_loss_raises_and_keeps_the_last_good_checkpoint(tmp_path):
    model = regression_model()
    x = np.ones((16, 3), "float32")
    y = np.ones((16, 1), "float32")
    path = os.path.join(tmp_path, "last.weights.h5")
    checkpoint = keras.callbacks.ModelCheckpoint(path, save_weights_only=True)
    model.fit(x, y, batch_size=4, epochs=1, verbose=0, callbacks=[checkpoint])
    good = [w.copy() for w in model.get_weights()]
    bad_y = y.copy()
    bad_y[5] = np.nan
    guard = TerminateOnNonFiniteLoss(checkpoint_hint=path)
    with pytest.raises(NonFiniteLossError, match=r"nan at epoch 1, batch 2.*last\.weights\.h5"):
        model.fit(
            x,
            bad_y,
            batch_size=4,
            epochs=2,
            verbose=0,
            shuffle=False,
            callbacks=[guard, checkpoint],
        )
    restored = regression_model()
    restored.load_weights(path)
    for expected, found in zip(good, restored.get_weights()):
        np.testing.assert_array_equal(expected, found)
