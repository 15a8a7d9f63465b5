"""Evaluation fixture E of spec §12.5, drawn exactly as described (RandomState(8), float64)."""

import numpy as np


def codes(seed, num_rows, num_codebooks, num_codewords):
    """Spec §12's codes(seed, N, M, K): one random codeword per codebook, one-hot, float32."""
    rs = np.random.RandomState(seed)
    out = np.zeros((num_rows, num_codebooks * num_codewords), dtype=np.float32)
    for i in range(num_rows):
        for m in range(num_codebooks):
            out[i, m * num_codewords + rs.randint(num_codewords)] = 1
    return out


def fixture_e():
    rs = np.random.RandomState(8)
    query = rs.uniform(-1, 1, (5, 8))
    database = rs.uniform(-1, 1, (40, 8))
    query_labels = (rs.uniform(0, 1, (5, 4)) < 0.3).astype(int)
    query_labels[query_labels.sum(1) == 0, 0] = 1
    database_labels = (rs.uniform(0, 1, (40, 4)) < 0.3).astype(int)
    database_labels[database_labels.sum(1) == 0, 1] = 1
    codebook = rs.uniform(-1, 1, (6, 8))
    return dict(
        query=query,
        database=database,
        query_labels=query_labels,
        database_labels=database_labels,
        codebook=codebook,
        query_codes=codes(9, 5, 2, 3),
        database_codes=codes(10, 40, 2, 3),
    )
