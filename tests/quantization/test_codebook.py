"""k-means initialisation, ridge codebook update and code conversions (deephash.md §5.1-5.4)."""

import numpy as np
import pytest
from sklearn.cluster import MiniBatchKMeans
from threadpoolctl import threadpool_limits

from keras_hashing.quantization import KMEANS_DEFAULTS
from keras_hashing.quantization import codes_to_indices
from keras_hashing.quantization import icm_encode
from keras_hashing.quantization import indices_to_codes
from keras_hashing.quantization import kmeans_init_codebook
from keras_hashing.quantization import reconstruct
from keras_hashing.quantization import update_codebook

# --------------------------------------------------------------------------- codes


def test_indices_codes_round_trip():
    indices = np.array([[0, 3], [2, 1], [3, 3]])
    codes = indices_to_codes(indices, 2, 4)
    assert codes.dtype == np.float32 and codes.shape == (3, 8)
    expected = np.zeros((3, 8), np.float32)
    for i, row in enumerate(indices):
        for m, k in enumerate(row):
            expected[i, m * 4 + k] = 1.0
    np.testing.assert_array_equal(codes, expected)
    back = codes_to_indices(codes, 2, 4)
    assert back.dtype == np.uint8
    np.testing.assert_array_equal(back, indices)
    assert codes_to_indices(indices_to_codes([[255]], 1, 256), 1, 256).dtype == np.uint8
    big = codes_to_indices(indices_to_codes([[299]], 1, 300), 1, 300)
    assert big.dtype == np.uint16 and big[0, 0] == 299
    assert indices_to_codes(np.zeros((0, 2), np.int64), 2, 4).shape == (0, 8)


def test_code_conversion_errors():
    with pytest.raises(ValueError, match="row 1, codebook 0 is not one-hot"):
        codes_to_indices(np.array([[1, 0, 0, 1], [1, 1, 0, 1]]), 2, 2)
    with pytest.raises(ValueError, match="row 0, codebook 1 is not one-hot"):
        codes_to_indices(np.array([[1, 0, 0.5, 0.5]]), 2, 2)
    with pytest.raises(ValueError, match=r"shape \(N, 8\)"):
        codes_to_indices(np.zeros((2, 6)), 2, 4)
    with pytest.raises(ValueError, match="found 4 at row 1, codebook 0"):
        indices_to_codes(np.array([[0, 1], [4, 0]]), 2, 4)
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        indices_to_codes(np.array([0, 1]), 2, 4)
    with pytest.raises(ValueError, match="integers"):
        indices_to_codes(np.array([[0.5, 1.0]]), 2, 4)


def test_reconstruct_matches_a_loop():
    rng = np.random.default_rng(0)
    codebook = rng.normal(size=(3 * 4, 5)).astype(np.float32)
    indices = rng.integers(0, 4, size=(6, 3))
    expected = np.zeros((6, 5))
    for i in range(6):
        for m in range(3):
            expected[i] += codebook[m * 4 + indices[i, m]]
    np.testing.assert_allclose(
        reconstruct(indices_to_codes(indices, 3, 4), codebook), expected, rtol=1e-6
    )
    np.testing.assert_allclose(reconstruct(indices, codebook), expected, rtol=1e-6)
    with pytest.raises(ValueError, match="one-hot .*or integer indices"):
        reconstruct(np.zeros((2, 5)), codebook)
    with pytest.raises(ValueError, match="0..3"):
        reconstruct(np.array([[0, 0, 4]]), codebook)


# --------------------------------------------------------------------------- k-means


@pytest.fixture(autouse=True)
def _one_openmp_thread():
    # scikit-learn's OpenMP threads spin for ages on tiny k-means fits when the cores are busy.
    with threadpool_limits(limits=1, user_api="openmp"):
        yield


def test_kmeans_codebook_is_block_diagonal_and_reproducible():
    rng = np.random.default_rng(1)
    outputs = rng.normal(size=(120, 7)).astype(np.float32)  # D=7, M=3: d=2, column 6 uncovered
    codebook = kmeans_init_codebook(outputs, 3, 4, seed=0)
    assert codebook.dtype == np.float32 and codebook.shape == (12, 7)
    mask = np.zeros((12, 7), bool)
    for m in range(3):
        mask[m * 4 : (m + 1) * 4, m * 2 : (m + 1) * 2] = True
    assert np.all(codebook[~mask] == 0)
    assert np.all(codebook[:, 6] == 0)
    assert np.all(np.abs(codebook[mask]) > 0)
    np.testing.assert_array_equal(codebook, kmeans_init_codebook(outputs, 3, 4, seed=0))
    assert not np.array_equal(codebook, kmeans_init_codebook(outputs, 3, 4, seed=1))
    # Each block is MiniBatchKMeans with the pinned (scikit-learn 0.2x) defaults.
    states = np.random.default_rng(0).integers(0, 2**31 - 1, size=3)
    for m in range(3):
        km = MiniBatchKMeans(
            n_clusters=4,
            random_state=int(states[m]),
            batch_size=100,
            n_init=3,
            max_iter=100,
            tol=0.0,
            max_no_improvement=10,
            init_size=None,
            reassignment_ratio=0.01,
            init="k-means++",
        )
        km.fit(outputs[:, m * 2 : (m + 1) * 2])
        np.testing.assert_allclose(
            codebook[m * 4 : (m + 1) * 4, m * 2 : (m + 1) * 2], km.cluster_centers_, rtol=1e-6
        )
    assert KMEANS_DEFAULTS["batch_size"] == 100 and KMEANS_DEFAULTS["n_init"] == 3
    # Overrides reach scikit-learn.
    modern = kmeans_init_codebook(outputs, 3, 4, seed=0, batch_size=1024, n_init="auto")
    assert modern.shape == (12, 7)


