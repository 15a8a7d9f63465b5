"""Locality-sensitive hashing with Gaussian random projections of centred features."""

from __future__ import annotations

import numpy as np

from keras_hashing import validation
from keras_hashing.baselines.base import LinearHashing

__all__ = ["LSH"]


class LSH(LinearHashing):
    """Random-hyperplane LSH: `sign((x - mean) W)` with `W` drawn i.i.d. from `N(0, 1)`.

    `W` is `numpy.random.default_rng(seed).standard_normal((D, code_length))`, so a seed gives
    the same codes on every machine. Only the mean is learnt from the data. More bits than
    feature dimensions are allowed (the hyperplanes are merely linearly dependent).

    Args:
        code_length: int, the number of bits.
        seed: int or None, default 0. None draws fresh hyperplanes at every `fit`.

    Example:
        >>> x = np.random.default_rng(0).normal(size=(100, 16))
        >>> LSH(8, seed=0).fit(x).encode(x[:2]).shape
        (2, 8)

    References:
        Charikar, "Similarity estimation techniques from rounding algorithms", STOC 2002.
        Gionis, Indyk and Motwani, "Similarity search in high dimensions via hashing", VLDB 1999.
    """

    name = "lsh"
    allows_more_bits_than_dims = True

    def __init__(self, code_length: int, seed: int | None = 0):
        super().__init__(code_length)
        self.seed = None if seed is None else validation.integer("seed", seed, "LSH")

    def _fit(self, centred):
        rng = np.random.default_rng(self.seed)
        return rng.standard_normal((centred.shape[1], self.code_length))

    def get_config(self):
        return {"code_length": self.code_length, "seed": self.seed}
