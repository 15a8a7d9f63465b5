"""Ready-made configurations used by the examples and benchmarks."""

from keras_hashing.backbones import SmallCNN
from keras_hashing.layers import RandomFlipCrop
from keras_hashing.models.dch import DCH

# Chosen on a validation split of the Fashion-MNIST training images (benchmarks/bench_dch.py
# --validation 1000), never on the query set.
FASHION_MNIST_BACKBONE = {"filters": (32, 64, 128), "units": 512, "dropout": 0.5}


def fashion_mnist_backbone():
    """The SmallCNN configuration the Fashion-MNIST runs use."""
    return SmallCNN(**FASHION_MNIST_BACKBONE)


def fashion_mnist_dch(code_length, gamma=20.0, q_lambda=0.0, seed=None, **kwargs):
    """DCH on 28x28 grayscale images: random flip + 2-pixel shifts, then `SmallCNN`.

    The flip-and-shift preprocessor plays the role of the original's random flip and 227 crop.
    """
    return DCH(fashion_mnist_backbone(), code_length, gamma=gamma, q_lambda=q_lambda,
               preprocessor=RandomFlipCrop(padding=2, seed=seed), num_labels=10, name="dch",
               **kwargs)
