"""Ready-made configurations used by the examples and benchmarks."""

from keras_hashing.backbones import SmallCNN
from keras_hashing.layers import RandomFlipCrop
from keras_hashing.models.dch import DCH

# Chosen on a validation split of the Fashion-MNIST training images (benchmarks/bench_dch.py
# --validation 1000: 1 000 held-out training images against the protocol database less them),
# never on the query set. DCH at 32 bits, mAP@ALL after sign on that split: without weight decay
# 0.826, with 5e-4 0.823; gamma 40 instead of 20 0.824; both 0.834 (0.843 with 8 000 iterations
# and ten inference views).
FASHION_MNIST_BACKBONE = {
    "filters": (32, 64, 128),
    "units": 512,
    "dropout": 0.5,
    "weight_decay": 5e-4,
}

# Side of the square Cutout erases from each training image (`RandomFlipCrop(cutout=...)`). On
# the validation split (DCH, 32 bits, 8 000 iterations, ten views): none 0.843, 10 pixels 0.855,
# 14 pixels 0.853. A cosine learning-rate decay instead of the staircase gave 0.850 without
# Cutout and 0.856 with it, so the staircase of the original stays.
FASHION_MNIST_CUTOUT = 10

# DCH's Cauchy scale on Fashion-MNIST (the original's 20 = 5 Hamming bits, 10 collapsed to 0.34,
# 80 gave 0.822 on the validation split).
FASHION_MNIST_DCH_GAMMA = 40.0


def fashion_mnist_dch_learning_rate(code_length):
    """The preset's initial rate for DCH (TF1 momentum, x0.1 after 6 000 of 8 000 iterations).

    0.05 was chosen at 32 bits. At 16 bits it collapsed every code to one value on the
    validation split (mAP 0.100, with or without Cutout); 0.02 gave 0.807 there.
    """
    return 0.02 if int(code_length) < 32 else 0.05


def fashion_mnist_backbone(weights=None, **overrides):
    """The SmallCNN configuration the Fashion-MNIST runs use (`overrides` replace entries).

    `weights`: optional `.weights.h5` file of the same configuration to start from, e.g. one
    written by `benchmarks/pretrain_small_cnn.py` (`keras_hashing.backbones.pretrain_classifier`).
    """
    backbone = SmallCNN(**{**FASHION_MNIST_BACKBONE, **overrides})
    if weights is not None:
        backbone.load_weights(weights)
    return backbone


def fashion_mnist_preprocessor(seed=None, inference_views=1, cutout=FASHION_MNIST_CUTOUT):
    """The preset's augmentation: random flip, 2-pixel shifts and Cutout (`RandomFlipCrop`)."""
    return RandomFlipCrop(padding=2, seed=seed, inference_views=inference_views, cutout=cutout)


def fashion_mnist_model(
    model_class,
    code_length,
    seed=None,
    backbone=None,
    inference_views=1,
    cutout=FASHION_MNIST_CUTOUT,
    backbone_weights=None,
    **kwargs,
):
    """A single-modal hashing model for 28x28 grayscale images.

    Random flip + 2-pixel shifts (`RandomFlipCrop`, the analogue of the original's random flip
    and 227 crop) and Cutout in front of `fashion_mnist_backbone()`.

    Args:
        model_class: a `HashingModel` subclass (`DCH`, `DHN`, ...).
        code_length: int, bits.
        seed: optional int for the augmentation.
        backbone: optional dict of `SmallCNN` arguments replacing the preset's.
        inference_views: 1 (default) or 10: encode each image as the mean output over the four
            corner and the centre crop of the padded image and their mirrors, the analogue of
            the original's 10-crop evaluation (ten times the encoding cost).
        cutout: side of the square erased from each training image (0: none).
        backbone_weights: optional `.weights.h5` file to start the backbone from (see
            `fashion_mnist_backbone`).
        **kwargs: the model's own arguments (`gamma`, `alpha`, ...).
    """
    kwargs.setdefault("num_labels", 10)
    return model_class(
        fashion_mnist_backbone(weights=backbone_weights, **(backbone or {})),
        code_length,
        preprocessor=fashion_mnist_preprocessor(seed, inference_views, cutout),
        **kwargs,
    )


def fashion_mnist_dch(
    code_length,
    gamma=FASHION_MNIST_DCH_GAMMA,
    q_lambda=0.0,
    seed=None,
    backbone=None,
    inference_views=10,
    cutout=FASHION_MNIST_CUTOUT,
    **kwargs,
):
    """DCH on 28x28 grayscale images (see `fashion_mnist_model`), with ten inference views."""
    kwargs.setdefault("name", "dch")
    return fashion_mnist_model(
        DCH,
        code_length,
        seed=seed,
        backbone=backbone,
        inference_views=inference_views,
        cutout=cutout,
        gamma=gamma,
        q_lambda=q_lambda,
        **kwargs,
    )
