import os

import keras
import numpy as np
import pytest


def pytest_collection_modifyitems(config, items):
    if keras.backend.backend() == "tensorflow":
        return
    skip = pytest.mark.skip(reason="needs the TensorFlow backend (tf.data / tf.distribute)")
    for item in items:
        if "tensorflow_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _quiet_tf_logs():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    yield
