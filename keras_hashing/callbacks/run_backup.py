"""Resumable training runs: a backup that knows which run it belongs to, and atomic files."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from typing import Any

import keras

SETTINGS_FILE = "run_settings.json"


def settings_digest(settings: Mapping[str, Any]) -> str:
    """An 8-hex-digit digest of a run's settings (a JSON-able mapping), independent of order."""
    text = json.dumps(_jsonable(settings), sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


def run_name(stem: str, settings: Mapping[str, Any]) -> str:
    """`{stem}_{digest}`: the original's file stem plus the digest of every setting.

    The originals name their files from a few flags only (thulab/DeepHash's DCH:
    `lr_{lr}_cqlambda_{q}_gamma_{gamma}_dataset_{ds}`), so a 32-bit and a 64-bit run share a
    name and overwrite each other's model and backup. The digest covers every setting.

    Example:
    >>> run_name("lr_0.005_dataset_cifar10", {"output_dim": 32, "seed": 0})
    'lr_0.005_dataset_cifar10_d6fda4e6'
    """
    return f"{stem}_{settings_digest(settings)}"


def save_model_atomically(model: keras.Model, path: str | os.PathLike) -> str:
    """`model.save(path)` through a temporary file renamed into place.

    An interrupted save (a killed job, a full disk) leaves the previous file, never half a file.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    temporary = os.path.join(directory, f".tmp-{os.getpid()}-{os.path.basename(path)}")
    try:
        model.save(temporary)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
    return path


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


@keras.saving.register_keras_serializable(package="keras_hashing")
class RunBackup(keras.callbacks.BackupAndRestore):
    """`BackupAndRestore` that refuses another run's backup, says where it resumes, and
    writes its files atomically.

    - The run's `settings` are stored beside the backup; a backup made with other settings is
      refused with a message naming both (a changed flag must not silently continue an old run).
    - Resuming prints the optimiser step and epoch it resumes from.
    - Weights and metadata go to temporary files renamed into place, so a job killed while saving
      leaves the previous backup intact; a backup that cannot be read (truncated by a full disk)
      raises an error naming the file and saying how to start over.

    Args:
        backup_dir: str, the folder of the backup.
        settings: mapping of every setting that changes the run (JSON-able values).
        delete_checkpoint: bool, default True: remove the backup when `fit` ends normally.
        verbose: int, default 1: print the resume message.
    """

    def __init__(
        self,
        backup_dir: str,
        settings: Mapping[str, Any] | None = None,
        delete_checkpoint: bool = True,
        verbose: int = 1,
    ):
        super().__init__(backup_dir, delete_checkpoint=delete_checkpoint)
        self.settings = _jsonable(dict(settings or {}))
        self.verbose = int(verbose)
        self._restored = False

    @property
    def settings_path(self) -> str:
        return os.path.join(self.backup_dir, SETTINGS_FILE)

    def saved_epoch(self) -> int:
        """The epoch count stored in the backup, or 0 without a backup."""
        if not os.path.exists(self._training_metadata_path):
            return 0
        with open(self._training_metadata_path) as handle:
            return int(json.load(handle)["epoch"])

    def on_train_begin(self, logs=None):
        if os.path.exists(self.settings_path):
            with open(self.settings_path) as handle:
                saved = json.load(handle)
            if saved != self.settings:
                changed = sorted(
                    key
                    for key in set(saved) | set(self.settings)
                    if saved.get(key) != self.settings.get(key)
                )
                details = ", ".join(
                    f"{key}: backup {saved.get(key)!r}, now {self.settings.get(key)!r}"
                    for key in changed
                )
                raise ValueError(
                    f"{self.backup_dir} holds the backup of a run with other settings "
                    f"({details}). Delete that folder to start this run from scratch, or "
                    "run with the backup's settings to resume it."
                )
        # Restored once per process: `fit_variable_epochs` calls `fit` once per epoch, and the
        # model then already holds what the backup holds.
        if os.path.exists(self._weights_path) and not self._restored:
            try:
                super().on_train_begin(logs)
            except Exception as error:  # h5py, JSON and shape errors alike
                raise RuntimeError(
                    f"The training backup {self._weights_path} cannot be read ({error}). It is "
                    f"probably truncated; delete {self.backup_dir} to start the run over."
                ) from error
            if self.verbose:
                step = int(keras.ops.convert_to_numpy(self.model.optimizer.iterations))
                print(
                    f"resuming from {self.backup_dir}: step {step}, epoch {self.saved_epoch()}"
                )
        self._restored = True
        self._write_settings()

    def _write_settings(self):
        os.makedirs(self.backup_dir, exist_ok=True)
        temporary = f"{self.settings_path}.tmp-{os.getpid()}"
        with open(temporary, "w") as handle:
            json.dump(self.settings, handle, sort_keys=True, indent=1)
        os.replace(temporary, self.settings_path)

    def _save_model(self):
        os.makedirs(self.backup_dir, exist_ok=True)
        weights = os.path.join(self.backup_dir, f".tmp-{os.getpid()}.weights.h5")
        self.model.save_weights(weights, overwrite=True)
        os.replace(weights, self._weights_path)
        metadata = f"{self._training_metadata_path}.tmp-{os.getpid()}"
        with open(metadata, "w") as handle:
            json.dump({"epoch": self._current_epoch, "batch": self._last_batch_seen}, handle)
        os.replace(metadata, self._training_metadata_path)

    def get_config(self):
        return {
            "backup_dir": self.backup_dir,
            "settings": self.settings,
            "delete_checkpoint": self.delete_checkpoint,
            "verbose": self.verbose,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)
