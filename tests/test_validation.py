"""`keras_hashing.validation`: one strictness rule and one message format for scalar arguments."""

import math
import re

import keras
import numpy as np
import pytest

from keras_hashing import validation
from keras_hashing.backbones import SmallCNN
from keras_hashing.baselines import LSH
from keras_hashing.callbacks import StopAtStep
from keras_hashing.index.binary_codes import pack_codes
from keras_hashing.layers import Codebook
from keras_hashing.layers import RandomFlipCrop
from keras_hashing.layers import TorchDense
from keras_hashing.models import DCH
from keras_hashing.optimizers.torch_rmsprop import EpochCosineAnnealing
from keras_hashing.quantization.codes import codes_to_indices

NAN, INF = float("nan"), float("inf")

# Values no check accepts: not numbers, or not finite.
NEVER = [None, "3", [3], np.array([3]), complex(1, 0), NAN, INF, -INF, np.float32(NAN)]


def _refuses(check, value, *args, requirement):
    message = re.escape(f"Where: `arg` must be {requirement}, found {value!r}.")
    with pytest.raises(ValueError, match=message):
        check("arg", value, *args, where="Where")


# -- integers -------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", [1, 7, np.int8(3), np.int64(2**40), np.uint16(5)])
def test_positive_int_accepts_python_and_numpy_integers(value):
    result = validation.positive_int("arg", value)
    assert result == value and type(result) is int


@pytest.mark.parametrize(
    "value", [0, -1, np.int32(0), True, False, np.bool_(True), 2.5, 3.0, np.float64(4.0)] + NEVER
)
def test_positive_int_refuses_bool_floats_and_non_positive_values(value):
    _refuses(validation.positive_int, value, requirement="a positive integer")


@pytest.mark.parametrize("value", [0, 4, np.int64(0), np.uint8(9)])
def test_nonnegative_int_accepts_zero(value):
    assert validation.nonnegative_int("arg", value) == value


@pytest.mark.parametrize("value", [-1, np.int64(-3), True, False, 2.5, 0.0] + NEVER)
def test_nonnegative_int_refuses(value):
    _refuses(validation.nonnegative_int, value, requirement="a non-negative integer")


@pytest.mark.parametrize("value", [-5, 0, np.int16(-2)])
def test_integer_takes_any_sign(value):
    assert validation.integer("arg", value) == value


@pytest.mark.parametrize("value", [True, 1.0, 2.5] + NEVER)
def test_integer_refuses(value):
    _refuses(validation.integer, value, requirement="an integer")


def test_int_in_range_includes_both_ends():
    assert [validation.int_in_range("arg", v, 1, 3) for v in (1, np.int64(3))] == [1, 3]
    for value in (0, 4, True, 2.0):
        _refuses(validation.int_in_range, value, 1, 3, requirement="in 1..3")


# -- numbers --------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", [1, 0.5, 1e-12, np.float32(2.0), np.int64(3)])
def test_positive_number_accepts_finite_positive_reals(value):
    result = validation.positive_number("arg", value)
    assert result == pytest.approx(float(value)) and type(result) is float


@pytest.mark.parametrize("value", [0, 0.0, -0.5, np.float64(-1), True, False] + NEVER)
def test_positive_number_refuses(value):
    _refuses(validation.positive_number, value, requirement="a positive number")


@pytest.mark.parametrize("value", [0, 0.0, 2.5, np.float16(1)])
def test_nonnegative_number_accepts_zero(value):
    assert validation.nonnegative_number("arg", value) == float(value)


@pytest.mark.parametrize("value", [-1e-9, -1, True] + NEVER)
def test_nonnegative_number_refuses(value):
    _refuses(validation.nonnegative_number, value, requirement="a non-negative number")


def test_number_takes_any_finite_sign():
    assert validation.number("arg", -2) == -2.0
    for value in [True] + NEVER:
        _refuses(validation.number, value, requirement="a finite number")


