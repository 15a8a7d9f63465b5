"""PyTorch's `torch.optim.RMSprop` update and `CosineAnnealingLR` stepped once per epoch."""

from __future__ import annotations

import math
from typing import Any

import keras
from keras import ops

from keras_hashing import validation


@keras.saving.register_keras_serializable(package="keras_hashing")
class TorchRMSprop(keras.optimizers.Optimizer):
    """RMSprop with PyTorch's semantics (the optimiser of DHN_PyTorch).

    PyTorch's algorithm, per variable `w` with gradient `g`:

        g <- g + weight_decay * w                  (coupled L2: added to the gradient)
        v <- alpha * v + (1 - alpha) * g^2
        d <- sqrt(v - m^2) + eps   (centered, m <- alpha * m + (1 - alpha) * g)
             sqrt(v) + eps         (otherwise; eps is added *outside* the square root)
        b <- momentum * b + g / d;  w <- w - lr * b   (momentum > 0)
        w <- w - lr * g / d                           (otherwise)

    `keras.optimizers.RMSprop` differs in three ways: rho 0.9 by default, `eps` inside the square
    root, and decoupled weight decay. TreezzZ/DHN_PyTorch dhn.py (`train`) uses PyTorch's form.

    Args:
        learning_rate: float or `LearningRateSchedule`, default 0.01 (PyTorch's default).
        alpha: float in [0, 1), default 0.99, the smoothing constant (Keras' `rho`).
        epsilon: float, default 1e-8.
        weight_decay: float, default 0.0. Coupled L2 applied to every variable, biases included,
            as PyTorch does for `model.parameters()`. (The Keras base class's decoupled
            `weight_decay` is not used.)
        momentum: float, default 0.0.
        centered: bool, default False.
        name: string, default "torch_rmsprop".
        **kwargs: the base optimizer's arguments (`clipnorm`, ...), except `weight_decay`.

    Example:
    >>> optimizer = TorchRMSprop(1e-5, weight_decay=5e-4)

    References:
        PyTorch documentation, `torch.optim.RMSprop`.
    """

    def __init__(
        self,
        learning_rate: float | keras.optimizers.schedules.LearningRateSchedule = 0.01,
        alpha: float = 0.99,
        epsilon: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        name: str = "torch_rmsprop",
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        where = "TorchRMSprop"
        self.alpha = validation.number_in_range("alpha", alpha, 0, 1, where)
        self.epsilon = validation.nonnegative_number("epsilon", epsilon, where)
        # Not `self.weight_decay`: the base class would apply that one again, decoupled.
        self.l2_weight_decay = validation.nonnegative_number("weight_decay", weight_decay, where)
        self.momentum = validation.nonnegative_number("momentum", momentum, where)
        self.centered = bool(centered)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._square_averages = [
            self.add_variable_from_reference(variable, "square_average") for variable in var_list
        ]
        self._momentum_buffers = (
            [self.add_variable_from_reference(variable, "momentum_buffer") for variable in var_list]
            if self.momentum > 0
            else []
        )
        self._gradient_averages = (
            [self.add_variable_from_reference(v, "gradient_average") for v in var_list]
            if self.centered
            else []
        )

    def update_step(self, gradient, variable, learning_rate):
        index = self._get_variable_index(variable)
        learning_rate = ops.cast(learning_rate, variable.dtype)
        gradient = ops.cast(gradient, variable.dtype)
        if self.l2_weight_decay:
            gradient = gradient + self.l2_weight_decay * variable
        square_average = self._square_averages[index]
        self.assign(
            square_average, self.alpha * square_average + (1.0 - self.alpha) * ops.square(gradient)
        )
        if self.centered:
            gradient_average = self._gradient_averages[index]
            self.assign(
                gradient_average, self.alpha * gradient_average + (1.0 - self.alpha) * gradient
            )
            denominator = ops.sqrt(square_average - ops.square(gradient_average)) + self.epsilon
        else:
            denominator = ops.sqrt(square_average) + self.epsilon
        step = gradient / denominator
        if self.momentum > 0:
            buffer = self._momentum_buffers[index]
            self.assign(buffer, self.momentum * buffer + step)
            step = buffer
        self.assign_sub(variable, learning_rate * step)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "alpha": self.alpha,
                "epsilon": self.epsilon,
                "weight_decay": self.l2_weight_decay,
                "momentum": self.momentum,
                "centered": self.centered,
            }
        )
        return config


@keras.saving.register_keras_serializable(package="keras_hashing")
class EpochCosineAnnealing(keras.optimizers.schedules.LearningRateSchedule):
    """PyTorch's `CosineAnnealingLR` stepped once per epoch, as a step-indexed schedule.

    At update `t` the epoch is `e = floor(t / steps_per_epoch)` and the rate is

        min_lr + (initial_lr - min_lr) * (1 + cos(pi * e / total_epochs)) / 2

    (the closed form of PyTorch's recursion; past `total_epochs` the cosine keeps going, as
    there). Keyed on the optimiser's update counter, it resumes exactly after an interruption.

    Args:
        initial_learning_rate: float.
        total_epochs: int, PyTorch's `T_max` (DHN_PyTorch: `--max-iter`).
        steps_per_epoch: int, updates per epoch (`ceil(n / batch)` with a partial last batch).
        min_learning_rate: float or None, default None meaning `initial_learning_rate / 100`
            (DHN_PyTorch's `eta_min`).

    Example:
    >>> schedule = EpochCosineAnnealing(1e-5, total_epochs=500, steps_per_epoch=20)
    """

    def __init__(
        self,
        initial_learning_rate: float,
        total_epochs: int,
        steps_per_epoch: int,
        min_learning_rate: float | None = None,
        name: str = "epoch_cosine_annealing",
    ) -> None:
        where = "EpochCosineAnnealing"
        self.initial_learning_rate = float(initial_learning_rate)
        self.total_epochs = validation.positive_int("total_epochs", total_epochs, where)
        self.steps_per_epoch = validation.positive_int("steps_per_epoch", steps_per_epoch, where)
        self.min_learning_rate = (
            self.initial_learning_rate / 100.0
            if min_learning_rate is None
            else float(min_learning_rate)
        )
        self.name = name

    def __call__(self, step):
        epoch = ops.floor(ops.cast(step, "float32") / float(self.steps_per_epoch))
        cosine = ops.cos(math.pi * epoch / float(self.total_epochs))
        span = self.initial_learning_rate - self.min_learning_rate
        return self.min_learning_rate + span * (1.0 + cosine) / 2.0

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "total_epochs": self.total_epochs,
            "steps_per_epoch": self.steps_per_epoch,
            "min_learning_rate": self.min_learning_rate,
            "name": self.name,
        }


def dhn_pytorch_optimizer(
    learning_rate: float, total_epochs: int, steps_per_epoch: int, weight_decay: float = 5e-4
) -> TorchRMSprop:
    """DHN_PyTorch's optimiser: `TorchRMSprop(weight_decay=5e-4)` on a per-epoch cosine schedule
    from `learning_rate` down to `learning_rate / 100` over `total_epochs` epochs."""
    schedule = EpochCosineAnnealing(learning_rate, total_epochs, steps_per_epoch)
    return TorchRMSprop(schedule, weight_decay=weight_decay)
