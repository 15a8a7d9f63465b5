"""plot_precision_recall_curves writes a PNG of the all-radius curves."""

import numpy as np
import pytest

from keras_hashing import metrics
from tests.metrics.fixtures_e import fixture_e


def test_plot_file_written(tmp_path):
    f = fixture_e()
    curves = metrics.precision_recall_curves(
        f["query"], f["query_labels"], f["database"], f["database_labels"]
    )
    path = tmp_path / "sub" / "curves.png"
    assert metrics.plot_precision_recall_curves(*curves, str(path), title="fixture E") == str(path)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000


def test_plot_rejects_mismatched_curves(tmp_path):
    with pytest.raises(ValueError, match="lengths"):
        metrics.plot_precision_recall_curves(
            np.zeros(9), np.zeros(9), np.zeros(8), str(tmp_path / "x.png")
        )
    with pytest.raises(ValueError, match="1-D"):
        metrics.plot_precision_recall_curves(
            np.zeros((2, 9)), np.zeros(9), np.zeros(9), str(tmp_path / "x.png")
        )
