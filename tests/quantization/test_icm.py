"""ICM code updates (spec deephash.md §5.3, §6.2-6.3, §10.27)."""

import itertools

import numpy as np
import pytest

from keras_hashing.quantization import codes_to_indices
from keras_hashing.quantization import icm_encode
from keras_hashing.quantization import reconstruct

M, K, D = 2, 4, 6


def _reference_icm(
    outputs, codebook, num_codebooks, num_codewords, sweeps, seed, label_embeddings=None
):
    """The obvious implementation: loops over sweeps, codebooks, samples and codewords."""
    rng = np.random.default_rng(seed)
    orders = [rng.permutation(num_codebooks) for _ in range(sweeps)]
    outputs = np.asarray(outputs, np.float64)
    codebook = np.asarray(codebook, np.float64)
    indices = np.zeros((len(outputs), num_codebooks), np.int64)
    assigned = [False] * num_codebooks
    for order in orders:
        for m in order:
            for i in range(len(outputs)):
                residual = outputs[i].copy()
                for j in range(num_codebooks):
                    if j != m and assigned[j]:
                        residual -= codebook[j * num_codewords + indices[i, j]]
                best, best_cost = 0, np.inf
                for k in range(num_codewords):
                    diff = residual - codebook[m * num_codewords + k]
                    if label_embeddings is not None:
                        diff = np.asarray(label_embeddings, np.float64) @ diff
                    cost = float(diff @ diff)
                    if cost < best_cost:  # strict: ties keep the lowest k
                        best, best_cost = k, cost
                indices[i, m] = best
            assigned[m] = True
    return indices


def _cost(outputs, codebook, indices, num_codewords, label_embeddings=None):
    recon = sum(
        np.asarray(codebook, np.float64)[m * num_codewords + indices[..., m]]
        for m in range(indices.shape[-1])
    )
    diff = np.asarray(outputs, np.float64) - recon
    if label_embeddings is not None:
        diff = diff @ np.asarray(label_embeddings, np.float64).T
    return np.sum(diff * diff, axis=-1)


def _brute_force(outputs, codebook, num_codebooks, num_codewords, label_embeddings=None):
    combos = np.array(list(itertools.product(range(num_codewords), repeat=num_codebooks)))
    costs = np.stack(
        [
            _cost(
                outputs,
                codebook,
                np.broadcast_to(c, (len(outputs), num_codebooks)),
                num_codewords,
                label_embeddings,
            )
            for c in combos
        ],
        axis=1,
    )
    return combos[np.argmin(costs, axis=1)], costs.min(axis=1)


@pytest.fixture
def data():
    rng = np.random.default_rng(11)
    outputs = rng.normal(size=(40, D)).astype(np.float32)
    codebook = rng.normal(size=(M * K, D)).astype(np.float32)  # dense: an additive quantizer
    return outputs, codebook


def test_matches_the_explicit_loop(data):
    outputs, codebook = data
    for sweeps, seed in ((1, 0), (3, 5), (4, 123)):
        got = icm_encode(outputs, codebook, M, K, sweeps=sweeps, seed=seed, return_indices=True)
        expected = _reference_icm(outputs, codebook, M, K, sweeps, seed)
        np.testing.assert_array_equal(got, expected)


def test_one_hot_output_and_indices(data):
    outputs, codebook = data
    codes = icm_encode(outputs, codebook, M, K, seed=1)
    assert codes.dtype == np.float32 and codes.shape == (40, M * K)
    np.testing.assert_array_equal(codes.reshape(40, M, K).sum(-1), 1.0)
    indices = icm_encode(outputs, codebook, M, K, seed=1, return_indices=True)
    assert indices.dtype == np.uint8
    np.testing.assert_array_equal(codes_to_indices(codes, M, K), indices)
    np.testing.assert_allclose(
        reconstruct(codes, codebook), reconstruct(indices, codebook), rtol=1e-6
    )


def test_fixed_points_are_coordinatewise_minima(data):
    outputs, codebook = data
    indices = icm_encode(outputs, codebook, M, K, sweeps=30, seed=0, return_indices=True)
    # Converged: one more sweep changes nothing.
    np.testing.assert_array_equal(
        indices, icm_encode(outputs, codebook, M, K, sweeps=31, seed=0, return_indices=True)
    )
    cost = _cost(outputs, codebook, indices, K)
    for m in range(M):
        for k in range(K):
            changed = indices.astype(np.int64).copy()
            changed[:, m] = k
            assert np.all(cost <= _cost(outputs, codebook, changed, K) + 1e-9)
    _, optimum = _brute_force(outputs, codebook, M, K)
    assert np.all(cost >= optimum - 1e-9)
    # ICM is a local method, but never worse than its own greedy first sweep.
    greedy = _cost(
        outputs,
        codebook,
        icm_encode(outputs, codebook, M, K, sweeps=1, seed=0, return_indices=True),
        K,
    )
    assert np.all(cost <= greedy + 1e-9)


def test_cost_never_increases_with_sweeps(data):
    outputs, codebook = data
    previous = None
    for sweeps in range(1, 6):  # same seed: the orders of s sweeps are a prefix of s + 1's
        cost = _cost(
            outputs,
            codebook,
            icm_encode(outputs, codebook, M, K, sweeps=sweeps, seed=4, return_indices=True),
            K,
        )
        if previous is not None:
            assert np.all(cost <= previous + 1e-9)
        previous = cost