def test_kmeans_codebook_then_icm_is_product_quantization():
    rng = np.random.default_rng(2)
    outputs = rng.normal(size=(60, 6)).astype(np.float32)
    codebook = kmeans_init_codebook(outputs, 2, 4, seed=3)
    indices = icm_encode(outputs, codebook, 2, 4, sweeps=1, seed=0, return_indices=True)
    for m in range(2):
        cols = slice(3 * m, 3 * m + 3)
        dist = ((outputs[:, None, cols] - codebook[None, 4 * m : 4 * m + 4, cols]) ** 2).sum(-1)
        np.testing.assert_array_equal(indices[:, m], dist.argmin(1))


def test_kmeans_validation():
    outputs = np.zeros((10, 4), np.float32)
    with pytest.raises(ValueError, match="needs at least 16 outputs, found 10"):
        kmeans_init_codebook(outputs, 2, 16)
    with pytest.raises(ValueError, match="`num_codebooks`=5 exceeds the output dimension 4"):
        kmeans_init_codebook(outputs, 5, 2)
    with pytest.raises(ValueError, match="2-D"):
        kmeans_init_codebook(outputs[0], 2, 2)
    with pytest.raises(ValueError, match="random_state"):
        kmeans_init_codebook(outputs, 2, 2, random_state=0)
    bad = outputs.copy()
    bad[4, 1] = np.nan
    with pytest.raises(ValueError, match="row 4"):
        kmeans_init_codebook(bad, 2, 2)


# --------------------------------------------------------------------------- least squares


@pytest.fixture
def regression():
    rng = np.random.default_rng(4)
    indices = rng.integers(0, 4, size=(50, 2))
    indices[:, 1] = np.minimum(indices[:, 1], 2)  # codeword 3 of codebook 1 is never used
    codes = indices_to_codes(indices, 2, 4)
    outputs = rng.normal(size=(50, 5)).astype(np.float32)
    return outputs, codes


def test_ridge_solution_satisfies_its_normal_equations(regression):
    outputs, codes = regression
    codebook = update_codebook(outputs, codes, ridge=1e-3)
    assert codebook.dtype == np.float32 and codebook.shape == (8, 5)
    b = codes.astype(np.float64)
    lhs = (b.T @ b + 1e-3 * np.eye(8)) @ codebook.astype(np.float64)
    rhs = b.T @ outputs.astype(np.float64)
    # The one-hot blocks make B^T B singular (each block sums to 1); ridge 1e-3 regularises it
    # and a float32 solve leaves a residual at float32 precision times ||B^T B||.
    assert np.abs(lhs - rhs).max() <= 1e-5 * np.abs(b.T @ b).max() * np.abs(codebook).max() + 1e-5
    # It minimises ||Z - B C||^2 + ridge ||C||^2: same objective as float64, below a perturbation.
    exact = np.linalg.solve(b.T @ b + 1e-3 * np.eye(8), rhs)

    def objective(c):
        return np.sum((outputs - b @ c) ** 2) + 1e-3 * np.sum(c**2)

    assert objective(codebook) == pytest.approx(objective(exact), rel=1e-6)
    assert objective(codebook) < objective(exact + 1e-2)
    # The reconstructions, not the rows along the null space, are what float32 pins down.
    np.testing.assert_allclose(b @ codebook, b @ exact, atol=1e-4)
    # A larger ridge shrinks the codebook.
    assert np.linalg.norm(update_codebook(outputs, codes, ridge=10.0)) < np.linalg.norm(codebook)


def test_unused_rows_restored_from_previous(regression):
    outputs, codes = regression
    unused_row = 1 * 4 + 3
    plain = update_codebook(outputs, codes)
    assert np.all(plain[unused_row] == 0)
    previous = np.full((8, 5), 7.0, np.float32)
    restored = update_codebook(outputs, codes, previous=previous)
    np.testing.assert_array_equal(restored[unused_row], previous[unused_row])
    used = np.ones(8, bool)
    used[unused_row] = False
    np.testing.assert_array_equal(restored[used], plain[used])


def test_update_codebook_validation(regression):
    outputs, codes = regression
    with pytest.raises(ValueError, match=r"same N, found \(49, 5\) and \(50, 8\)"):
        update_codebook(outputs[:-1], codes)
    with pytest.raises(ValueError, match="ridge"):
        update_codebook(outputs, codes, ridge=0.0)
    with pytest.raises(ValueError, match=r"`previous` must have shape \(8, 5\)"):
        update_codebook(outputs, codes, previous=np.zeros((8, 4)))


def test_alternating_rounds_reduce_the_quantization_error():
    """k-means, then (ICM, least squares) rounds as DVSQ/DTQ run them (spec §6.3, §6.5)."""
    rng = np.random.default_rng(6)
    outputs = rng.normal(size=(200, 8)).astype(np.float32)
    codebook = kmeans_init_codebook(outputs, 2, 8, seed=0)
    errors = []
    for round_seed in range(3):
        codes = icm_encode(outputs, codebook, 2, 8, sweeps=3, seed=round_seed)
        errors.append(np.mean(np.sum((outputs - reconstruct(codes, codebook)) ** 2, 1)))
        codebook = update_codebook(outputs, codes, previous=codebook)
        after = np.mean(np.sum((outputs - reconstruct(codes, codebook)) ** 2, 1))
        assert after <= errors[-1] + 1e-4  # the least-squares step never hurts (ridge aside)
    assert errors[-1] < errors[0]
