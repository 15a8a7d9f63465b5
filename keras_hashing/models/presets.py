"""Ready-made configurations used by the examples and benchmarks."""

from keras_hashing.backbones import SmallCNN
from keras_hashing.layers import RandomFlipCrop
from keras_hashing.models.dch import DCH

# Chosen on a validation split of the Fashion-MNIST training images (benchmarks/bench_dch.py
# --validation 1000), never on the query set.
FASHION_MNIST_BACKBONE = {"filters": (32, 64, 128), "units": 512, "dropout": 0.5}


def fashion_mnist_backbone(**overrides):
    """The SmallCNN configuration the Fashion-MNIST runs use (`overrides` replace entries)."""
    return SmallCNN(**{**FASHION_MNIST_BACKBONE, **overrides})


def fashion_mnist_model(model_class, code_length, seed=None, backbone=None, **kwargs):
    """A single-modal hashing model for 28x28 grayscale images.

    Random flip + 2-pixel shifts (`RandomFlipCrop`, the analogue of the original's random flip
    and 227 crop) in front of `fashion_mnist_backbone()`.

    Args:
        model_class: a `HashingModel` subclass (`DCH`, `DHN`, ...).
        code_length: int, bits.
        seed: optional int for the augmentation.
        backbone: optional dict of `SmallCNN` arguments replacing the preset's.
        **kwargs: the model's own arguments (`gamma`, `alpha`, ...).
    """
    kwargs.setdefault("num_labels", 10)
    return model_class(
        fashion_mnist_backbone(**(backbone or {})),
        code_length,
        preprocessor=RandomFlipCrop(padding=2, seed=seed),
        **kwargs,
    )


def fashion_mnist_dch(code_length, gamma=20.0, q_lambda=0.0, seed=None, backbone=None, **kwargs):
    """DCH on 28x28 grayscale images (see `fashion_mnist_model`)."""
    kwargs.setdefault("name", "dch")
    return fashion_mnist_model(
        DCH, code_length, seed=seed, backbone=backbone, gamma=gamma, q_lambda=q_lambda, **kwargs
    )
