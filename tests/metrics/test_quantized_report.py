"""`quantized_report`: DQN/DVSQ/DTQ's `MAPs_CQ` figures (by feature, AQD, SQD) under their keys."""

import numpy as np
import pytest

from keras_hashing import metrics
from tests.metrics import oracles


def inner_product(q, x):
    return -float(np.dot(q, x))


def quantized_case(seed=0, num_query=6, num_database=30, dim=4, codebooks=2, codewords=3):
    rng = np.random.default_rng(seed)
    codebook = rng.normal(size=(codebooks * codewords, dim)).astype(np.float32)
    query_codes = rng.integers(0, codewords, (num_query, codebooks))
    database_codes = rng.integers(0, codewords, (num_database, codebooks))
    query = rng.normal(size=(num_query, dim)).astype(np.float32)
    database = rng.normal(size=(num_database, dim)).astype(np.float32)
    query_labels = np.eye(3)[rng.integers(0, 3, num_query)]
    database_labels = np.eye(3)[rng.integers(0, 3, num_database)]
    # The last query's label is in no database item: the original skips it, never counts a 0.
    query_labels[-1] = 0
    return query, query_codes, database, database_codes, codebook, query_labels, database_labels


def reconstruct(codes, codebook, codewords=3):
    return codebook[codes + np.arange(codes.shape[1]) * codewords].sum(axis=1)


@pytest.mark.parametrize("top_k", [5, 30])
def test_three_figures_match_the_loop_oracle_and_skip_queries_without_hits(top_k):
    q, qc, x, xc, codebook, ql, xl = quantized_case()
    report = metrics.quantized_report(q, qc, x, xc, codebook, ql, xl, top_k)
    assert list(report) == ["i2i_nocq", "i2i_AQD", "i2i_SQD"]
    q_recon, x_recon = reconstruct(qc, codebook), reconstruct(xc, codebook)
    expected = {
        "i2i_nocq": oracles.map_at_r(q, ql, x, xl, top_k, inner_product),
        "i2i_AQD": oracles.map_at_r(q, ql, x_recon, xl, top_k, inner_product),
        "i2i_SQD": oracles.map_at_r(q_recon, ql, x_recon, xl, top_k, inner_product),
    }
    for key, value in expected.items():
        np.testing.assert_allclose(report[key], value, rtol=1e-5, err_msg=key)
    # The query without a relevant item changes nothing: it is skipped, not counted as 0.
    without = metrics.quantized_report(q[:-1], qc[:-1], x, xc, codebook, ql[:-1], xl, top_k)
    assert report == pytest.approx(without)


def test_keys_name_the_figures_and_one_hot_codes_give_the_same_values():
    q, qc, x, xc, codebook, ql, xl = quantized_case(seed=1)
    keys = ("map_feature_ip", "map_AQD_ip", "map_SQD_ip")
    by_index = metrics.quantized_report(q, qc, x, xc, codebook, ql, xl, None, keys=keys)
    qh, xh = np.eye(3)[qc].reshape(len(qc), -1), np.eye(3)[xc].reshape(len(xc), -1)
    by_one_hot = metrics.quantized_report(q, qh, x, xh, codebook, ql, xl, None, keys)
    assert list(by_index) == list(keys)
    assert by_index == pytest.approx(by_one_hot)
    with pytest.raises(ValueError, match="needs 3 names; found 2"):
        metrics.quantized_report(q, qc, x, xc, codebook, ql, xl, None, keys=("a", "b"))


def test_no_query_with_a_hit_gives_nan():
    q, qc, x, xc, codebook, ql, xl = quantized_case(seed=2)
    report = metrics.quantized_report(q, qc, x, xc, codebook, np.zeros_like(ql), xl, 5)
    assert all(np.isnan(value) for value in report.values())
