"""Code and codebook updates of the quantization methods, run in NumPy between training steps.

`CodebookUpdate` (DQN, DVSQ) runs a round every `every_n_steps` optimiser steps (the original's
`2 * ceil(n / batch)`, `DQN.train` and `DVSQ.train_cq`); `TripletQuantizationUpdate` (DTQ) runs
once before training and after every epoch, and refreshes the triplets (`DTQ.train_cq`). Both keep
every piece of state in the model's `Codebook` weights (codebook, per-sample codes, stored outputs,
round counter) or derive it from them, so a run resumed by `keras.callbacks.BackupAndRestore`
(listed *before* these callbacks) continues where it stopped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import keras
import numpy as np

from keras_hashing import validation
from keras_hashing.quantization.kmeans import kmeans_init_codebook
from keras_hashing.quantization.rounds import icm_codes
from keras_hashing.quantization.rounds import least_squares_codebook

if TYPE_CHECKING:
    from keras_hashing.data.triplets import TripletSampler
    from keras_hashing.models.dqn import QuantizationModel


def quantization_round(
    model: QuantizationModel,
    rng: np.random.Generator | None = None,
    max_iter_update_cb: int = 1,
    verbose: int = 0,
    kmeans: bool | None = None,
) -> np.ndarray | None:
    """One code-update round on the model's stored outputs; increments the round counter.

    DQN (`refit_kmeans_every_round`): k-means from scratch, then ICM (no centre update).
    DVSQ/DTQ: k-means at the first round only, then `max_iter_update_cb` x (ICM, least squares).

    Args:
        model: a `QuantizationModel`.
        rng: `np.random.Generator` or None.
        max_iter_update_cb: int, default 1 (the original's `max_iter_update_Cb`).
        verbose: int.
        kmeans: bool or None; None follows the model's policy.
    """
    rng = np.random.default_rng() if rng is None else rng
    quantizer = model.quantizer
    outputs = quantizer.get_stored_outputs()
    rounds = quantizer.get_rounds()
    codebook = quantizer.get_codebook()
    if kmeans is None:
        kmeans = model.refit_kmeans_every_round or rounds == 0
    if kmeans:
        codebook = kmeans_init_codebook(
            outputs, model.num_codebooks, model.num_codewords, seed=int(rng.integers(2**31 - 1))
        ).astype(np.float32)
    codes = None
    for _ in range(int(max_iter_update_cb)):
        codes = icm_codes(
            outputs,
            codebook,
            model.num_codebooks,
            model.num_codewords,
            model.max_iter_update_b,
            model.code_batch_size,
            rng=rng,
            label_embeddings=model.label_embeddings_for_icm(),
            verbose=verbose,
        )
        if model.least_squares_update:
            codebook = least_squares_codebook(
                outputs, codes, codebook, model.num_codebooks, model.num_codewords
            )
    quantizer.set_codebook(codebook)
    if codes is not None:
        quantizer.set_codes(codes)
    quantizer.set_rounds(rounds + 1)
    return codes


@keras.saving.register_keras_serializable(package="keras_hashing")
class CodebookUpdate(keras.callbacks.Callback):
    """DQN/DVSQ code updates: a round after every `every_n_steps`-th optimiser step.

    The original updates after step `t` when `t > 0` and `t % (2E) == 0`, `E = ceil(n / batch)`,
    counting steps from 0 (`DQN.train`). The step is the optimiser's own counter, so the schedule
    survives a resumed run. After each round the logs get `code_update_rounds`.

    Args:
        every_n_steps: int, the period (use `update_period(num_train, batch_size)`).
        max_iter_update_cb: int, default 1.
        seed: int or None, seed of k-means and of ICM's codebook order.
        verbose: int, default 1: a progress bar over the codes.
    """

    def __init__(
        self,
        every_n_steps: int,
        max_iter_update_cb: int = 1,
        seed: int | None = None,
        verbose: int = 1,
    ):
        super().__init__()
        self.every_n_steps = validation.positive_int(
            "every_n_steps", every_n_steps, type(self).__name__
        )
        self.max_iter_update_cb = int(max_iter_update_cb)
        self.seed = seed
        self.verbose = int(verbose)
        self._rng = np.random.default_rng(seed)

    def on_train_batch_end(self, batch, logs=None):
        step = int(keras.ops.convert_to_numpy(self.model.optimizer.iterations)) - 1
        if step > 0 and step % self.every_n_steps == 0:
            if self.verbose:
                print(
                    f"\ncode update round {self.model.quantizer.get_rounds() + 1} after step {step}"
                )
            quantization_round(
                self.model,
                rng=self._rng,
                max_iter_update_cb=self.max_iter_update_cb,
                verbose=self.verbose,
            )

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["code_update_rounds"] = self.model.quantizer.get_rounds()

    def get_config(self):
        return {
            "every_n_steps": self.every_n_steps,
            "max_iter_update_cb": self.max_iter_update_cb,
            "seed": self.seed,
            "verbose": self.verbose,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def update_period(num_train: int, batch_size: int) -> int:
    """The original's code-update period `2 * ceil(n / batch)` in steps."""
    return 2 * -(-int(num_train) // int(batch_size))


class TripletQuantizationUpdate(keras.callbacks.Callback):
    """DTQ's schedule: initial embeddings, triplets and codebook; ICM + LS and re-mining per epoch.

    On train begin (a fresh run): refresh the stored embeddings with a training-stage forward
    pass, mine triplets, fit block-diagonal k-means, then `max_iter_update_cb` x (ICM, LS).
    A resumed run (round counter > 0) only re-mines from the restored stored outputs.
    On epoch end: (ICM, LS) on the outputs stored by the training steps, then refresh the
    embeddings and re-mine (halving `n_part` below the threshold). Logs `num_triplets`, `n_part`.
    With `verbose`, each epoch also draws a bar over its batches: the number of triplets, so
    the epoch's length, is known only once they are mined, which `fit` cannot know (a
    generator's dataset), and one epoch of the original's triplets is hundreds of batches.

    The refresh pass covers every training sample; the original leaves the last `n mod 3T`
    samples with stale (initially zero) outputs (`DTQ.update_embedding_and_triplets`).

    Args:
        sampler: the `keras_hashing.data.TripletSampler` feeding `triplet_dataset`.
        max_iter_update_cb: int, default 1.
        refresh_batch_size: int or None, rows per forward pass (default `3 T`).
        refresh_training: bool, default True: refresh with the training-stage forward pass
            (dropout, random crops) as the original; False uses clean inference outputs.
        seed: int or None.
        verbose: int, default 1: the mining lines, ICM progress and a bar over each epoch's
            batches (redrawn every 10 batches, with the running loss).
    """

    _BAR_EVERY = 10  # batches between redraws: a redraw reads the loss off the device

    def __init__(
        self,
        sampler: TripletSampler,
        max_iter_update_cb: int = 1,
        refresh_batch_size: int | None = None,
        refresh_training: bool = True,
        seed: int | None = None,
        verbose: int = 1,
    ):
        super().__init__()
        self.sampler = sampler
        self.max_iter_update_cb = int(max_iter_update_cb)
        self.refresh_batch_size = int(refresh_batch_size or 3 * sampler.batch_size)
        self.refresh_training = bool(refresh_training)
        self.verbose = int(verbose)
        self._rng = np.random.default_rng(seed)
        self._started = False
        self._bar = None
        self._batches = 0

    def refresh_embeddings(self) -> np.ndarray:
        quantizer = self.model.quantizer
        stored = quantizer.get_stored_outputs()
        for indices, inputs in self.sampler.forward_batches(self.refresh_batch_size):
            outputs = self.model(inputs, training=self.refresh_training)
            stored[indices] = keras.ops.convert_to_numpy(outputs)
        quantizer.set_stored_outputs(stored)
        return stored

    def mine(self, embeddings: np.ndarray) -> int:
        count = self.sampler.mine(embeddings, verbose=0)
        if self.verbose:
            print(f"\nmined {count} triplets; n_part is now {self.sampler.n_part}")
        return count

    def _epoch_update(self):
        quantization_round(
            self.model,
            rng=self._rng,
            max_iter_update_cb=self.max_iter_update_cb,
            verbose=self.verbose,
            kmeans=False,
        )
        self.mine(self.refresh_embeddings())

    # The round counter is 1 after the initial round and 1 + e after e epoch-end updates. The
    # update owed for an epoch runs at the start of the next one (or at train end), after any
    # checkpointing callback saved that epoch: a resumed run finds the update still owed and runs
    # it, instead of losing it.
    def on_train_begin(self, logs=None):
        self._epochs_done = None
        if self._started:  # a later `fit` call of `fit_variable_epochs`: the state is current
            return
        self._started = True
        quantizer = self.model.quantizer
        if quantizer.get_rounds() > 0:  # resumed: codes and codebook came back with the weights
            self.mine(quantizer.get_stored_outputs())
            return
        self.mine(self.refresh_embeddings())
        quantization_round(
            self.model,
            rng=self._rng,
            max_iter_update_cb=self.max_iter_update_cb,
            verbose=self.verbose,
            kmeans=True,
        )

    def _catch_up(self, epochs_done):
        while self.model.quantizer.get_rounds() < 1 + epochs_done:
            self._epoch_update()

    def on_epoch_begin(self, epoch, logs=None):
        self._catch_up(epoch)
        # After the catch-up, which may re-mine: the bar's length is this epoch's.
        self._batches = 0
        self._bar = None
        if self.verbose:
            self._bar = keras.utils.Progbar(self.sampler.steps_per_epoch(), unit_name="batch")

    def on_train_batch_end(self, batch, logs=None):
        if self._bar is None:
            return
        self._batches += 1
        if self._batches % self._BAR_EVERY == 0 or self._batches >= self._bar.target:
            values = [("loss", float(logs["loss"]))] if logs and "loss" in logs else None
            self._bar.update(min(self._batches, self._bar.target), values=values)

    def on_epoch_end(self, epoch, logs=None):
        self._epochs_done = epoch + 1
        if logs is not None:
            logs["num_triplets"] = len(self.sampler.triplets)
            logs["n_part"] = self.sampler.n_part

    def on_train_end(self, logs=None):
        if self._epochs_done is not None:
            self._catch_up(self._epochs_done)
