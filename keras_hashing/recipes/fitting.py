"""Training loops the recipes share."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable

import keras

from keras_hashing import validation
from keras_hashing._types import Dataset
from keras_hashing.callbacks.run_backup import RunBackup


def fit_variable_epochs(
    model: keras.Model,
    dataset: Dataset | keras.utils.PyDataset | Iterable,
    epochs: int,
    callbacks: Iterable[keras.callbacks.Callback] = (),
    verbose: int | str = "auto",
) -> dict[str, list[float]]:
    """`model.fit` over `epochs` passes of a dataset whose length changes between epochs.

    DTQ re-mines its triplets after every epoch, so epoch `e` has `floor(#triplets_e / T)`
    batches (thulab/DeepHash `DeepHash/model/dtq/dtq.py`, `train`). One `fit` call cannot serve
    that: Keras learns the length of a dataset of unknown size from its first pass and cuts every
    later epoch there (26 batches where 54 and 108 exist). One `fit` call per epoch reads each
    pass to its end.

    A `RunBackup` among the callbacks keeps its files between the calls and resumes from the
    epoch it stored; it is deleted after the last epoch if it asked to be.

    Args:
        model: a compiled Keras model.
        dataset: a `tf.data.Dataset` (or any `fit` input) whose every pass is one epoch.
        epochs: int, total number of epochs.
        callbacks: callbacks for every epoch (each sees `on_train_begin`/`end` once per epoch).
        verbose: as `fit`.

    Returns:
        `{metric: [value per epoch trained]}`, as `History.history`.
    """
    epochs = validation.positive_int("epochs", epochs, "fit_variable_epochs")
    callbacks = list(callbacks)
    backups = [c for c in callbacks if isinstance(c, RunBackup)]
    delete_at_end = [backup.delete_checkpoint for backup in backups]
    for backup in backups:
        backup.delete_checkpoint = False
    start = max([backup.saved_epoch() for backup in backups] or [0])
    history = {}
    try:
        for epoch in range(start, epochs):
            run = model.fit(
                dataset,
                initial_epoch=epoch,
                epochs=epoch + 1,
                callbacks=callbacks,
                verbose=verbose,
            )
            for key, values in run.history.items():
                history.setdefault(key, []).extend(values)
            if model.stop_training:
                break
    finally:
        for backup, delete in zip(backups, delete_at_end):
            backup.delete_checkpoint = delete
    for backup, delete in zip(backups, delete_at_end):
        if delete and os.path.isdir(backup.backup_dir):
            shutil.rmtree(backup.backup_dir)
    return history



