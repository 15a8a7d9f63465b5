"""Cross-modal curves: precision@top-R and Hamming-radius PR for I->T and T->I, and their figure."""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np
from numpy.typing import ArrayLike

from keras_hashing.metrics import _core
from keras_hashing.metrics.cross_modal import precision_at_top_r
from keras_hashing.metrics.retrieval import precision_recall_curves

DIRECTIONS = (("i2t", "image->text"), ("t2i", "text->image"))
CURVE_KEYS = ("top_r", "precision_at_r", "pr_precision", "pr_recall")


def _default_top_r(num_database):
    """About 20 cutoffs from 1 to min(1000, N), as ints without repeats."""
    if num_database < 1:
        raise ValueError(f"the database must hold at least one item, found {num_database}.")
    return np.unique(np.linspace(1, min(1000, num_database), 20).round().astype(np.int64))


def _direction(query_codes, query_labels, database_codes, database_labels, top_k):
    top_k = _default_top_r(len(database_codes)) if top_k is None else np.atleast_1d(top_k)
    precision_at_r = precision_at_top_r(
        query_codes, query_labels, database_codes, database_labels, top_k
    )
    pr_precision, pr_recall, _ = precision_recall_curves(
        query_codes, query_labels, database_codes, database_labels
    )
    return {
        "top_r": np.asarray(top_k, dtype=np.int64),
        "precision_at_r": precision_at_r,
        "pr_precision": pr_precision,
        "pr_recall": pr_recall,
    }


@_core.renamed_arguments(top_r="top_k")
def cross_modal_curves(
    image_codes: ArrayLike,
    image_labels: ArrayLike,
    text_codes: ArrayLike,
    text_labels: ArrayLike,
    database_image_codes: ArrayLike,
    database_image_labels: ArrayLike,
    database_text_codes: ArrayLike,
    database_text_labels: ArrayLike,
    top_k: int | ArrayLike | None = None,
) -> dict:
    """Precision@top-R and Hamming-radius precision-recall curves for I->T and T->I.

    I->T ranks the database text codes for each query image code, T->I the database image codes
    for each query text code, through `precision_at_top_r` (ties in database-index order) and
    `precision_recall_curves` (precision and recall within every Hamming radius 0..D). Codes
    are signed with `sign(0) = +1`.

    Args:
        image_codes: `(Q, K)` query image codes or real outputs.
        image_labels: `(Q, L)` 0/1 labels of the query images.
        text_codes: `(Q', K)` query text codes or real outputs.
        text_labels: `(Q', L)` 0/1 labels of the query texts.
        database_image_codes: `(N, K)` database image codes.
        database_image_labels: `(N, L)` labels of the database images.
        database_text_codes: `(N', K)` database text codes.
        database_text_labels: `(N', L)` labels of the database texts.
        top_k: optional int or sequence of ints, the cut-offs (the R of precision@top-R);
            default about 20 values from 1 to min(1000, database size) for each direction. The
            keyword `top_r` is a deprecated alias.

    Returns:
        `{"i2t": curves, "t2i": curves}`, each `curves` a dict of float64/int64 arrays:
        `top_r` (the cut-offs used; the key keeps its name), `precision_at_r` (one per
        cut-off), `pr_precision` and `pr_recall` (one per radius 0..D; recall is NaN where a
        query has no relevant item, as `precision_recall_curves`).

    Example:
    >>> curves = cross_modal_curves(qi, ql, qt, ql, di, dl, dt, dl)  # doctest: +SKIP
    >>> plot_cross_modal_curves(curves, "cross_modal_curves.png")  # doctest: +SKIP
    'cross_modal_curves.png'

    References:
        DJSRH (Su et al., ICCV 2019) README's precision@top-R curves; thulab/DeepHash,
        `MAPs.get_precision_recall_by_Hamming_Radius_All`.
    """
    return {
        "i2t": _direction(
            image_codes, image_labels, database_text_codes, database_text_labels, top_k
        ),
        "t2i": _direction(
            text_codes, text_labels, database_image_codes, database_image_labels, top_k
        ),
    }


def _check_curves(curves):
    if not isinstance(curves, dict) or any(key not in curves for key, _ in DIRECTIONS):
        found = sorted(curves) if isinstance(curves, dict) else type(curves).__name__
        raise ValueError(f"`curves` must be a dict with keys 'i2t' and 't2i', found {found}.")
    checked = {}
    for key, _ in DIRECTIONS:
        part = curves[key]
        missing = [name for name in CURVE_KEYS if name not in part]
        if missing:
            raise ValueError(f"`curves['{key}']` must hold {CURVE_KEYS}, missing {missing}.")
        values = {name: np.asarray(part[name], dtype=np.float64) for name in CURVE_KEYS}
        for name, array in values.items():
            if array.ndim != 1 or array.size == 0:
                raise ValueError(
                    f"`curves['{key}']['{name}']` must be a non-empty 1-D array, "
                    f"found shape {array.shape}."
                )
        for first, second in (("top_r", "precision_at_r"), ("pr_precision", "pr_recall")):
            if len(values[first]) != len(values[second]):
                raise ValueError(
                    f"`curves['{key}']`: `{first}` and `{second}` must have the same length, "
                    f"found {len(values[first])} and {len(values[second])}."
                )
        checked[key] = values
    return checked


def plot_cross_modal_curves(
    curves: dict[str, Mapping[str, ArrayLike]], path: str, title: str | None = None
) -> str:
    """Writes a PNG of the precision@top-R and PR curves, I->T and T->I side by side.

    Uses Matplotlib's Agg canvas directly, so the global backend is left alone and no display
    is needed. The top row is precision against R, the bottom row precision against recall
    over Hamming radii 0..D; the left column is image->text, the right text->image.

    Args:
        curves: the dict returned by `cross_modal_curves`.
        path: str, the PNG file to write (its folder is created).
        title: optional str, a figure title.

    Returns:
        `path`.

    Example:
    >>> curves = cross_modal_curves(qi, ql, qt, ql, di, dl, dt, dl)  # doctest: +SKIP
    >>> plot_cross_modal_curves(curves, "cross_modal_curves.png")  # doctest: +SKIP
    'cross_modal_curves.png'

    References:
        DJSRH (Su et al., ICCV 2019) README's precision@top-R curves; thulab/DeepHash,
        DCH's `get_precision_recall_by_Hamming_Radius_All` plots.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    checked = _check_curves(curves)
    figure = Figure(figsize=(10, 8))
    FigureCanvasAgg(figure)
    axes = figure.subplots(2, 2)
    for column, (key, label) in enumerate(DIRECTIONS):
        values = checked[key]
        axis = axes[0, column]
        axis.plot(values["top_r"], values["precision_at_r"], marker="o", markersize=3)
        axis.set_xlabel("R (top retrieved)")
        axis.set_ylabel("precision")
        axis.set_title(f"{label}: precision@top-R")
        axis.grid(True, alpha=0.3)
        axis = axes[1, column]
        axis.plot(values["pr_recall"], values["pr_precision"], marker="o", markersize=3)
        axis.set_xlabel("recall")
        axis.set_ylabel("precision")
        axis.set_title(f"{label}: precision-recall (radius 0..D)")
        axis.grid(True, alpha=0.3)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    figure.savefig(path, format="png", dpi=80)
    return path
