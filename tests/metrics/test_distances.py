"""keras_hashing.metrics.distances against the original's self-test values (spec §4)."""

import numpy as np
import pytest

from keras_hashing.metrics import DIST_TYPES
from keras_hashing.metrics import distance
from keras_hashing.metrics import distances

X1 = 2.0 * np.array([[1, 1, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1]])
X2 = 3.0 * np.eye(3)


def test_pairwise_euclidean2_reference():
    np.testing.assert_array_equal(
        distance(X1, X2, dist_type="euclidean2"), [[9, 9, 9], [5, 5, 17], [5, 17, 5], [17, 5, 5]]
    )


def test_pairwise_normed_euclidean2_reference():
    a, b = 0.84529946, 0.58578644
    np.testing.assert_allclose(
        distance(X1, X2, dist_type="normed_euclidean2"),
        [[a, a, a], [b, b, 2], [b, 2, b], [2, b, b]],
        rtol=1e-7,
    )


def test_rowwise_reference_values():
    reverse = X1[::-1]
    np.testing.assert_array_equal(
        distance(X1, reverse, pair=False, dist_type="euclidean2"), [4, 8, 8, 4]
    )
    np.testing.assert_allclose(
        distance(X1, reverse, pair=False, dist_type="cosine"),
        [0.09175171, 0.25, 0.25, 0.09175171],
        rtol=1e-6,
    )
    np.testing.assert_array_equal(
        distance(X1, reverse, pair=False, dist_type="inner_product"), [-8, -4, -4, -8]
    )


@pytest.mark.parametrize("dist_type", DIST_TYPES)
def test_pairwise_equals_rowwise_loop_and_blocks(dist_type, rng, monkeypatch):
    a, b = rng.normal(size=(7, 5)), rng.normal(size=(9, 5))
    full = distance(a, b, dist_type=dist_type)
    loop = np.array(
        [
            [
                distance(a[i : i + 1], b[j : j + 1], pair=False, dist_type=dist_type)[0]
                for j in range(9)
            ]
            for i in range(7)
        ]
    )
    np.testing.assert_allclose(full, loop, rtol=1e-12, atol=1e-12)
    monkeypatch.setattr(distances, "_BROADCAST_BLOCK_ELEMENTS", 1)
    np.testing.assert_array_equal(distance(a, b, dist_type=dist_type), full)


def test_normalisation_epsilon_keeps_zero_vectors_finite():
    zero = np.zeros((1, 3))
    assert np.all(np.isfinite(distance(zero, X2, dist_type="cosine")))
    np.testing.assert_allclose(distance(zero, X2, dist_type="cosine"), 0.5)


def test_validation_errors():
    with pytest.raises(ValueError, match="dist_type"):
        distance(X1, X2, dist_type="manhattan")
    with pytest.raises(ValueError, match="same D"):
        distance(X1, np.eye(4))
    with pytest.raises(ValueError, match="pair=False"):
        distance(X1, X2, pair=False)