def test_number_in_range_open_and_closed_ends():
    assert validation.number_in_range("arg", 0, 0, 1) == 0.0
    assert validation.number_in_range("arg", 1, 0, 1, include_high=True) == 1.0
    _refuses(validation.number_in_range, 1.0, 0, 1, requirement="in [0, 1)")
    _refuses(validation.number_in_range, -0.1, 0, 1, requirement="in [0, 1)")
    _refuses(validation.number_in_range, NAN, 0, 1, requirement="in [0, 1)")
    _refuses(validation.number_in_range, True, 0, 1, requirement="in [0, 1)")
    with pytest.raises(ValueError, match=re.escape("`arg` must be in (0, 1], found 0.")):
        validation.number_in_range("arg", 0, 0, 1, include_low=False, include_high=True)


# -- choices --------------------------------------------------------------------------------------
def test_one_of_accepts_a_listed_value_and_names_the_choices_otherwise():
    assert validation.one_of("arg", "b", ("a", "b")) == "b"
    assert validation.one_of("arg", np.int64(10), (1, 10)) == 10
    _refuses(validation.one_of, "c", ("a", "b"), requirement="one of ('a', 'b')")
    _refuses(validation.one_of, [1], ["a"], requirement="one of ['a']")


def test_one_of_does_not_mix_bools_and_numbers():
    assert validation.one_of("arg", True, ("auto", True, False)) is True
    _refuses(validation.one_of, True, (1, 10), requirement="one of (1, 10)")
    choices = ("auto", True, False)
    _refuses(validation.one_of, 1, choices, requirement="one of ('auto', True, False)")


def test_messages_without_where_have_no_prefix():
    with pytest.raises(ValueError) as error:
        validation.positive_int("steps", 0)
    assert str(error.value) == "`steps` must be a positive integer, found 0."


def test_the_module_imports_neither_keras_nor_tensorflow():
    source = open(validation.__file__).read()
    assert not re.search(r"^\s*(import|from)\s+(keras|tensorflow)\b", source, re.MULTILINE)
    assert math.isfinite(validation.positive_number("x", 1))


# -- the library's constructors refuse alike ------------------------------------------------------
def _tiny_backbone():
    return keras.Sequential(
        [keras.layers.Input((4, 4, 1)), keras.layers.Flatten(), keras.layers.Dense(8)]
    )


CONSTRUCTORS = {
    "DCH.code_length": ("DCH", "code_length", lambda v: DCH(_tiny_backbone(), code_length=v)),
    "Codebook.num_codebooks": ("Codebook", "num_codebooks", lambda v: Codebook(v, 4, 8)),
    "TorchDense.units": ("TorchDense", "units", lambda v: TorchDense(v)),
    "RandomFlipCrop.padding": ("RandomFlipCrop", "padding", lambda v: RandomFlipCrop(padding=v)),
    "SmallCNN.units": ("SmallCNN", "units", lambda v: SmallCNN((8, 8, 1), (4,), units=v)),
    "EpochCosineAnnealing.total_epochs": (
        "EpochCosineAnnealing",
        "total_epochs",
        lambda v: EpochCosineAnnealing(0.1, v, 3),
    ),
    "StopAtStep.total_steps": ("StopAtStep", "total_steps", lambda v: StopAtStep(v)),
    "LSH.code_length": ("LSH", "code_length", lambda v: LSH(v)),
    "pack_codes.code_length": (
        "pack_codes",
        "code_length",
        lambda v: pack_codes(np.ones((1, 8)), v),
    ),
    "codes_to_indices.num_codebooks": (
        "codes_to_indices",
        "num_codebooks",
        lambda v: codes_to_indices(np.ones((1, 4)), v, 2),
    ),
}


@pytest.mark.parametrize("value", [True, 2.5])
@pytest.mark.parametrize("case", sorted(CONSTRUCTORS))
def test_public_constructors_refuse_bools_and_fractions_alike(case, value):
    where, name, make = CONSTRUCTORS[case]
    requirement = "a non-negative integer" if name == "padding" else "a positive integer"
    message = f"{where}: `{name}` must be {requirement}, found {value!r}."
    with pytest.raises(ValueError, match=re.escape(message)):
        make(value)
