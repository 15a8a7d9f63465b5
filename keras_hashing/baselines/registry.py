"""Look-up of the baselines by name: `get("itq", 32)`."""

from __future__ import annotations

from keras_hashing.baselines.base import LinearHashing
from keras_hashing.baselines.itq import ITQ
from keras_hashing.baselines.lsh import LSH
from keras_hashing.baselines.pcah import PCAH

__all__ = ["BASELINES", "get", "get_class"]

BASELINES = {"lsh": LSH, "pcah": PCAH, "itq": ITQ}


def get_class(name: str) -> type[LinearHashing]:
    """The baseline class called `name` (case-insensitive: "lsh", "pcah", "itq")."""
    key = str(name).lower()
    if key not in BASELINES:
        raise ValueError(f"Unknown baseline {name!r}; expected one of {sorted(BASELINES)}.")
    return BASELINES[key]


def get(name: str, code_length: int, **kwargs) -> LinearHashing:
    """A new, unfitted baseline: `get(name, code_length, **kwargs)`.

    The result is a `features -> codes` function once fitted: `fit` returns the baseline and
    calling it encodes.

    Args:
        name: str, "lsh", "pcah" or "itq" (case-insensitive).
        code_length: int, the number of bits.
        **kwargs: the class's other arguments (`seed` for LSH and ITQ, `n_iter` for ITQ).

    Returns:
        An `LSH`, `PCAH` or `ITQ` instance.

    Example:
        >>> x = np.random.default_rng(0).normal(size=(50, 16))
        >>> hasher = get("itq", 8).fit(x)
        >>> hasher(x).shape
        (50, 8)
    """
    return get_class(name)(code_length, **kwargs)
