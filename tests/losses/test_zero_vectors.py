"""A zero output row into any cosine / normalised loss gives a finite loss and gradient.

The originals divide by vector norms with no epsilon, so one zero row (a dead trunk, an all-zero
feature) makes their loss NaN and every later update NaN. The port gives that row a cosine of 0;
the values for non-zero rows stay the originals' (the parity tests of each loss pin those).
"""

import numpy as np
import pytest

from keras_hashing.losses.cauchy import cauchy_cross_entropy
from keras_hashing.losses.pairwise import pairwise_cross_entropy
from keras_hashing.losses.quantization_losses import adaptive_margin_loss
from keras_hashing.losses.quantization_losses import cosine_pairwise_loss
from keras_hashing.losses.triplet import triplet_loss
from tests.harness import gradient

LABELS = np.eye(3, dtype="float32")[[0, 0, 1, 2]]
WORDS = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.2], [0.3, 0.3, 1.0]], "float32")

LOSSES = {
    "dhn_cosine": lambda z: pairwise_cross_entropy(LABELS, z, normed=True),
    "dch_normed": lambda z: cauchy_cross_entropy(LABELS, z, normed=True),
    "dqn_cosine": lambda z: cosine_pairwise_loss(LABELS, z),
    "dvsq_cosine": lambda z: adaptive_margin_loss(LABELS, z, WORDS),
    "triplet_cosine": lambda z: triplet_loss(z[:1], z[1:2], z[2:3], 0.5, dist_type="cosine"),
    "triplet_normed_euclidean2": lambda z: triplet_loss(
        z[:1], z[1:2], z[2:3], 0.5, dist_type="normed_euclidean2"
    ),
}


def _outputs(zero_row):
    outputs = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
    if zero_row is not None:
        outputs[zero_row] = 0.0
    return outputs


@pytest.mark.parametrize("name", sorted(LOSSES))
@pytest.mark.parametrize("zero_row", [0, 2])
def test_zero_row_gives_finite_loss_and_gradient(name, zero_row):
    loss = LOSSES[name]
    outputs = _outputs(zero_row)
    assert np.isfinite(float(loss(outputs)))
    assert np.all(np.isfinite(gradient(loss, outputs)))


@pytest.mark.parametrize("name", ["dhn_cosine", "dqn_cosine"])
def test_zero_row_counts_as_cosine_zero(name):
    # The zero row's value equals that of any row orthogonal to every other row.
    outputs = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], "float32")
    orthogonal = outputs.copy()
    orthogonal[0] = [0.0, 0.0, 1.0]
    labels = np.eye(3, dtype="float32")
    loss = {
        "dhn_cosine": lambda y, z: pairwise_cross_entropy(y, z, normed=True),
        "dqn_cosine": cosine_pairwise_loss,
    }[name]
    # Only the diagonal differs: cos(z0, z0) is 1 for the orthogonal row, 0 for the zero row.
    zero_value = float(loss(labels, outputs))
    orthogonal_value = float(loss(labels, orthogonal))
    assert np.isfinite(zero_value) and zero_value != orthogonal_value


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_non_zero_rows_keep_the_plain_division(name):
    # Without a zero row the guard must change nothing: compare with a NumPy cosine by hand for
    # one loss, and with a tiny-norm row (still positive) staying finite for all.
    outputs = _outputs(None)
    outputs[1] *= 1e-6
    assert np.isfinite(float(LOSSES[name](outputs)))


def test_dqn_cosine_matches_numpy_without_zero_rows():
    outputs = _outputs(None)
    norms = np.linalg.norm(outputs, axis=1)
    cosine = outputs @ outputs.T / np.outer(norms, norms)
    target = 2.0 * np.clip(LABELS @ LABELS.T, 0, 1) - 1.0
    expected = np.mean((target - cosine) ** 2)
    np.testing.assert_allclose(float(cosine_pairwise_loss(LABELS, outputs)), expected, rtol=1e-5)
