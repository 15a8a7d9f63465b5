"""Checks for scalar arguments, shared by the whole library so that they refuse alike.

Every check takes the argument's `name`, its `value` and an optional `where` (the class or
function that received it), returns the value in a plain Python type, and raises a
`ValueError` worded in one format:

    "{where}: `{name}` must be a positive integer, found {value!r}."

One strictness rule holds for all of them:

* an **integer** argument takes a Python `int` or a NumPy integer; `bool` (and `numpy.bool_`)
  is refused even though `True == 1`, and so is every float, `3.0` included;
* a **number** argument takes a Python or NumPy integer or float; `bool`, strings, complex
  numbers, NaN and infinities are refused.

This module imports neither Keras nor TensorFlow, so any part of the package may use it.
"""

from __future__ import annotations

import math
import numbers
from typing import Any
from typing import Collection
from typing import Optional

import numpy as np

__all__ = [
    "integer",
    "int_in_range",
    "number",
    "nonnegative_int",
    "nonnegative_number",
    "number_in_range",
    "one_of",
    "positive_int",
    "positive_number",
]


def _fail(name: str, value: Any, requirement: str, where: Optional[str]) -> ValueError:
    prefix = f"{where}: " if where else ""
    return ValueError(f"{prefix}`{name}` must be {requirement}, found {value!r}.")


def _is_integer(value: Any) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return False
    return isinstance(value, (int, np.integer))


def _is_finite_number(value: Any) -> bool:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        return False
    return math.isfinite(value)


def integer(name: str, value: Any, where: Optional[str] = None) -> int:
    """Returns `value` as an `int` if it is an integer of any sign, or raises a `ValueError`.

    >>> integer("seed", -3)
    -3
    >>> integer("seed", 2.0)
    Traceback (most recent call last):
    ...
    ValueError: `seed` must be an integer, found 2.0.
    """
    if not _is_integer(value):
        raise _fail(name, value, "an integer", where)
    return int(value)


def positive_int(name: str, value: Any, where: Optional[str] = None) -> int:
    """Returns `value` as an `int` if it is an integer `> 0`, or raises a `ValueError`.

    >>> import numpy as np
    >>> positive_int("code_length", np.int64(12))
    12
    >>> positive_int("code_length", True, where="DHN")
    Traceback (most recent call last):
    ...
    ValueError: DHN: `code_length` must be a positive integer, found True.
    >>> positive_int("code_length", 2.5)
    Traceback (most recent call last):
    ...
    ValueError: `code_length` must be a positive integer, found 2.5.
    """
    if not _is_integer(value) or value <= 0:
        raise _fail(name, value, "a positive integer", where)
    return int(value)


def nonnegative_int(name: str, value: Any, where: Optional[str] = None) -> int:
    """Returns `value` as an `int` if it is an integer `>= 0`, or raises a `ValueError`.

    >>> nonnegative_int("padding", 0)
    0
    >>> nonnegative_int("padding", -1, where="RandomFlipCrop")
    Traceback (most recent call last):
    ...
    ValueError: RandomFlipCrop: `padding` must be a non-negative integer, found -1.
    """
    if not _is_integer(value) or value < 0:
        raise _fail(name, value, "a non-negative integer", where)
    return int(value)


def int_in_range(
    name: str, value: Any, low: int, high: int, where: Optional[str] = None
) -> int:
    """Returns `value` as an `int` if it is an integer in `low..high` (both ends included).

    >>> int_in_range("hash_bits", 8, 1, 8)
    8
    >>> int_in_range("hash_bits", 9, 1, 8, where="HammingIndex")
    Traceback (most recent call last):
    ...
    ValueError: HammingIndex: `hash_bits` must be in 1..8, found 9.
    """
    if not _is_integer(value) or not low <= value <= high:
        raise _fail(name, value, f"in {low}..{high}", where)
    return int(value)


