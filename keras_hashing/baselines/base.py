"""Shared machinery of the linear unsupervised hashing baselines (NumPy only).

Each baseline learns a mean `mu` (D,) and a projection `W` (D, bits) from training features and
encodes `x` as `sign((x - mu) W)`, with `sign(0) = +1` so that every bit is -1 or +1.
"""

from __future__ import annotations

import json
import os
from typing import TypeVar

import numpy as np
from numpy.typing import ArrayLike

from keras_hashing import validation

__all__ = ["LinearHashing"]

_FORMAT_VERSION = 1

_Baseline = TypeVar("_Baseline", bound="LinearHashing")


def check_features(
    features: ArrayLike,
    name: str = "features",
    dims: int | None = None,
    where: str = "LinearHashing",
) -> np.ndarray:
    """Returns `features` as a finite float64 `(N, D)` array, or raises a `ValueError`."""
    array = np.asarray(features)
    if array.ndim != 2:
        raise ValueError(
            f"{where}: `{name}` must be a 2-D (N, D) array, found shape {array.shape}."
        )
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f"{where}: `{name}` must be non-empty, found shape {array.shape}.")
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_):
        raise ValueError(f"{where}: `{name}` must be numeric, found dtype {array.dtype}.")
    array = array.astype(np.float64, copy=False)
    if not np.all(np.isfinite(array)):
        bad = np.argwhere(~np.isfinite(array))[0]
        raise ValueError(
            f"{where}: `{name}` must be finite, found {array[tuple(bad)]} at "
            f"row {bad[0]}, column {bad[1]}."
        )
    if dims is not None and array.shape[1] != dims:
        raise ValueError(
            f"{where}: `{name}` must have {dims} columns (the fitted dimension), "
            f"found shape {array.shape}."
        )
    return array


def top_principal_directions(centred: np.ndarray, count: int) -> np.ndarray:
    """The `count` leading eigenvectors (D, count) of `centred.T @ centred`, largest first.

    Each column's sign is fixed so that its largest-magnitude entry is positive: LAPACK may
    return either sign, and a fixed convention makes codes reproducible across machines.
    """
    covariance = centred.T @ centred / max(len(centred) - 1, 1)
    _, vectors = np.linalg.eigh(covariance)  # ascending eigenvalues
    directions = vectors[:, ::-1][:, :count]
    pivots = np.argmax(np.abs(directions), axis=0)
    signs = np.sign(directions[pivots, np.arange(count)])
    signs[signs == 0] = 1.0
    return directions * signs