def test_block_diagonal_codebook_gives_exact_pq(data):
    outputs, _ = data
    rng = np.random.default_rng(3)
    codebook = np.zeros((M * K, D), np.float32)
    codebook[:K, :3] = rng.normal(size=(K, 3))
    codebook[K:, 3:] = rng.normal(size=(K, 3))
    best, optimum = _brute_force(outputs, codebook, M, K)
    for sweeps, seed in ((1, 0), (3, 9)):
        indices = icm_encode(outputs, codebook, M, K, sweeps=sweeps, seed=seed, return_indices=True)
        np.testing.assert_array_equal(indices, best)
        np.testing.assert_allclose(_cost(outputs, codebook, indices, K), optimum, rtol=1e-12)
    # ... which is the nearest sub-centre in each subspace.
    for m, cols in enumerate((slice(0, 3), slice(3, 6))):
        dist = ((outputs[:, None, cols] - codebook[None, m * K : (m + 1) * K, cols]) ** 2).sum(-1)
        np.testing.assert_array_equal(best[:, m], dist.argmin(1))


def test_label_embedding_cost(data):
    outputs, codebook = data
    weights = np.random.default_rng(5).normal(size=(3, D)).astype(np.float32)  # L=3 < D
    got = icm_encode(
        outputs, codebook, M, K, sweeps=3, seed=2, label_embeddings=weights, return_indices=True
    )
    np.testing.assert_array_equal(got, _reference_icm(outputs, codebook, M, K, 3, 2, weights))
    # Converged V-weighted ICM is a coordinate-wise minimum of ||V r||^2, not of ||r||^2.
    converged = icm_encode(
        outputs, codebook, M, K, sweeps=30, seed=2, label_embeddings=weights, return_indices=True
    ).astype(np.int64)
    cost = _cost(outputs, codebook, converged, K, weights)
    for m in range(M):
        for k in range(K):
            changed = converged.copy()
            changed[:, m] = k
            assert np.all(cost <= _cost(outputs, codebook, changed, K, weights) + 1e-9)
    euclidean = icm_encode(outputs, codebook, M, K, sweeps=3, seed=2, return_indices=True)
    assert not np.array_equal(got, euclidean)
    # The identity as V is the Euclidean cost.
    np.testing.assert_array_equal(
        icm_encode(
            outputs,
            codebook,
            M,
            K,
            sweeps=3,
            seed=2,
            label_embeddings=np.eye(D),
            return_indices=True,
        ),
        euclidean,
    )


def test_any_number_of_rows_and_chunking(data):
    outputs, codebook = data
    full = icm_encode(outputs, codebook, M, K, seed=8, return_indices=True)
    for batch_size in (1, 3, 7, 40, 500):  # chunking only bounds memory
        np.testing.assert_array_equal(
            icm_encode(outputs, codebook, M, K, seed=8, batch_size=batch_size, return_indices=True),
            full,
        )
    # Fewer rows than the original's 500-row placeholder (which crashed), one row, none.
    np.testing.assert_array_equal(
        icm_encode(outputs[:7], codebook, M, K, seed=8, return_indices=True), full[:7]
    )
    assert icm_encode(outputs[:1], codebook, M, K).shape == (1, M * K)
    assert icm_encode(outputs[:0], codebook, M, K).shape == (0, M * K)


def test_seed_and_generator(data):
    outputs, codebook = data
    a = icm_encode(outputs, codebook, M, K, seed=3)
    np.testing.assert_array_equal(a, icm_encode(outputs, codebook, M, K, seed=3))
    np.testing.assert_array_equal(
        a, icm_encode(outputs, codebook, M, K, seed=np.random.default_rng(3))
    )
    # The sweep orders matter for a dense codebook: some seed gives different codes.
    assert any(
        not np.array_equal(a, icm_encode(outputs, codebook, M, K, sweeps=1, seed=s))
        for s in range(10)
    )


def test_ties_go_to_the_lowest_codeword():
    codebook = np.zeros((1 * 4, 2), np.float32)
    codebook[:, 0] = [1.0, -1.0, 5.0, -1.0]  # rows 1 and 3 identical; 0 and 1 equidistant from 0
    outputs = np.array([[0.0, 0.0], [-1.0, 0.0], [5.0, 0.0]], np.float32)
    indices = icm_encode(outputs, codebook, 1, 4, sweeps=2, seed=0, return_indices=True)
    np.testing.assert_array_equal(indices[:, 0], [0, 1, 2])


def test_verbose_progress_bar(data, capsys):
    outputs, codebook = data
    quiet = icm_encode(outputs, codebook, M, K, seed=0, batch_size=10)
    loud = icm_encode(outputs, codebook, M, K, seed=0, batch_size=10, verbose=True)
    np.testing.assert_array_equal(quiet, loud)
    assert "ICM codes" in capsys.readouterr().err


def test_validation_errors(data):
    outputs, codebook = data
    with pytest.raises(ValueError, match=r"`codebook` must have shape \(8, 6\).*found \(8, 5\)"):
        icm_encode(outputs, codebook[:, :5], M, K)
    with pytest.raises(ValueError, match=r"`codebook` must have shape \(12, 6\)"):
        icm_encode(outputs, codebook, 3, K)
    with pytest.raises(ValueError, match="2-D"):
        icm_encode(outputs[0], codebook, M, K)
    with pytest.raises(ValueError, match=r"label_embeddings` must have shape \(L, 6\)"):
        icm_encode(outputs, codebook, M, K, label_embeddings=np.ones((3, 5)))
    with pytest.raises(ValueError, match="sweeps"):
        icm_encode(outputs, codebook, M, K, sweeps=0)
    with pytest.raises(ValueError, match="batch_size"):
        icm_encode(outputs, codebook, M, K, batch_size=0)
    with pytest.raises(ValueError, match="num_codewords"):
        icm_encode(outputs, codebook, M, 0)
    bad = outputs.copy()
    bad[13, 2] = np.inf
    with pytest.raises(ValueError, match="non-finite value in row 13"):
        icm_encode(bad, codebook, M, K, batch_size=5)
