"""The metric dictionaries the thulab/DeepHash entry points print."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from keras_hashing.metrics import _core


@_core.renamed_arguments(R="top_k")
def deephash_report(
    query_outputs: ArrayLike,
    query_labels: ArrayLike,
    database_outputs: ArrayLike,
    database_labels: ArrayLike,
    top_k: int | None,
    radius: int = 2,
    tie_break: str = "index",
    with_curves: bool = False,
) -> dict:
    """Every number `MAPs` reports for DHN and DCH, under the original keys.

    thulab/DeepHash DeepHash/model/dch/dch.py and DeepHash/model/dhn/dhn.py, `validation`.

    Args:
        query_outputs, database_outputs: real-valued outputs (tanh, 10-crop averaged).
        query_labels, database_labels: multi-hot label matrices.
        top_k: int or None, the mAP cut-off: how many ranked database items count, the R of
            the original's mAP@R (the whole database for Fashion-MNIST and CIFAR-10; None is
            the whole database). The keyword `R` is a deprecated alias.
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
        "i2i_by_feature": float(map_at_r(*args, top_k, tie_break=tie_break)),
        "i2i_after_sign": float(map_after_sign(*args, top_k, tie_break=tie_break)),
        f"i2i_prec_radius_{radius}": float(precision),
        f"i2i_recall_radius_{radius}": float(recall),
        f"i2i_map_radius_{radius}": float(radius_map),
    }
    if with_curves:
        report["curves"] = tuple(
            np.asarray(c) for c in precision_recall_curves(*args, tie_break=tie_break)
        )
    return report
