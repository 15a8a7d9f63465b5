"""The end-of-run table and the collapsed-codes warning."""

import numpy as np
import pytest

from keras_hashing.metrics import collapse_warning
from keras_hashing.metrics import count_distinct_codes
from keras_hashing.metrics import format_table


def test_table_rounds_floats_and_keeps_the_keys_in_order():
    table = format_table({"b_map": 0.123456789, "a_count": 3, "name": "dch"}, title="DCH")
    lines = table.splitlines()
    assert lines[0] == "DCH"
    assert [line.split()[0] for line in lines[3:]] == ["b_map", "a_count", "name"]
    assert lines[3].split()[1] == "0.1235" and lines[4].split()[1] == "3"
    assert format_table({"x": 0.5}, digits=2).splitlines()[-1].split()[1] == "0.50"


def test_distinct_codes_by_sign_in_every_code_format():
    codes = np.array([[1, -1, 1], [1, -1, 1], [-1, -1, 1]])
    assert count_distinct_codes(codes) == 2
    assert count_distinct_codes((codes > 0).astype(np.uint8)) == 2
    assert count_distinct_codes(codes * 0.3) == 2
    assert count_distinct_codes(np.zeros((0, 3))) == 0
    with pytest.raises(ValueError, match="2-D"):
        count_distinct_codes(np.ones(3))


def test_collapse_warning_below_the_class_count_only():
    rng = np.random.default_rng(0)
    assert collapse_warning(np.sign(rng.normal(size=(50, 16))), 10) is None
    collapsed = np.tile(np.sign(rng.normal(size=(3, 16))), (20, 1))
    message = collapse_warning(collapsed, 10)
    assert "60 codes hold 3 distinct values for 10 classes" in message
