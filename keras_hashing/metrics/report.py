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


# The keys of DQN's and DVSQ's `validation` (thulab/DeepHash DeepHash/model/dqn/dqn.py); DTQ's
# are ("map_feature_ip", "map_AQD_ip", "map_SQD_ip").
QUANTIZED_REPORT_KEYS = ("i2i_nocq", "i2i_AQD", "i2i_SQD")


def quantized_report(
    query_outputs: ArrayLike,
    query_codes: ArrayLike,
    database_outputs: ArrayLike,
    database_codes: ArrayLike,
    codebook: ArrayLike,
    query_labels: ArrayLike,
    database_labels: ArrayLike,
    top_k: int | None,
    keys: tuple = QUANTIZED_REPORT_KEYS,
    tie_break: str = "index",
) -> dict:
    """The three numbers `MAPs_CQ` reports for DQN, DVSQ and DTQ, under the original keys.

    thulab/DeepHash DeepHash/model/dqn/dqn.py (and dvsq.py, dtq.py), `validation`: mAP@R of
    the raw outputs ranked by inner product (`get_mAPs_by_feature`), of the raw query outputs
    against the database reconstructions `B_x C` (`get_mAPs_AQD`), and of the query
    reconstructions against the database ones (`get_mAPs_SQD`). A query with no relevant item
    in its top `top_k` is skipped, as the original skips it (`map_at_r`).

    Args:
        query_outputs, database_outputs: `(Q, D)` and `(N, D)` real outputs.
        query_codes, database_codes: `(Q, M)` / `(N, M)` codeword indices or `(., M*K)`
            one-hot codes.
        codebook: `(M*K, D)` stacked codewords `C`.
        query_labels, database_labels: multi-hot label matrices.
        top_k: int or None (the whole database), the R of mAP@R.
        keys: the names of the three numbers (by feature, AQD, SQD); default DQN's and DVSQ's
            `("i2i_nocq", "i2i_AQD", "i2i_SQD")`.
        tie_break: "index" (default) or "numpy"; see `map_at_r`.

    Returns:
        dict `{keys[0]: by feature, keys[1]: AQD, keys[2]: SQD}` of floats (NaN where no query
        has a relevant item in its top `top_k`).

    Example:
    >>> C = np.array([[1.0, 0.0], [0.0, 1.0]]); codes = np.array([[0], [1]])
    >>> quantized_report(np.array([[0.9, 0.2]]), np.array([[0]]), np.array([[1.0, 0.1],
    ...     [0.1, 1.0]]), codes, C, [[1]], [[1], [0]], top_k=2)
    {'i2i_nocq': 1.0, 'i2i_AQD': 1.0, 'i2i_SQD': 1.0}
    """
    from keras_hashing.metrics import map_at_r
    from keras_hashing.metrics import map_quantized

    if len(keys) != 3:
        raise ValueError(
            f"quantized_report: `keys` names the by-feature, AQD and SQD numbers, so it needs 3 "
            f"names; found {len(keys)}: {keys!r}."
        )
    features = (query_outputs, query_labels, database_outputs, database_labels, top_k)
    quantized = (query_outputs, query_codes, database_codes, codebook, query_labels)
    return {
        keys[0]: float(map_at_r(*features, tie_break=tie_break)),
        keys[1]: float(
            map_quantized(*quantized, database_labels, top_k, mode="AQD", tie_break=tie_break)
        ),
        keys[2]: float(
            map_quantized(*quantized, database_labels, top_k, mode="SQD", tie_break=tie_break)
        ),
    }
