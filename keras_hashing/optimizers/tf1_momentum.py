"""TF1 `MomentumOptimizer` semantics with Caffe-style per-variable gradient multipliers."""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from typing import Any

import keras
from keras import ops

from keras_hashing import backend_ops
from keras_hashing import validation

# thulab/DeepHash scales the gradients of every pretrained bias by 2 and of the last layer
# (fc8, here `hash_layer`) by 10 for the kernel and 20 for the bias (`apply_loss_function` of
# each DeepHash/model/*/*.py). First match wins.
DEEPHASH_MULTIPLIERS = (
    ("*hash_layer*/kernel", 10.0),
    ("*hash_layer*/bias", 20.0),
    ("*/bias", 2.0),
)


@keras.saving.register_keras_serializable(package="keras_hashing")
class TF1Momentum(keras.optimizers.Optimizer):
    """Momentum SGD exactly as TF1's `MomentumOptimizer`, with gradient multipliers.

    TF1 keeps an accumulator of raw gradients and scales it by the *current* rate:

        a <- momentum * a + m_v * g
        v <- v - lr_t * a

    Keras' `SGD(momentum=...)` instead accumulates `-lr * g`, so the two disagree as soon as the
    learning rate changes (`tf.train.MomentumOptimizer` in thulab/DeepHash's `apply_loss_function`).
    `m_v` is the multiplier of variable `v`: the first `(pattern, multiplier)` whose `fnmatch`
    pattern matches `v.path` (default 1).

    Args:
        learning_rate: float or `keras.optimizers.schedules.LearningRateSchedule`, default 0.01.
            thulab/DeepHash uses `ExponentialDecay(lr, decay_step, factor, staircase=True)`.
        momentum: float in [0, 1), default 0.9.
        gradient_multipliers: sequence of `(pattern, multiplier)` pairs, default
            `DEEPHASH_MULTIPLIERS` (x10/x20 on `hash_layer`, x2 on other biases).
        name: string, default "tf1_momentum".
        **kwargs: the base optimizer's arguments (`clipnorm`, `global_clipnorm`, ...).

    Example:
    >>> schedule = keras.optimizers.schedules.ExponentialDecay(
    ...     0.005, decay_steps=10000, decay_rate=0.1, staircase=True)
    >>> optimizer = TF1Momentum(schedule, momentum=0.9)
    """

    def __init__(
        self,
        learning_rate: float | keras.optimizers.schedules.LearningRateSchedule = 0.01,
        momentum: float = 0.9,
        gradient_multipliers: Sequence[tuple[str, float]] | None = DEEPHASH_MULTIPLIERS,
        name: str = "tf1_momentum",
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.momentum = validation.number_in_range("momentum", momentum, 0, 1, "TF1Momentum")
        multipliers = []
        for entry in gradient_multipliers or ():
            if len(entry) != 2:
                raise ValueError(
                    "`gradient_multipliers` entries must be (pattern, multiplier) pairs, "
                    f"found {entry!r}."
                )
            multipliers.append((str(entry[0]), float(entry[1])))
        self.gradient_multipliers = tuple(multipliers)

    def multiplier_for(self, variable: keras.Variable) -> float:
        """The gradient multiplier that applies to `variable` (matched on its `path`)."""
        path = getattr(variable, "path", variable.name)
        for pattern, multiplier in self.gradient_multipliers:
            if fnmatch.fnmatch(path, pattern):
                return multiplier
        return 1.0

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._accumulators = [
            self.add_variable_from_reference(variable, "accumulator") for variable in var_list
        ]
        self._multipliers = [self.multiplier_for(variable) for variable in var_list]

    def update_step(self, gradient, variable, learning_rate):
        index = self._get_variable_index(variable)
        learning_rate = ops.cast(learning_rate, variable.dtype)
        gradient = ops.cast(gradient, variable.dtype)
        multiplier = self._multipliers[index]
        if multiplier != 1.0:
            gradient = gradient * multiplier
        backend_ops.apply_momentum(
            self, variable, self._accumulators[index], gradient, learning_rate, self.momentum
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "momentum": self.momentum,
                "gradient_multipliers": [list(entry) for entry in self.gradient_multipliers],
            }
        )
        return config


def deephash_optimizer(
    learning_rate: float,
    decay_step: int,
    decay_factor: float,
    momentum: float = 0.9,
    schedule: str = "step",
    total_steps: int | None = None,
    **kwargs: Any,
) -> TF1Momentum:
    """The optimiser every thulab/DeepHash method trains with.

    TF1 momentum 0.9 on a staircase exponential decay `lr * decay_factor ** floor(t / decay_step)`
    of the update counter, with the x1/x2/x10/x20 gradient multipliers (thulab/DeepHash
    `apply_loss_function`, e.g. DeepHash/model/dch/dch.py).
    `schedule="cosine"` replaces the staircase by `cosine_momentum_optimizer(learning_rate,
    total_steps)` (not in the originals; `decay_step` and `decay_factor` are then unused).
    """
    if schedule == "cosine":
        return cosine_momentum_optimizer(learning_rate, total_steps, momentum, **kwargs)
    validation.one_of("schedule", schedule, ("step", "cosine"), "deephash_optimizer")
    schedule = keras.optimizers.schedules.ExponentialDecay(
        float(learning_rate),
        decay_steps=validation.positive_int("decay_step", decay_step, "deephash_optimizer"),
        decay_rate=float(decay_factor),
        staircase=True,
    )
    return TF1Momentum(schedule, momentum=momentum, **kwargs)


def cosine_momentum_optimizer(
    learning_rate: float, decay_steps: int, momentum: float = 0.9, **kwargs: Any
) -> TF1Momentum:
    """`TF1Momentum` with DeepHash's multipliers on a cosine decay of the rate to 0.

    `lr_t = learning_rate * (1 + cos(pi * min(t, decay_steps) / decay_steps)) / 2`. Not in the
    originals: the Fashion-MNIST preset trains its network from scratch, where the smooth decay
    did better than the staircase on a validation split (`keras_hashing.models.presets`).
    """
    decay_steps = validation.positive_int("decay_steps", decay_steps, "cosine_momentum_optimizer")
    schedule = keras.optimizers.schedules.CosineDecay(float(learning_rate), decay_steps)
    return TF1Momentum(schedule, momentum=momentum, **kwargs)
