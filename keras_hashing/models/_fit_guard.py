"""`fit` that stops on a non-finite loss by default, for every model of the package."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING
from typing import Any

from keras_hashing.callbacks.training import TerminateOnNonFiniteLoss

if TYPE_CHECKING:
    import keras


class NonFiniteLossGuard:
    """Mixin placed before `keras.Model`: `fit` adds `TerminateOnNonFiniteLoss` unless given.

    The hashing losses can overflow (a large `alpha` in DHN's unstable form, a learning rate too
    high for DCH's Cauchy term); plain `keras.Model.fit` then trains on NaN weights to the end
    and saves them. With this guard, the README's plain `model.fit(...)` stops at the first
    non-finite loss with an error saying where, as the example scripts do. Pass your own
    `TerminateOnNonFiniteLoss` (or Keras' `TerminateOnNaN`) to change the behaviour.
    """

    def fit(
        self,
        *args: Any,
        callbacks: Iterable[keras.callbacks.Callback] | None = None,
        **kwargs: Any,
    ) -> keras.callbacks.History:
        callbacks = list(callbacks or [])
        if not any(_is_nan_guard(callback) for callback in callbacks):
            callbacks.insert(0, TerminateOnNonFiniteLoss())
        return super().fit(*args, callbacks=callbacks, **kwargs)


def _is_nan_guard(callback: keras.callbacks.Callback) -> bool:
    import keras

    return isinstance(callback, (TerminateOnNonFiniteLoss, keras.callbacks.TerminateOnNaN))
