"""What every recipe does around `fit`: name a run by its settings, resume it, budget its steps.

The originals name their files from a few flags (thulab/DeepHash's DCH:
`lr_{lr}_cqlambda_{q}_gamma_{gamma}_dataset_{ds}`), restart from scratch when killed, and stop on
an iteration count. A recipe keeps the original's file stem, adds a digest of every setting that
changes the result, backs the run up so that it resumes, and stops at the same iteration count.
"""

from __future__ import annotations

import math

# Settings that change where a run writes or which device it uses, not what it computes.
NOT_RUN_SETTINGS = frozenset(
    {"gpu", "gpus", "log_dir", "save_dir", "cpu_replicas", "verbose", "evaluate"}
)


def run_settings(settings: dict) -> dict:
    """Every setting that changes the run (all but `NOT_RUN_SETTINGS`), sorted by name."""
    return {key: value for key, value in sorted(settings.items()) if key not in NOT_RUN_SETTINGS}


def run_file_name(stem: str, settings: dict) -> str:
    """The original's file stem plus a digest of every run setting.

    Example:
    >>> run_file_name("lr_0.005", {"output_dim": 32, "seed": 0, "gpus": "0"})
    'lr_0.005_d6fda4e6'
    """
    from keras_hashing.callbacks.run_backup import run_name

    return run_name(stem, run_settings(settings))


def resumable_callbacks(
    backup_dir: str, iter_num: int | None = None, settings: dict | None = None
) -> list:
    """Stop on a non-finite loss, resume from `backup_dir` (refusing another run's backup), and
    stop after `iter_num` steps when given."""
    from keras_hashing.callbacks import RunBackup
    from keras_hashing.callbacks import StopAtStep
    from keras_hashing.callbacks import TerminateOnNonFiniteLoss

    callbacks = [
        TerminateOnNonFiniteLoss(checkpoint_hint=backup_dir),
        RunBackup(backup_dir, settings),
    ]
    if iter_num is not None:
        callbacks.append(StopAtStep(iter_num))
    return callbacks


def step_budget(num_train: int, batch_size: int, iter_num: int) -> tuple[int, int]:
    """`(steps per epoch, epochs)` that cover `iter_num` steps of full batches.

    Example:
    >>> step_budget(5000, 128, 2000)
    (39, 52)
    """
    steps_per_epoch = int(num_train) // int(batch_size)
    if steps_per_epoch == 0:
        raise ValueError(f"batch size {batch_size} exceeds the {num_train} training items.")
    return steps_per_epoch, math.ceil(int(iter_num) / steps_per_epoch)
