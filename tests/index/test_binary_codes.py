import numpy as np
import pytest

from keras_hashing.index import pack_codes
from keras_hashing.index import unpack_codes


def bits_oracle(codes):
    """Explicit loop: bit j of row i is 1 for +1 (or 1), packed big-endian, zero-padded."""
    rows, width = len(codes), -(-len(codes[0]) // 8)
    packed = np.zeros((rows, width), np.uint8)
    for i, code in enumerate(codes):
        for j, value in enumerate(code):
            if value == 1:
                packed[i, j // 8] |= 1 << (7 - j % 8)
    return packed


@pytest.mark.parametrize("bits", [1, 5, 8, 12, 16, 33])
def test_signs_bits_and_packed_forms_agree_with_the_loop(rng, bits):
    signs = np.where(rng.normal(size=(6, bits)) >= 0, 1, -1).astype(np.int8)
    expected = bits_oracle(signs)
    np.testing.assert_array_equal(pack_codes(signs), expected)
    np.testing.assert_array_equal(pack_codes((signs > 0).astype(np.float32)), expected)
    np.testing.assert_array_equal(pack_codes(signs > 0), expected)
    np.testing.assert_array_equal(pack_codes(signs.astype(np.float64), bits), expected)
    if bits > 1:  # a 1-bit uint8 column is read as bits, not as a packed byte
        np.testing.assert_array_equal(pack_codes(expected, bits), expected)
    np.testing.assert_array_equal(unpack_codes(expected, bits), signs)


def test_single_valued_codes_are_read_the_same_in_both_conventions():
    np.testing.assert_array_equal(pack_codes(np.ones((2, 8))), [[255], [255]])
    np.testing.assert_array_equal(pack_codes(-np.ones((2, 8))), [[0], [0]])
    np.testing.assert_array_equal(pack_codes(np.zeros((2, 8))), [[0], [0]])


@pytest.mark.parametrize(
    "codes, code_length, message",
    [
        (np.array([[0.5, 1.0, -1.0, 1.0]]), None, r"found 0\.5 at row 0, column 0"),
        (np.array([[1.0, 1.0], [1.0, np.nan]]), None, "NaN at row 1, column 1"),
        (np.array([[1, -1, 2, 1]]), None, "found 2 at row 0, column 2"),
        (np.array([[1, -1, 0, 1]]), None, "mixes -1 and 0"),
        (np.ones((2, 7)), 8, r"must have 8 columns .* or 1 packed uint8 columns, found shape"),
        (np.ones(8), None, "2-D array"),
        (np.array([["a", "b"]]), None, "numeric or bool"),
        (np.array([[255, 1]], np.uint8), 12, "nonzero padding bits"),
    ],
)
def test_bad_codes_are_refused_with_what_was_found(codes, code_length, message):
    with pytest.raises(ValueError, match=message):
        pack_codes(codes, code_length)


def test_code_length_must_be_a_positive_int():
    with pytest.raises(ValueError, match="positive int"):
        pack_codes(np.ones((1, 8)), 0)
