"""Shared tiny setup of the DCH/DHN tests."""

import keras
import numpy as np


def tiny_backbone():
    return keras.Sequential(
        [
            keras.layers.Input((6, 6, 1)),
            keras.layers.Flatten(),
            keras.layers.Dense(16, activation="relu", name="fc7"),
        ],
        name="tiny",
    )


def tiny_data(seed=0, n=32, num_labels=3):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, num_labels, n)
    images = rng.normal(size=(n, 6, 6, 1)).astype("float32") + labels[:, None, None, None]
    return images, np.eye(num_labels, dtype="float32")[labels]
