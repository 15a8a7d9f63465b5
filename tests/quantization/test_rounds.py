"""The round steps on compact indices: ICM in chunks with per-chunk seeds, the ridge codebook."""

import numpy as np

from keras_hashing.quantization import icm_codes
from keras_hashing.quantization import icm_encode
from keras_hashing.quantization import indices_to_codes
from keras_hashing.quantization import least_squares_codebook
from keras_hashing.quantization import update_codebook


def _data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(23, 6)).astype("float32"), rng.normal(size=(8, 6)).astype("float32")


def test_icm_codes_are_the_chunks_encodings_with_seeds_drawn_in_order():
    outputs, codebook = _data()
    codes = icm_codes(
        outputs, codebook, 2, 4, sweeps=3, chunk_size=10, rng=np.random.default_rng(5)
    )
    seeds = np.random.default_rng(5)
    expected = np.concatenate(
        [
            icm_encode(
                outputs[start : start + 10],
                codebook,
                2,
                4,
                sweeps=3,
                seed=int(seeds.integers(2**31 - 1)),
                return_indices=True,
            )
            for start in range(0, 23, 10)
        ]
    )
    np.testing.assert_array_equal(codes, expected)
    assert codes.dtype == np.int64 and codes.shape == (23, 2)


def test_least_squares_codebook_is_the_ridge_update_of_the_one_hot_codes():
    outputs, codebook = _data()
    codes = np.random.default_rng(1).integers(0, 4, size=(23, 2))
    codes[:, 1] = np.minimum(codes[:, 1], 2)  # codeword 3 of the second codebook stays unused
    result = least_squares_codebook(outputs, codes, codebook, 2, 4)
    expected = update_codebook(outputs, indices_to_codes(codes, 2, 4), previous=codebook)
    np.testing.assert_allclose(result, expected, rtol=1e-6)
    np.testing.assert_array_equal(result[7], codebook[7])