class LinearHashing:
    """Base class: `fit` learns `mean_` and `projection_`; `encode` returns int8 {-1, +1} codes.

    Subclasses implement `_fit(centred)` returning the (D, bits) projection and may keep extra
    fitted arrays in `_extra_state()` / `_set_extra_state()`, which `save` and `load` carry.

    Args:
        code_length: int, the number of bits.
    """

    #: Name used by `keras_hashing.baselines.get` and in the saved files.
    name = "linear"
    #: Whether `code_length` may exceed the feature dimension.
    allows_more_bits_than_dims = False

    def __init__(self, code_length: int):
        self.code_length = validation.positive_int(
            "code_length", code_length, type(self).__name__
        )
        self.mean_ = None
        self.projection_ = None

    # -- fitting and encoding -------------------------------------------------------------------
    def fit(self: _Baseline, features: ArrayLike) -> _Baseline:
        """Learns the mean and projection from `(N, D)` training features; returns `self`."""
        where = f"{type(self).__name__}.fit"
        features = check_features(features, where=where)
        num, dims = features.shape
        if self.code_length > dims and not self.allows_more_bits_than_dims:
            raise ValueError(
                f"{where}: `code_length`={self.code_length} exceeds the feature "
                f"dimension {dims}; at most {dims} bits are possible."
            )
        if num < 2:
            raise ValueError(f"{where}: need at least 2 training samples, found {num}.")
        self.mean_ = features.mean(axis=0)
        self.projection_ = np.asarray(self._fit(features - self.mean_), dtype=np.float64)
        return self

    def _fit(self, centred):  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def fitted(self) -> bool:
        """Whether `fit` (or `load`) has set the projection."""
        return self.projection_ is not None

    def project(self, features: ArrayLike) -> np.ndarray:
        """Real-valued projections `(x - mean_) @ projection_`, float64 `(N, bits)`."""
        if not self.fitted:
            raise ValueError(f"{type(self).__name__}: call `fit(features)` before encoding.")
        features = check_features(
            features, dims=len(self.mean_), where=f"{type(self).__name__}.encode"
        )
        return (features - self.mean_) @ self.projection_

    def encode(self, features: ArrayLike, batch_size: int = 8192) -> np.ndarray:
        """Codes of `(N, D)` features: int8 `(N, bits)` in {-1, +1} (`sign(0) = +1`).

        Args:
            features: array `(N, D)` with the training dimension `D`.
            batch_size: int, default 8192, rows projected at once (bounds float64 memory).

        Returns:
            int8 array `(N, code_length)`.
        """
        if not self.fitted:
            raise ValueError(f"{type(self).__name__}: call `fit(features)` before encoding.")
        features = np.asarray(features)
        if features.ndim != 2:
            raise ValueError(
                f"{type(self).__name__}.encode: `features` must be a 2-D (N, D) "
                f"array, found shape {features.shape}."
            )
        codes = np.empty((len(features), self.code_length), dtype=np.int8)
        for start in range(0, len(features), int(batch_size)):
            chunk = self.project(features[start : start + int(batch_size)])
            codes[start : start + len(chunk)] = np.where(chunk >= 0, 1, -1)
        return codes

    def __call__(self, features: ArrayLike) -> np.ndarray:
        """Same as `encode`: the fitted baseline as a `features -> codes` function."""
        return self.encode(features)

    # -- configuration and persistence ---------------------------------------------------------
    def get_config(self):
        """Constructor arguments, JSON-serialisable."""
        return {"code_length": self.code_length}

    @classmethod
    def from_config(cls, config):
        """A new, unfitted instance from `get_config()`'s dictionary."""
        return cls(**config)

    def _extra_state(self):
        return {}

    def _set_extra_state(self, state):
        pass

    def save(self, path: str | os.PathLike) -> None:
        """Writes config and fitted arrays to a `.npz` file (NumPy only, no pickle)."""
        if not self.fitted:
            raise ValueError(f"{type(self).__name__}: nothing to save, call `fit` first.")
        header = {"class": self.name, "format": _FORMAT_VERSION, "config": self.get_config()}
        arrays = {"mean": self.mean_, "projection": self.projection_}
        arrays.update({f"extra_{key}": value for key, value in self._extra_state().items()})
        with open(os.fspath(path), "wb") as handle:
            np.savez(handle, header=np.array(json.dumps(header)), **arrays)

    @classmethod
    def load(cls: type[_Baseline], path: str | os.PathLike) -> _Baseline:
        """Reads a file written by `save`. Called on the base class, it picks the right subclass."""
        from keras_hashing.baselines import registry

        path = os.fspath(path)
        if not os.path.isfile(path):
            raise ValueError(f"Baseline file {path} does not exist.")
        with np.load(path, allow_pickle=False) as data:
            if "header" not in data.files:
                raise ValueError(f"Baseline file {path}: no `header` entry; not written by save().")
            header = json.loads(str(data["header"]))
            arrays = {key: data[key] for key in data.files if key != "header"}
        target = registry.get_class(header.get("class", ""))
        if cls is not LinearHashing and not issubclass(target, cls):
            raise ValueError(
                f"Baseline file {path} holds a {target.__name__}, not a {cls.__name__}."
            )
        instance = target.from_config(header["config"])
        instance.mean_ = arrays.pop("mean")
        instance.projection_ = arrays.pop("projection")
        expected = (len(instance.mean_), instance.code_length)
        if instance.projection_.shape != expected:
            raise ValueError(
                f"Baseline file {path}: projection has shape "
                f"{instance.projection_.shape}, expected {expected}."
            )
        instance._set_extra_state({key[len("extra_") :]: value for key, value in arrays.items()})
        return instance

    def __repr__(self):
        args = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({args})"