def number(name: str, value: Any, where: Optional[str] = None) -> float:
    """Returns `value` as a `float` if it is a finite number of any sign, or raises a `ValueError`.

    >>> number("beta", -0.5)
    -0.5
    >>> number("beta", "0.5", where="LocalResponseNormalization")
    Traceback (most recent call last):
    ...
    ValueError: LocalResponseNormalization: `beta` must be a finite number, found '0.5'.
    """
    if not _is_finite_number(value):
        raise _fail(name, value, "a finite number", where)
    return float(value)


def positive_number(name: str, value: Any, where: Optional[str] = None) -> float:
    """Returns `value` as a `float` if it is a finite number `> 0`, or raises a `ValueError`.

    >>> positive_number("alpha", 1)
    1.0
    >>> positive_number("alpha", float("nan"), where="pairwise_loss")
    Traceback (most recent call last):
    ...
    ValueError: pairwise_loss: `alpha` must be a positive number, found nan.
    """
    if not _is_finite_number(value) or value <= 0:
        raise _fail(name, value, "a positive number", where)
    return float(value)


def nonnegative_number(name: str, value: Any, where: Optional[str] = None) -> float:
    """Returns `value` as a `float` if it is a finite number `>= 0`, or raises a `ValueError`.

    >>> nonnegative_number("weight_decay", 0)
    0.0
    >>> nonnegative_number("weight_decay", -1e-4)
    Traceback (most recent call last):
    ...
    ValueError: `weight_decay` must be a non-negative number, found -0.0001.
    """
    if not _is_finite_number(value) or value < 0:
        raise _fail(name, value, "a non-negative number", where)
    return float(value)


def number_in_range(
    name: str,
    value: Any,
    low: float,
    high: float,
    where: Optional[str] = None,
    *,
    include_low: bool = True,
    include_high: bool = False,
) -> float:
    """Returns `value` as a `float` if it is a finite number in the interval `low`..`high`.

    By default the interval is half-open, `[low, high)`; `include_low` and `include_high` say
    whether each end belongs to it.

    >>> number_in_range("momentum", 0.9, 0, 1)
    0.9
    >>> number_in_range("beta", 1, 0, 1, include_high=True)
    1.0
    >>> number_in_range("dropout", 1.0, 0, 1, where="SmallCNN")
    Traceback (most recent call last):
    ...
    ValueError: SmallCNN: `dropout` must be in [0, 1), found 1.0.
    """
    above = _is_finite_number(value) and (value >= low if include_low else value > low)
    if not (above and (value <= high if include_high else value < high)):
        interval = f"{'[' if include_low else '('}{low}, {high}{']' if include_high else ')'}"
        raise _fail(name, value, f"in {interval}", where)
    return float(value)


def _same_choice(value: Any, choice: Any) -> bool:
    # `True == 1`, so a bool matches only a bool choice, and a number only a number choice.
    if isinstance(value, (bool, np.bool_)) != isinstance(choice, (bool, np.bool_)):
        return False
    try:
        return bool(value == choice)
    except (TypeError, ValueError):  # arrays and other values with no single truth
        return False


def one_of(name: str, value: Any, choices: Collection[Any], where: Optional[str] = None) -> Any:
    """Returns `value` if it equals one of `choices`, or raises a `ValueError` listing them.

    A `bool` matches only a `bool` choice (`True` is not the choice `1`).

    >>> one_of("mode", "fast", ("fast", "faithful"))
    'fast'
    >>> one_of("mode", "slow", ("fast", "faithful"), where="DRSH")
    Traceback (most recent call last):
    ...
    ValueError: DRSH: `mode` must be one of ('fast', 'faithful'), found 'slow'.
    >>> one_of("inference_views", True, (1, 10))
    Traceback (most recent call last):
    ...
    ValueError: `inference_views` must be one of (1, 10), found True.
    """
    if not any(_same_choice(value, choice) for choice in choices):
        raise _fail(name, value, f"one of {choices}", where)
    return value
