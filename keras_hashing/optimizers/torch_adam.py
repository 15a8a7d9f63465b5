"""PyTorch's `torch.optim.Adam` update: coupled L2 decay and epsilon after the bias correction.

DADH's three optimisers are PyTorch Adams (Zjut-MultimediaPlus/DADH main.py, `train`:
`torch.optim.Adam(..., betas=(0.5, 0.9), weight_decay=...)`). `keras.optimizers.Adam` differs
in two ways that change the trajectory: its weight decay is decoupled (AdamW-style), and its
epsilon is added to the square root of the *uncorrected* second moment.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops
from numpy.typing import ArrayLike

from keras_hashing import validation
from keras_hashing._types import Tensor


def torch_adam_update(
    value: ArrayLike | Tensor,
    gradient: ArrayLike | Tensor,
    first_moment: ArrayLike | Tensor,
    second_moment: ArrayLike | Tensor,
    step: float | Tensor,
    learning_rate: float | Tensor,
    beta_1: float = 0.9,
    beta_2: float = 0.999,
    weight_decay: float = 0.0,
    epsilon: float = 1e-8,
) -> tuple[Tensor, Tensor, Tensor]:
    """One `torch.optim.Adam` step of one tensor, as a pure function.

    PyTorch's algorithm at step `t` (counted from 1):

        g <- g + weight_decay * w                        (coupled L2)
        m <- beta_1 * m + (1 - beta_1) * g
        v <- beta_2 * v + (1 - beta_2) * g^2
        w <- w - lr / (1 - beta_1^t) * m / (sqrt(v) / sqrt(1 - beta_2^t) + eps)

    Pure so that a model's stateless training step (DADH's three optimisers inside one
    iteration) and the `TorchAdam` optimiser share it.

    Args:
        value: the tensor's current value.
        gradient: its gradient.
        first_moment: `m` before this step (zeros at the first step).
        second_moment: `v` before this step (zeros at the first step).
        step: the step number `t` after this update (1 for the first), a float tensor or number.
        learning_rate: float or scalar tensor.
        beta_1, beta_2: the moment decays.
        weight_decay: the coupled L2 factor.
        epsilon: added after the bias-corrected square root.

    Returns:
        `(new_value, new_first_moment, new_second_moment)`.

    Example:
    >>> w, m, v = torch_adam_update(1.0, 0.5, 0.0, 0.0, step=1, learning_rate=0.1)
    >>> round(float(w), 4)  # the first step moves by lr, whatever the gradient's size
    0.9
    """
    value = ops.convert_to_tensor(value)
    gradient, first_moment, second_moment, step, learning_rate = (
        ops.cast(x, value.dtype)
        for x in (gradient, first_moment, second_moment, step, learning_rate)
    )
    gradient = gradient + weight_decay * value
    first_moment = beta_1 * first_moment + (1.0 - beta_1) * gradient
    second_moment = beta_2 * second_moment + (1.0 - beta_2) * ops.square(gradient)
    correction_1 = 1.0 - ops.power(beta_1, step)
    correction_2 = 1.0 - ops.power(beta_2, step)
    denominator = ops.sqrt(second_moment) / ops.sqrt(correction_2) + epsilon
    new_value = value - (learning_rate / correction_1) * first_moment / denominator
    return new_value, first_moment, second_moment


@keras.saving.register_keras_serializable(package="keras_hashing")
class TorchAdam(keras.optimizers.Optimizer):
    """Adam with PyTorch's semantics (`torch.optim.Adam`, `amsgrad=False`), for `compile`.

    The update is `torch_adam_update`: weight decay is added to the gradient (coupled L2, on
    every variable, biases included, as PyTorch does for `model.parameters()`), and epsilon is
    added after the bias-corrected square root. DADH's model runs the same function for its
    three optimisers inside one stateless step.

    Args:
        learning_rate: float or `LearningRateSchedule`, default 0.001 (PyTorch's default).
        beta_1: float in [0, 1), default 0.9.
        beta_2: float in [0, 1), default 0.999.
        epsilon: float, default 1e-8.
        weight_decay: float, default 0.0, coupled L2. (The Keras base class's decoupled
            `weight_decay` is not used.)
        name: string, default "torch_adam".
        **kwargs: the base optimizer's arguments (`clipnorm`, ...), except `weight_decay`.

    Example:
    >>> optimizer = TorchAdam(1e-4, beta_1=0.5, beta_2=0.9, weight_decay=1e-4)

    References:
        PyTorch documentation, `torch.optim.Adam`.
    """

    def __init__(
        self,
        learning_rate: float | keras.optimizers.schedules.LearningRateSchedule = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        weight_decay: float = 0.0,
        name: str = "torch_adam",
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        where = "TorchAdam"
        self.beta_1 = validation.number_in_range("beta_1", beta_1, 0, 1, where)
        self.beta_2 = validation.number_in_range("beta_2", beta_2, 0, 1, where)
        self.epsilon = validation.nonnegative_number("epsilon", epsilon, where)
        # Not `self.weight_decay`: the base class would apply that one again, decoupled.
        self.l2_weight_decay = validation.nonnegative_number("weight_decay", weight_decay, where)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._first_moments = [
            self.add_variable_from_reference(variable, "first_moment") for variable in var_list
        ]
        self._second_moments = [
            self.add_variable_from_reference(variable, "second_moment") for variable in var_list
        ]

    def update_step(self, gradient, variable, learning_rate):
        index = self._get_variable_index(variable)
        first, second = self._first_moments[index], self._second_moments[index]
        step = ops.cast(self.iterations + 1, variable.dtype)
        new_value, new_first, new_second = torch_adam_update(
            variable,
            ops.cast(gradient, variable.dtype),
            first,
            second,
            step,
            ops.cast(learning_rate, variable.dtype),
            self.beta_1,
            self.beta_2,
            self.l2_weight_decay,
            self.epsilon,
        )
        self.assign(first, new_first)
        self.assign(second, new_second)
        self.assign(variable, new_value)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "beta_1": self.beta_1,
                "beta_2": self.beta_2,
                "epsilon": self.epsilon,
                "weight_decay": self.l2_weight_decay,
            }
        )
        return config
