"""`fit` that stops on a non-finite loss by default, for every model of the package."""

from keras_hashing.callbacks.training import TerminateOnNonFiniteLoss


class NonFiniteLossGuard:
    """Mixin placed before `keras.Model`: `fit` adds `TerminateOnNonFiniteLoss` unless given.

    The hashing losses can overflow (a large `alpha` in DHN's unstable form, a learning rate too
    high for DCH's Cauchy term); plain `keras.Model.fit` then trains on NaN weights to the end
    and saves them. With this guard, the README's plain `model.fit(...)` stops at the first
    non-finite loss with an error saying where, as the example scripts do. Pass your own
    `TerminateOnNonFiniteLoss` (or Keras' `TerminateOnNaN`) to change the behaviour.
    """

    def fit(self, *args, callbacks=None, **kwargs):
        callbacks = list(callbacks or [])
        if not any(_is_nan_guard(callback) for callback in callbacks):
            callbacks.insert(0, TerminateOnNonFiniteLoss())
        return super().fit(*args, callbacks=callbacks, **kwargs)


def _is_nan_guard(callback):
    import keras

    return isinstance(callback, (TerminateOnNonFiniteLoss, keras.callbacks.TerminateOnNaN))
