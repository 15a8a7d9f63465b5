"""What a run prints at its end: a metrics table, and a warning when the codes collapsed."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import ArrayLike


def format_table(
    report: Mapping[str, float | str], title: str | None = None, digits: int = 4
) -> str:
    """A two-column text table of `{metric: value}`, floats to `digits` decimals.

    Args:
        report: mapping of metric names to numbers (or strings).
        title: optional str, printed above the table.
        digits: int, default 4.

    Returns:
        The table as a str (no trailing newline).

    Example:
    >>> print(format_table({"i2i_after_sign": 0.85612, "encode_images_per_s": 1203.7}))
    metric               value
    -------------------  ---------
    i2i_after_sign       0.8561
    encode_images_per_s  1203.7000
    """
    rows = [(str(key), _format_value(value, digits)) for key, value in report.items()]
    width = max([len("metric")] + [len(key) for key, _ in rows])
    value_width = max([len("value")] + [len(value) for _, value in rows])
    lines = [] if title is None else [title]
    lines.append(f"{'metric':<{width}}  {'value'}")
    lines.append(f"{'-' * width}  {'-' * value_width}")
    lines += [f"{key:<{width}}  {value}" for key, value in rows]
    return "\n".join(lines)


def _format_value(value, digits):
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.{digits}f}"
    return str(value)


def count_distinct_codes(codes: ArrayLike) -> int:
    """Number of distinct rows of a `(N, D)` code array ({-1,+1}, {0,1} or real: by sign)."""
    codes = np.asarray(codes)
    if codes.ndim != 2:
        raise ValueError(f"codes must be a 2-D (N, D) array, found shape {codes.shape}.")
    if len(codes) == 0:
        return 0
    bits = np.packbits(codes > 0, axis=1)
    return len(np.unique(bits, axis=0))


def collapse_warning(codes: ArrayLike, num_classes: int) -> str | None:
    """A warning message when the codes have collapsed, else None.

    Codes have collapsed when there are fewer distinct codes than classes: some classes then
    share every code, and no ranking can separate them (a learning rate too high for the code
    length, a dead layer). The retrieval figures of such a run are not worth reading.

    Args:
        codes: `(N, D)` database codes (or outputs, taken by sign).
        num_classes: int, the number of classes (label width).

    Returns:
        str or None.

    Example:
    >>> collapse_warning(np.ones((100, 16)), 10)[:46]
    'WARNING: the 100 codes hold 1 distinct value f'
    >>> collapse_warning(np.eye(16)[:12] * 2 - 1, 10) is None
    True
    """
    distinct = count_distinct_codes(codes)
    if distinct >= int(num_classes):
        return None
    plural = "value" if distinct == 1 else "values"
    return (
        f"WARNING: the {len(codes)} codes hold {distinct} distinct {plural} for {num_classes} "
        "classes: the codes have collapsed (try a lower learning rate)"
    )
