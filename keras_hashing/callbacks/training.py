"""Callbacks that steer a training run: an exact step budget and a guard against NaN losses."""

from __future__ import annotations

import math

import keras
import numpy as np

from keras_hashing import validation


class NonFiniteLossError(RuntimeError):
    """Raised when the training loss turns NaN or infinite."""


@keras.saving.register_keras_serializable(package="keras_hashing")
class StopAtStep(keras.callbacks.Callback):
    """Stops training once the optimiser has applied `total_steps` updates.

    The originals count iterations (`--iter-num`), not epochs. Counting the optimiser's own
    `iterations` keeps the budget exact across a resumed run (`BackupAndRestore` restores it).

    Args:
        total_steps: int, the number of updates after which training stops.
    """

    def __init__(self, total_steps: int):
        super().__init__()
        self.total_steps = validation.positive_int("total_steps", total_steps, "StopAtStep")

    def on_train_batch_end(self, batch, logs=None):
        if int(self.model.optimizer.iterations.numpy()) >= self.total_steps:
            self.model.stop_training = True

    def get_config(self):
        return {"total_steps": self.total_steps}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@keras.saving.register_keras_serializable(package="keras_hashing")
class TerminateOnNonFiniteLoss(keras.callbacks.Callback):
    """Aborts `fit` with a clear message as soon as the loss is NaN or infinite.

    Keras' `TerminateOnNaN` only sets `stop_training`, after which `on_epoch_end` still runs and
    a `ModelCheckpoint` or `BackupAndRestore` would overwrite the last good checkpoint with the
    broken weights. Raising skips every end-of-epoch hook, so the files on disk stay those of the
    last good epoch.

    Args:
        checkpoint_hint: optional string naming where the last good checkpoint lives; it is
            repeated in the error message.
    """

    def __init__(self, checkpoint_hint: str | None = None):
        super().__init__()
        self.checkpoint_hint = checkpoint_hint
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None:
            return
        value = float(np.asarray(loss))
        if not math.isfinite(value):
            where = (
                f" The last good checkpoint is {self.checkpoint_hint}."
                if self.checkpoint_hint
                else ""
            )
            raise NonFiniteLossError(
                f"Training loss became {value} at epoch {self._epoch + 1}, batch {batch + 1}; "
                f"training stopped before anything was saved.{where} Lower the learning rate "
                "or check the inputs for NaN."
            )

    def get_config(self):
        return {"checkpoint_hint": self.checkpoint_hint}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
