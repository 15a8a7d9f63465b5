"""cross_modal_curves against per-query loops, and plot_cross_modal_curves writing a PNG."""

import numpy as np
import pytest

from keras_hashing import metrics


def signs(x):
    return np.where(np.asarray(x) >= 0, 1, -1)


def direction_loop(query, query_labels, database, database_labels, top_r):
    # One query at a time: Hamming of the signs, ties in database-index order.
    bits = query.shape[1]
    precision_at_r = np.zeros(len(top_r))
    pr = np.zeros((2, bits + 1))
    for q, labels in zip(signs(query), query_labels):
        distances = [int(np.sum(q != x)) for x in signs(database)]
        relevant = [bool(labels @ y > 0) for y in database_labels]
        order = sorted(range(len(database)), key=lambda j: (distances[j], j))
        for i, r in enumerate(top_r):
            precision_at_r[i] += sum(relevant[j] for j in order[:r]) / r
        num_relevant = sum(relevant)
        for radius in range(bits + 1):
            within = [j for j in range(len(database)) if distances[j] <= radius]
            if not within:
                continue
            hits = sum(relevant[j] for j in within)
            pr[0, radius] += hits / len(within)
            pr[1, radius] += hits / num_relevant if num_relevant else np.nan
    return {
        "top_r": np.asarray(top_r),
        "precision_at_r": precision_at_r / len(query),
        "pr_precision": pr[0] / len(query),
        "pr_recall": pr[1] / len(query),
    }


def tiny(seed=0):
    rng = np.random.default_rng(seed)
    bits, labels = 6, 3
    parts = {}
    for name, rows in (("qi", 5), ("qt", 4), ("di", 9), ("dt", 8)):
        # Few distinct values, so Hamming ties occur; exact zeros sign to +1.
        parts[name] = rng.integers(-1, 2, (rows, bits)).astype(np.float32)
        parts[name + "_labels"] = (rng.random((rows, labels)) < 0.4).astype(np.float32)
    return parts


def test_curves_match_the_loops():
    p = tiny()
    curves = metrics.cross_modal_curves(
        p["qi"], p["qi_labels"], p["qt"], p["qt_labels"],
        p["di"], p["di_labels"], p["dt"], p["dt_labels"],
        top_k=[1, 2, 3, 5, 8],
    )  # fmt: skip
    expected = {
        "i2t": direction_loop(p["qi"], p["qi_labels"], p["dt"], p["dt_labels"], [1, 2, 3, 5, 8]),
        "t2i": direction_loop(p["qt"], p["qt_labels"], p["di"], p["di_labels"], [1, 2, 3, 5, 8]),
    }
    assert set(curves) == {"i2t", "t2i"}
    for key in ("i2t", "t2i"):
        assert set(curves[key]) == set(expected[key])
        for name, values in expected[key].items():
            np.testing.assert_allclose(curves[key][name], values, rtol=1e-12, err_msg=name)


def test_curves_default_grid_and_full_relevance():
    p = tiny(1)
    # Every query has a label and shares it with database item 0, so no recall is NaN.
    for name in ("qi_labels", "qt_labels"):
        p[name][p[name].sum(axis=1) == 0, 0] = 1.0
    p["di_labels"][0] = 1.0
    p["dt_labels"][0] = 1.0
    curves = metrics.cross_modal_curves(
        p["qi"], p["qi_labels"], p["qt"], p["qt_labels"],
        p["di"], p["di_labels"], p["dt"], p["dt_labels"],
    )  # fmt: skip
    assert curves["i2t"]["top_r"].tolist() == [1, 2, 3, 4, 5, 6, 7, 8]
    assert curves["t2i"]["top_r"].tolist() == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    for key, query, labels, database, database_labels in (
        ("i2t", p["qi"], p["qi_labels"], p["dt"], p["dt_labels"]),
        ("t2i", p["qt"], p["qt_labels"], p["di"], p["di_labels"]),
    ):
        expected = direction_loop(query, labels, database, database_labels, curves[key]["top_r"])
        for name, values in expected.items():
            np.testing.assert_allclose(curves[key][name], values, rtol=1e-12, err_msg=name)
        assert curves[key]["pr_recall"][-1] == pytest.approx(1.0)


def test_plot_file_written(tmp_path):
    p = tiny(2)
    curves = metrics.cross_modal_curves(
        p["qi"], p["qi_labels"], p["qt"], p["qt_labels"],
        p["di"], p["di_labels"], p["dt"], p["dt_labels"],
    )  # fmt: skip
    path = tmp_path / "sub" / "cross_modal_curves.png"
    assert metrics.plot_cross_modal_curves(curves, str(path), title="tiny") == str(path)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000


def test_plot_rejects_malformed_curves(tmp_path):
    path = str(tmp_path / "x.png")
    with pytest.raises(ValueError, match="'i2t' and 't2i'"):
        metrics.plot_cross_modal_curves({"i2t": {}}, path)
    part = {"top_r": [1, 2], "precision_at_r": [1.0], "pr_precision": [1.0], "pr_recall": [1.0]}
    with pytest.raises(ValueError, match="same length"):
        metrics.plot_cross_modal_curves({"i2t": part, "t2i": part}, path)
    with pytest.raises(ValueError, match="missing"):
        metrics.plot_cross_modal_curves({"i2t": {"top_r": [1]}, "t2i": part}, path)
