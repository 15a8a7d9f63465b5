"""The metric dictionaries the thulab/DeepHash entry points print."""

import numpy as np


def deephash_report(
    query_outputs,
    query_labels,
    database_outputs,
    database_labels,
    R,
    radius=2,
    tie_break="index",
    with_curves=False,
):
    """Every number `MAPs` reports for DHN and DCH, under the original keys.

    thulab/DeepHash DeepHash/model/dch/dch.py and DeepHash/model/dhn/dhn.py, `validation`.

    Args:
        query_outputs, database_outputs: real-valued outputs (tanh, 10-crop averaged).
        query_labels, database_labels: multi-hot label matrices.
        R: int, the mAP cut-off (the whole database for Fashion-MNIST and CIFAR-10).
        radius: int, default 2, the Hamming radius of the precision/recall/mAP keys.
        tie_break: "index" (default) or "numpy"; see `map_at_r`.
        with_curves: also return the all-radius curves (DCH's plots) under `curves`.

    Returns:
        dict with `i2i_by_feature`, `i2i_after_sign`, `i2i_prec_radius_2`,
        `i2i_recall_radius_2`, `i2i_map_radius_2` (the radius in the key follows `radius`).
    """
    from keras_hashing.metrics import map_after_sign
    from keras_hashing.metrics import map_at_r
    from keras_hashing.metrics import precision_recall_at_radius
    from keras_hashing.metrics import precision_recall_curves

    args = (query_outputs, query_labels, database_outputs, database_labels)
    precision, recall, radius_map = precision_recall_at_radius(
        *args, radius=radius, tie_break=tie_break
    )
    report = {
        "i2i_by_feature": float(map_at_r(*args, R, tie_break=tie_break)),
        "i2i_after_sign": float(map_after_sign(*args, R, tie_break=tie_break)),
        f"i2i_prec_radius_{radius}": float(precision),
        f"i2i_recall_radius_{radius}": float(recall),
        f"i2i_map_radius_{radius}": float(radius_map),
    }
    if with_curves:
        report["curves"] = tuple(
            np.asarray(c) for c in precision_recall_curves(*args, tie_break=tie_break)
        )
    return report
