"""Caffe-style VGG16/VGG19 up to fc7, the feature extractor behind DRSH's `NUSF.h5`."""

from __future__ import annotations

import os
from collections.abc import Sequence

import keras
import numpy as np
from numpy.typing import ArrayLike

from keras_hashing import validation
from keras_hashing.backbones.base import LayerWeightsMixin
from keras_hashing.backbones.weights import VGG_BLOCKS
from keras_hashing.backbones.weights import load_vgg_weights
from keras_hashing.backbones.weights import vgg_layer_names

# DRSH's NUSex_fea.py: caffe.io.Transformer mean (B, G, R).
CAFFE_VGG_MEAN_BGR = (104.0, 117.0, 123.0)


def caffe_vgg_preprocess(
    images: ArrayLike,
    input_order: str = "rgb",
    mean_bgr: Sequence[float] = CAFFE_VGG_MEAN_BGR,
) -> np.ndarray:
    """NumPy preprocessing of DRSH's VGG features: 0..255 images -> BGR, mean subtracted.

    DRSH (`preprocess/NUSex_fea.py`) loads RGB in [0, 1] with `caffe.io.load_image`, resizes to
    224x224 (no crop), scales by 255, swaps to BGR and subtracts (104, 117, 123). Resizing is the
    data pipeline's job; this takes already-resized 0..255 images.

    Args:
        images: array `(N, H, W, 3)` in 0..255.
        input_order: "rgb" (PIL/skimage) or "bgr" (OpenCV).
        mean_bgr: the per-channel mean, B, G, R.

    Returns:
        float32 `(N, H, W, 3)` BGR, mean subtracted.
    """
    images = np.asarray(images, dtype="float32")
    validation.one_of("input_order", input_order, ("rgb", "bgr"), "caffe_vgg_preprocess")
    if images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(
            f"caffe_vgg_preprocess expects (N, H, W, 3) images, found shape {images.shape}."
        )
    if input_order == "rgb":
        images = images[..., ::-1]
    return images - np.asarray(mean_bgr, dtype="float32")


class _CaffeVGG(LayerWeightsMixin, keras.Model):
    """VGG with Caffe layer names; see `VGG16` / `VGG19`."""

    depth = None
    output_dim = 4096

    def __init__(
        self,
        weights: str | os.PathLike | None = None,
        include_dropout: bool = True,
        input_shape: Sequence[int] = (224, 224, 3),
        conv_filters: Sequence[int] = (64, 128, 256, 512, 512),
        fc_units: int = 4096,
        weights_layout: str = "tensorflow",
        name: str | None = None,
        **kwargs,
    ):
        name = name or f"vgg{self.depth}"
        input_shape = tuple(int(d) for d in input_shape)
        where = type(self).__name__
        conv_filters = tuple(
            validation.positive_int("conv_filters", f, where) for f in conv_filters
        )
        if len(input_shape) != 3 or input_shape[-1] != 3 or min(input_shape[:2]) < 32:
            raise ValueError(
                f"{type(self).__name__}: `input_shape` must be (H, W, 3) with H, W >= 32, "
                f"found {input_shape}."
            )
        if len(conv_filters) != 5:
            raise ValueError(
                f"{where}: `conv_filters` must be 5 positive ints (one per block), "
                f"found {conv_filters}."
            )
        fc_units = validation.positive_int("fc_units", fc_units, where)
        self._weight_layer_names = tuple(vgg_layer_names(self.depth))

        inputs = keras.Input(input_shape, name="images")
        x = inputs
        for block, (repeats, filters) in enumerate(
            zip(VGG_BLOCKS[self.depth], conv_filters), start=1
        ):
            for i in range(1, repeats + 1):
                x = keras.layers.Conv2D(
                    filters, 3, padding="same", activation="relu", name=f"conv{block}_{i}"
                )(x)
            # Caffe pools with ceil rounding; 2x2/2 on even sides (224 -> 7) is the same as floor.
            x = keras.layers.MaxPooling2D(2, 2, name=f"pool{block}")(x)
        x = keras.layers.Flatten(name="flatten")(x)
        x = keras.layers.Dense(int(fc_units), activation="relu", name="fc6")(x)
        if include_dropout:
            x = keras.layers.Dropout(0.5, name="drop6")(x)
        x = keras.layers.Dense(int(fc_units), activation="relu", name="fc7")(x)
        if include_dropout:
            x = keras.layers.Dropout(0.5, name="drop7")(x)
        super().__init__(inputs=inputs, outputs=x, name=name, **kwargs)
        self.include_dropout = bool(include_dropout)
        self.image_shape = input_shape
        self.conv_filters = conv_filters
        self.fc_units = int(fc_units)
        self.output_dim = self.fc_units
        self.weights_layout = weights_layout
        if weights is not None:
            self.load_weights_file(weights, layout=weights_layout)

    def load_weights_file(
        self, path: str | os.PathLike, layout: str = "tensorflow"
    ) -> list[np.ndarray] | None:
        """Loads conv1_1..fc7 from a `.npy` dict or a Keras `.h5` (see `load_vgg_weights`).

        Returns the file's fc8 `[W, b]` or None.
        """
        layers, fc8 = load_vgg_weights(path, depth=self.depth, layout=layout)
        self.set_layer_weights(layers, source=str(path))
        return fc8

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "include_dropout": self.include_dropout,
            "input_shape": list(self.image_shape),
            "conv_filters": list(self.conv_filters),
            "fc_units": self.fc_units,
            "weights_layout": self.weights_layout,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@keras.saving.register_keras_serializable(package="keras_hashing")
