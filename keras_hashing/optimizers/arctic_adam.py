"""frankenstan/DRSH's hand-written Adam ("arctic-captions" variant), wrong bias correction kept."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_hashing import validation


@keras.saving.register_keras_serializable(package="keras_hashing")
class DRSHAdam(keras.optimizers.Optimizer):
    """Adam as DRSH's `train.py::adam` computes it (frankenstan/DRSH).

    Per variable `w` with gradient `g`, at step `t = 1, 2, ...`:

        m <- (1 - beta_1) * g + beta_1 * m            (0.1 g + 0.9 m)
        v <- (1 - beta_2) * g^2 + beta_2 * v          (0.001 g^2 + 0.999 v)
        lr_t = lr * sqrt(1 - c_2^t) / (1 - c_1^t)
        w <- w - lr_t * m / (sqrt(v) + epsilon)

    The original writes its constants as `b1 = 0.1`, `b2 = 0.001` (the weights of the new
    gradient) and reuses them in the bias correction, so `c_1 = 1 - beta_1 = 0.1` and
    `c_2 = 1 - beta_2 = 0.001` where Adam has 0.9 and 0.999: the correction is almost absent and
    the first step is about `3.16 * lr_t * sign(g)`. Set `correction_beta_1=0.9,
    correction_beta_2=0.999` for Kingma and Ba's correction. The original also ignores the
    learning rate it is passed and hard-codes 2e-4, the default here.

    Args:
        learning_rate: float or schedule, default 2e-4.
        beta_1: float, default 0.9, decay of the first moment.
        beta_2: float, default 0.999, decay of the second moment.
        epsilon: float, default 1e-8, added outside the square root.
        correction_beta_1: float, default 0.1, base of the first bias-correction power.
        correction_beta_2: float, default 0.001, base of the second bias-correction power.
        name: str, default "drsh_adam".
        **kwargs: base-optimizer arguments (`clipnorm`, ...).

    Example:
    >>> optimizer = DRSHAdam()  # the original's constants

    References:
        frankenstan/DRSH `train.py::adam`; kelvinxu/arctic-captions `optimizers.py::adam`.
    """

    def __init__(
        self,
        learning_rate: float | keras.optimizers.schedules.LearningRateSchedule = 2e-4,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        correction_beta_1: float = 0.1,
        correction_beta_2: float = 0.001,
        name: str = "drsh_adam",
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        for key, value in (
            ("beta_1", beta_1),
            ("beta_2", beta_2),
            ("correction_beta_1", correction_beta_1),
            ("correction_beta_2", correction_beta_2),
        ):
            validation.number_in_range(key, value, 0, 1, "DRSHAdam")
        self.beta_1, self.beta_2 = float(beta_1), float(beta_2)
        self.epsilon = validation.nonnegative_number("epsilon", epsilon, "DRSHAdam")
        self.correction_beta_1 = float(correction_beta_1)
        self.correction_beta_2 = float(correction_beta_2)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums = [self.add_variable_from_reference(v, "momentum") for v in var_list]
        self._velocities = [self.add_variable_from_reference(v, "velocity") for v in var_list]

    def update_step(self, gradient, variable, learning_rate):
        index = self._get_variable_index(variable)
        dtype = variable.dtype
        gradient = ops.cast(gradient, dtype)
        step = ops.cast(self.iterations + 1, dtype)
        learning_rate = ops.cast(learning_rate, dtype)
        lr_t = (
            learning_rate
            * ops.sqrt(1.0 - ops.power(ops.cast(self.correction_beta_2, dtype), step))
            / (1.0 - ops.power(ops.cast(self.correction_beta_1, dtype), step))
        )
        momentum, velocity = self._momentums[index], self._velocities[index]
        self.assign(momentum, (1.0 - self.beta_1) * gradient + self.beta_1 * momentum)
        self.assign(velocity, (1.0 - self.beta_2) * ops.square(gradient) + self.beta_2 * velocity)
        self.assign_sub(variable, lr_t * momentum / (ops.sqrt(velocity) + self.epsilon))

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "beta_1": self.beta_1,
                "beta_2": self.beta_2,
                "epsilon": self.epsilon,
                "correction_beta_1": self.correction_beta_1,
                "correction_beta_2": self.correction_beta_2,
            }
        )
        return config


# The name the issue uses (the variant comes from the arctic-captions code base).
ArcticAdam = DRSHAdam
