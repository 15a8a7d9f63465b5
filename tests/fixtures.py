"""Fixtures of the spec's golden values (shared/specs/deephash.md §12), built as described."""

import numpy as np


def pairwise_fixture_a():
    """§12.1 fixture A: outputs z (6, 8) and multi-hot labels y (6, 4)."""
    rs = np.random.RandomState(0)
    outputs = rs.uniform(-1, 1, (6, 8)).astype("float32")
    labels = (rs.uniform(0, 1, (6, 4)) < 0.4).astype("float32")
    labels[labels.sum(axis=1) == 0, 0] = 1
    return outputs, labels


def one_hot_codes(seed, num_rows, num_codebooks, num_codewords):
    """The §12 `codes(seed, N, M, K)` generator."""
    rs = np.random.RandomState(seed)
    codes = np.zeros((num_rows, num_codebooks * num_codewords), "float32")
    for i in range(num_rows):
        for m in range(num_codebooks):
            codes[i, m * num_codewords + rs.randint(num_codewords)] = 1
    return codes
