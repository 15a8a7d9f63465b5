"""Shared tiny setup of the DQN/DVSQ/DTQ tests."""

import numpy as np

from keras_hashing.backbones import SmallCNN
from keras_hashing.optimizers import deephash_optimizer


def tiny_data(n=32, classes=4, seed=0):
    rng = np.random.default_rng(seed)
    labels = np.eye(classes, dtype=np.float32)[np.arange(n) % classes]
    images = rng.random((n, 16, 16, 1)).astype(np.float32) * 0.2
    images[:, :4, :4, 0] += np.arange(n)[:, None, None] % classes  # a learnable class signal
    return images, labels


def backbone():
    return SmallCNN(input_shape=(16, 16, 1), filters=(4, 8), units=16)


def compiled(model_class, *args, **kwargs):
    """A built, compiled `model_class` keeping codes of 2 codebooks x 4 codewords for 32 samples."""
    model = model_class(
        backbone(),
        *args,
        num_train=32,
        num_codebooks=2,
        num_codewords=4,
        code_batch_size=16,
        **kwargs,
    )
    model.build((None, 16, 16, 1))
    model.compile(optimizer=deephash_optimizer(0.01, 500, 0.5))
    return model


class Interrupt(Exception):
    pass


def interrupt_after(steps):
    import keras

    class _Stop(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if int(keras.ops.convert_to_numpy(self.model.optimizer.iterations)) >= steps:
                raise Interrupt()

    return _Stop()
