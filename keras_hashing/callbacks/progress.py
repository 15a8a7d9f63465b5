"""A progress bar over optimiser iterations, for runs budgeted in iterations."""

from __future__ import annotations

import keras

from keras_hashing import validation


@keras.saving.register_keras_serializable(package="keras_hashing")
class IterationProgress(keras.callbacks.Callback):
    """One Keras progress bar over all `total_steps` updates, with the running loss.

    The originals count iterations (`--iter-num`), while Keras counts epochs: 8 000 iterations
    of 39-step epochs print 206 epoch lines. Use this with `fit(..., verbose=0)` to see one bar
    from 0 to `total_steps` instead; it reads the optimiser's own count, so a resumed run
    starts the bar where the backup left off.

    Args:
        total_steps: int, the run's number of updates.
        every: int, default 10, redraw every this many steps (a redraw costs a host sync).
    """

    def __init__(self, total_steps: int, every: int = 10):
        super().__init__()
        self.total_steps = validation.positive_int("total_steps", total_steps, "IterationProgress")
        self.every = validation.positive_int("every", every, "IterationProgress")
        self._bar = None
        self._count = 0

    def _step(self):
        return int(keras.ops.convert_to_numpy(self.model.optimizer.iterations))

    def on_train_begin(self, logs=None):
        # Read the optimiser once; then count batches, since reading a device variable every
        # step would synchronise the host with every update.
        self._count = self._step()
        self._bar = keras.utils.Progbar(self.total_steps, unit_name="iteration")
        self._bar.update(min(self._count, self.total_steps))

    def on_train_batch_end(self, batch, logs=None):
        self._count += 1
        step = self._count
        if step % self.every == 0 or step >= self.total_steps:
            values = [("loss", float(logs["loss"]))] if logs and "loss" in logs else None
            self._bar.update(min(step, self.total_steps), values=values)

    def on_train_end(self, logs=None):
        if self._bar is not None:
            self._bar.update(min(self._step(), self.total_steps), finalize=True)

    def get_config(self):
        return {"total_steps": self.total_steps, "every": self.every}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
