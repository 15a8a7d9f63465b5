"""Names every doctest of the package may use without importing them (run by the test command:
`pytest --doctest-modules keras_hashing`)."""

import keras
import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _doctest_names(doctest_namespace):
    doctest_namespace["np"] = np
    doctest_namespace["keras"] = keras
