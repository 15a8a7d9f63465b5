"""Carrying trained values into a model rebuilt from an edited configuration.

A preset (`presets.inference_copy`) and a cached-trunk image model (`cached_trunk.with_trunk`)
are both rebuilt with `from_config` from an edited `get_config()`, then given the trained
model's values, variable by variable, once every shape has been checked.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras


def copy_weights(sources: Sequence, targets: Sequence, mismatch: str) -> None:
    """Assigns `sources[i]` to `targets[i]` for every i, after checking that all shapes match.

    Args:
        sources: the trained variables, in order.
        targets: the rebuilt model's variables, in the same order.
        mismatch: the `ValueError` message when the two lists differ in length or shape.
    """
    if [tuple(v.shape) for v in sources] != [tuple(v.shape) for v in targets]:
        raise ValueError(mismatch)
    for target, source in zip(targets, sources):
        # A host copy: under JAX, a shared buffer would be donated by the other model's step.
        target.assign(keras.ops.convert_to_numpy(source))
