"""map_after_sign_device (keras.ops) equals the NumPy map_after_sign on every backend."""

import numpy as np
import pytest

from keras_hashing import metrics
from tests.metrics.fixtures_e import fixture_e


def test_golden_value_stable_column():
    f = fixture_e()
    value = metrics.map_after_sign_device(
        f["query"], f["query_labels"], f["database"], f["database_labels"], 10
    )
    np.testing.assert_allclose(value, 0.65913209, rtol=1e-5)


@pytest.mark.parametrize("R", [1, 7, 40, None])
def test_equals_numpy_on_heavy_ties(rng, R):
    query = rng.uniform(-1, 1, (9, 4)).astype(np.float32)
    database = rng.uniform(-1, 1, (40, 4)).astype(np.float32)
    database[3] = 0.0  # exact zeros: +1 on both paths
    query_labels = (rng.random((9, 3)) < 0.4).astype(int)
    database_labels = (rng.random((40, 3)) < 0.4).astype(int)
    args = (query, query_labels, database, database_labels, R)
    np.testing.assert_allclose(
        metrics.map_after_sign_device(*args, chunk_size=4), metrics.map_after_sign(*args), rtol=1e-6
    )
