"""Figures of the all-radius curves (DCH's precision/recall/mAP plots, `DCH.validation`)."""

from __future__ import annotations

import os

import numpy as np
from numpy.typing import ArrayLike


def plot_precision_recall_curves(
    precision: ArrayLike,
    recall: ArrayLike,
    map: ArrayLike,  # noqa: A002
    path: str,
    title: str | None = None,
) -> str:
    """Writes a PNG with precision, recall and mAP over Hamming radius, plus the PR curve.

    Uses Matplotlib's Agg canvas directly, so the global backend is left alone and no display
    is needed.

    Args:
        precision: length `D + 1` array, precision within radius 0..D.
        recall: length `D + 1` array, recall within radius 0..D.
        map: length `D + 1` array, mAP within radius 0..D (named as the original's `mAP` list).
        path: str, the PNG file to write (its folder is created).
        title: optional str, a figure title.

    Returns:
        `path`.

    Example:
    >>> p, r, m = precision_recall_curves(q, ql, x, xl)  # doctest: +SKIP
    >>> plot_precision_recall_curves(p, r, m, "curves.png")  # doctest: +SKIP
    'curves.png'

    References:
        thulab/DeepHash, DCH's `get_precision_recall_by_Hamming_Radius_All` plots.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    curves = {}
    for name, values in (("precision", precision), ("recall", recall), ("map", map)):
        values = np.asarray(values, dtype=np.float64)
        if values.ndim != 1 or values.size == 0:
            raise ValueError(
                f"`{name}` must be a non-empty 1-D array over radii, found shape {values.shape}."
            )
        curves[name] = values
    sizes = {name: len(values) for name, values in curves.items()}
    if len(set(sizes.values())) != 1:
        raise ValueError(
            f"precision, recall and map must have one value per radius each, found lengths {sizes}."
        )
    radius = np.arange(len(curves["precision"]))
    figure = Figure(figsize=(10, 8))
    FigureCanvasAgg(figure)
    axes = figure.subplots(2, 2)
    for axis, (name, label) in zip(
        axes.flat, (("precision", "precision"), ("recall", "recall"), ("map", "mAP"))
    ):
        axis.plot(radius, curves[name], marker="o", markersize=3)
        axis.set_xlabel("Hamming radius")
        axis.set_ylabel(label)
        axis.set_title(f"{label} within Hamming radius")
        axis.grid(True, alpha=0.3)
    axis = axes[1, 1]
    axis.plot(curves["recall"], curves["precision"], marker="o", markersize=3)
    axis.set_xlabel("recall")
    axis.set_ylabel("precision")
    axis.set_title("precision-recall (radius 0..D)")
    axis.grid(True, alpha=0.3)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    figure.savefig(path, format="png", dpi=80)
    return path