class VGG16(_CaffeVGG):
    """Caffe VGG16 (`VGG_ILSVRC_16_layers`) from 224x224 BGR mean-subtracted images to fc7.

    13 3x3 convolutions (ReLU) in 5 blocks, each followed by a 2x2/2 max pool, then fc6, fc7
    (4096, ReLU, Dropout(0.5) when training). Layers carry the Caffe names `conv1_1` ... `fc7`,
    which are the weight-file keys. Inputs as `caffe_vgg_preprocess` makes them. DRSH used the
    post-ReLU fc7 of the Caffe net in test mode (frankenstan/DRSH preprocess/NUSex_fea.py).

    Args:
        weights: None or a path: a `.npy` dict or a Keras-applications `.h5` (`load_vgg_weights`).
        include_dropout: bool, default True.
        input_shape: default (224, 224, 3). Other sizes change fc6's input width.
        conv_filters: default (64, 128, 256, 512, 512), one per block (smaller only for tests).
        fc_units: default 4096.
        weights_layout: "tensorflow" (default) or "caffe", how a `.npy` file stores its arrays.
        name: default "vgg16".

    Attributes:
        output_dim: `fc_units` (4096).

    Example:
    >>> tiny = VGG16(input_shape=(32, 32, 3), conv_filters=(2, 2, 2, 2, 2), fc_units=8)
    >>> tuple(tiny(keras.ops.zeros((1, 32, 32, 3))).shape)
    (1, 8)

    References:
        Simonyan, Zisserman. "Very Deep Convolutional Networks for Large-Scale Image
        Recognition", ICLR 2015.
    """

    depth = 16


@keras.saving.register_keras_serializable(package="keras_hashing")
class VGG19(_CaffeVGG):
    """Caffe VGG19 (`VGG_ILSVRC_19_layers`, what DRSH's `NUSex_fea.py` loads) up to fc7.

    As `VGG16` with 4 convolutions in blocks 3-5 (`conv5_4` last). Same arguments; default name
    "vgg19".

    Example:
    >>> tiny = VGG19(input_shape=(32, 32, 3), conv_filters=(2, 2, 2, 2, 2), fc_units=8)
    >>> len(tiny.weight_names())
    18

    References:
        Simonyan, Zisserman. "Very Deep Convolutional Networks for Large-Scale Image
        Recognition", ICLR 2015.
    """

    depth = 19
