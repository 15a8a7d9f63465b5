"""torchvision's AlexNet layout up to fc7 (DHN_PyTorch, DJSRH), loadable from its state dict."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence

import keras
import numpy as np
from keras import ops
from numpy.typing import ArrayLike

from keras_hashing import validation
from keras_hashing.backbones.base import LayerWeightsMixin
from keras_hashing.backbones.weights import ALEXNET_LAYERS
from keras_hashing.backbones.weights import load_torchvision_alexnet_npz

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def torchvision_preprocess(images: ArrayLike) -> np.ndarray:
    """NumPy version of torchvision's `ToTensor()` + `Normalize(ImageNet mean, std)`, channels last.

    Args:
        images: RGB array `(N, H, W, 3)` in 0..255 (already resized/cropped to 224x224).

    Returns:
        float32 `(N, H, W, 3)`: `(x / 255 - mean) / std`.
    """
    images = np.asarray(images, dtype="float32")
    if images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(
            f"torchvision_preprocess expects (N, H, W, 3) RGB images, found shape {images.shape}."
        )
    mean = np.asarray(IMAGENET_MEAN, "float32")
    std = np.asarray(IMAGENET_STD, "float32")
    return (images / 255.0 - mean) / std


@keras.saving.register_keras_serializable(package="keras_hashing")
class AdaptiveAveragePooling2D(keras.layers.Layer):
    """PyTorch's `AdaptiveAvgPool2d` for channels-last inputs with static spatial size.

    Output cell `(i, j)` averages rows `floor(i*H/h)` to `ceil((i+1)*H/h)` (exclusive) and the
    matching columns, so cells may overlap or repeat when the input is smaller than the output.

    Args:
        output_size: (h, w) or int.

    Example:
    >>> tuple(AdaptiveAveragePooling2D(6)(keras.ops.ones((1, 13, 13, 2))).shape)
    (1, 6, 6, 2)
    """

    def __init__(self, output_size: int | Sequence[int] = (6, 6), **kwargs):
        super().__init__(**kwargs)
        if isinstance(output_size, int):
            output_size = (output_size, output_size)
        output_size = tuple(
            validation.positive_int("output_size", s, "AdaptiveAveragePooling2D")
            for s in output_size
        )
        if len(output_size) != 2:
            raise ValueError(
                f"AdaptiveAveragePooling2D: `output_size` must be two positive ints, "
                f"found {output_size}."
            )
        self.output_size = output_size

    def build(self, input_shape):
        if len(input_shape) != 4 or input_shape[1] is None or input_shape[2] is None:
            raise ValueError(
                f"AdaptiveAveragePooling2D needs (N, H, W, C) inputs with known H and W, "
                f"found {tuple(input_shape)}."
            )
        self.built = True

    @staticmethod
    def _bins(size, out):
        return [(math.floor(i * size / out), math.ceil((i + 1) * size / out)) for i in range(out)]

    def call(self, inputs):
        height, width = inputs.shape[1], inputs.shape[2]
        if (height, width) == self.output_size:
            return inputs
        rows = []
        for r0, r1 in self._bins(height, self.output_size[0]):
            cells = [
                ops.mean(inputs[:, r0:r1, c0:c1, :], axis=(1, 2))
                for c0, c1 in self._bins(width, self.output_size[1])
            ]
            rows.append(ops.stack(cells, axis=1))
        return ops.stack(rows, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self.output_size, input_shape[3])

    def get_config(self):
        config = super().get_config()
        config["output_size"] = list(self.output_size)
        return config


@keras.saving.register_keras_serializable(package="keras_hashing")
class TorchAlexNet(LayerWeightsMixin, keras.Model):
    """torchvision's `alexnet` (the "one weird trick" variant) up to fc7's ReLU.

    conv1 64 11x11/4 pad 2 -> pool 3/2 -> conv2 192 5x5 pad 2 -> pool -> conv3 384 -> conv4 256 ->
    conv5 256 (3x3 pad 1) -> pool -> adaptive average pool 6x6 -> flatten -> dropout -> fc6 -> ReLU
    -> dropout -> fc7 -> ReLU. No groups, no LRN. Dropout sits *before* fc6 and fc7 as in
    torchvision's classifier. Inputs are RGB normalised with the ImageNet mean and std
    (`torchvision_preprocess`). DHN_PyTorch adds `Linear(4096, K) + tanh`; DJSRH adds
    `Linear(4096, K)` and `tanh(alpha * .)` (TreezzZ/DHN_PyTorch models/alexnet.py, `AlexNet`;
    zs-zhong/DJSRH models.py, `ImgNet`). At 224x224 the pooled map is already 6x6, so the adaptive
    pool is the identity (torchvision 0.2, used by DJSRH, had none).

    Args:
        weights: None or a path to a torchvision state dict saved as `.npz` by
            `pretrained/convert_torchvision_alexnet.py`.
        include_dropout: bool, default True. Active only when `training=True`.
        input_shape: default (224, 224, 3).
        name: default "torch_alexnet".

    Attributes:
        output_dim: 4096.

    Example:
    >>> backbone = TorchAlexNet()
    >>> tuple(backbone(keras.ops.zeros((1, 224, 224, 3))).shape)
    (1, 4096)

    References:
        Krizhevsky. "One weird trick for parallelizing convolutional neural networks", 2014;
        torchvision.models.alexnet.
    """

    output_dim = 4096
    _weight_layer_names = ALEXNET_LAYERS

    def __init__(
        self,
        weights: str | os.PathLike | None = None,
        include_dropout: bool = True,
        input_shape: Sequence[int] = (224, 224, 3),
        name: str = "torch_alexnet",
        **kwargs,
    ):
        input_shape = tuple(int(d) for d in input_shape)
        if len(input_shape) != 3 or input_shape[-1] != 3 or min(input_shape[:2]) < 63:
            raise ValueError(
                f"TorchAlexNet: `input_shape` must be (H, W, 3) with H, W >= 63, "
                f"found {input_shape}."
            )
        inputs = keras.Input(input_shape, name="images")
        x = keras.layers.ZeroPadding2D(2, name="pad1")(inputs)
        x = keras.layers.Conv2D(64, 11, strides=4, activation="relu", name="conv1")(x)
        x = keras.layers.MaxPooling2D(3, 2, name="pool1")(x)
        x = keras.layers.ZeroPadding2D(2, name="pad2")(x)
        x = keras.layers.Conv2D(192, 5, activation="relu", name="conv2")(x)
        x = keras.layers.MaxPooling2D(3, 2, name="pool2")(x)
        for layer_name, filters in (("conv3", 384), ("conv4", 256), ("conv5", 256)):
            x = keras.layers.ZeroPadding2D(1, name=f"pad{layer_name[-1]}")(x)
            x = keras.layers.Conv2D(filters, 3, activation="relu", name=layer_name)(x)
        x = keras.layers.MaxPooling2D(3, 2, name="pool5")(x)
        x = AdaptiveAveragePooling2D((6, 6), name="avgpool")(x)
        x = keras.layers.Flatten(name="flatten")(x)
        if include_dropout:
            x = keras.layers.Dropout(0.5, name="drop6")(x)
        x = keras.layers.Dense(4096, activation="relu", name="fc6")(x)
        if include_dropout:
            x = keras.layers.Dropout(0.5, name="drop7")(x)
        x = keras.layers.Dense(4096, activation="relu", name="fc7")(x)
        super().__init__(inputs=inputs, outputs=x, name=name, **kwargs)
        self.include_dropout = bool(include_dropout)
        self.image_shape = input_shape
        if weights is not None:
            self.load_npz(weights)

    def load_npz(self, path: str | os.PathLike) -> list[np.ndarray] | None:
        """Loads conv1..fc7 from a torchvision state-dict `.npz`; returns fc8 `[W, b]` or None."""
        layers, fc8 = load_torchvision_alexnet_npz(path)
        self.set_layer_weights(layers, source=str(path))
        return fc8

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "include_dropout": self.include_dropout,
            "input_shape": list(self.image_shape),
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)
