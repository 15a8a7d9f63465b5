"""thulab/DeepHash's in-graph image preprocessing: BGR->RGB, random or 10-crop 227x227, RGB mean."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
from keras import ops

from keras_hashing import backend_ops
from keras_hashing import validation

_DEFAULT_OFFSETS = ((0, 0), (28, 0), (0, 28), (28, 28), (14, 14))


@keras.saving.register_keras_serializable(package="keras_hashing")
class CaffeCrop(keras.layers.Layer):
    """Crops 256x256 OpenCV images the way thulab/DeepHash's AlexNet does.

    thulab/DeepHash DeepHash/architecture/__init__.py, `img_alexnet_layers`.

    The input is `(N, H, W, 3)` BGR in 0..255 (uint8 or float; 256x256 in the original). Channels
    are always reversed to RGB (unless `bgr_input=False`). Then:

    * `training=True`: each image independently is flipped left-right with probability 0.5 and
      cropped to `crop_size` at integer offsets drawn uniformly in `[0, max_offset]` (row and
      column). Output `(N, crop_size, crop_size, 3)`. The batch size may be dynamic.
    * `training=False`: `num_views = 2 * len(ten_crop_offsets)` fixed crops per image, view-major:
      first the crops of the left-right *flipped* image at each `(row, col)` offset, then the same
      offsets on the raw image; crop `k` of every image comes before crop `k + 1`. Output
      `(num_views * N, crop_size, crop_size, 3)`. With `flipped_views=False`, only the raw
      crops (`num_views = len(ten_crop_offsets)`).

    Finally the RGB `mean` is subtracted and the result multiplied by `scale` (1: the original
    does not scale; `1 / 128` with mean 127 is EfficientNet-Lite's input). This layer does
    **not** average the views: the model reshapes its (post-tanh) head outputs to
    `(num_views, N, D)` and takes the mean over axis 0, as `keras_hashing.models.HashingModel`
    does (the original averages in `img_alexnet_layers`).

    The original's offsets are kept: the "corner" crops start at 28 (not 29) and the "centre" at
    14, and flipped views come first.

    Args:
        crop_size: int, default 227. Side of the square crop.
        mean: three floats, default `(123.68, 116.779, 103.939)`: the R, G, B means subtracted
            after the channel reversal (HEAD order since thulab/DeepHash `c598990`).
        bgr_input: bool, default True. Inputs are OpenCV BGR and get reversed to RGB.
        max_offset: int, default 29. Largest random crop offset in training (`256 - 227`).
        ten_crop_offsets: sequence of `(row, col)` offsets used at inference, default
            `((0, 0), (28, 0), (0, 28), (28, 28), (14, 14))`.
        seed: optional int, seeds the `keras.random.SeedGenerator` of the training crops.
        scale: positive float, default 1.0, multiplies the mean-subtracted crops.
        flipped_views: bool, default True: inference adds the mirrored crop of every offset.
        **kwargs: `keras.layers.Layer` arguments.

    Returns:
        float tensor of crops, mean-subtracted RGB.

    Example:
    >>> import numpy as np
    >>> crop = CaffeCrop(seed=0)
    >>> images = np.zeros((2, 256, 256, 3), "uint8")
    >>> tuple(crop(images, training=True).shape), tuple(crop(images, training=False).shape)
    ((2, 227, 227, 3), (20, 227, 227, 3))

    References:
        thulab/DeepHash, `DeepHash/architecture/__init__.py` (`img_alexnet_layers`).
    """

    def __init__(
        self,
        crop_size: int = 227,
        mean: Sequence[float] = (123.68, 116.779, 103.939),
        bgr_input: bool = True,
        max_offset: int = 29,
        ten_crop_offsets: Sequence[Sequence[int]] = _DEFAULT_OFFSETS,
        seed: int | None = None,
        scale: float = 1.0,
        flipped_views: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        crop_size = validation.positive_int("crop_size", crop_size, "CaffeCrop")
        max_offset = validation.nonnegative_int("max_offset", max_offset, "CaffeCrop")
        mean = tuple(float(m) for m in mean)
        if len(mean) != 3:
            raise ValueError(f"CaffeCrop: `mean` must hold 3 values (R, G, B), found {len(mean)}.")
        offsets = []
        for offset in ten_crop_offsets:
            offset = tuple(offset)
            if len(offset) != 2:
                raise ValueError(
                    "CaffeCrop: each of `ten_crop_offsets` must be a (row, col) pair of "
                    f"non-negative integers, found {offset!r}."
                )
            check = validation.nonnegative_int
            offsets.append(tuple(check("ten_crop_offsets", o, "CaffeCrop") for o in offset))
        if not offsets:
            raise ValueError(
                "CaffeCrop: `ten_crop_offsets` must name at least one offset, found none."
            )
        self.crop_size = crop_size
        self.mean = mean
        self.bgr_input = bool(bgr_input)
        self.max_offset = max_offset
        self.ten_crop_offsets = tuple(offsets)
        self.scale = validation.positive_number("scale", scale, "CaffeCrop")
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.flipped_views = bool(flipped_views)
        # Flipped views, then raw views, one per offset.
        self.num_views = (2 if self.flipped_views else 1) * len(self.ten_crop_offsets)

    def build(self, input_shape):
        if len(input_shape) != 4 or input_shape[-1] != 3:
            raise ValueError(
                f"CaffeCrop expects (N, H, W, 3) images, found input shape {tuple(input_shape)}."
            )
        height, width = input_shape[1], input_shape[2]
        needed_row = self.crop_size + max([self.max_offset] + [r for r, _ in self.ten_crop_offsets])
        needed_col = self.crop_size + max([self.max_offset] + [c for _, c in self.ten_crop_offsets])
        if (height is not None and height < needed_row) or (
            width is not None and width < needed_col
        ):
            raise ValueError(
                f"CaffeCrop(crop_size={self.crop_size}, max_offset={self.max_offset}, "
                f"ten_crop_offsets={self.ten_crop_offsets}) needs images of at least "
                f"{needed_row}x{needed_col}, found input shape {tuple(input_shape)}."
            )
        self.built = True

    def _to_model_input(self, crops):
        """uint8 (or float) BGR crops -> float RGB minus the mean, times `scale`."""
        crops = ops.cast(crops, self.compute_dtype)
        if self.bgr_input:
            crops = ops.flip(crops, axis=-1)
        crops = crops - ops.convert_to_tensor(self.mean, dtype=self.compute_dtype)
        return crops if self.scale == 1.0 else crops * self.scale

    def call(self, inputs, training=False):
        # Crops are cut from the images as they come (uint8 from the data pipeline) and only
        # then cast and mean-subtracted: a quarter of the bytes to move, and far fewer pixels.
        images = ops.convert_to_tensor(inputs)
        size = self.crop_size
        if training:
            batch = ops.shape(images)[0]
            width = images.shape[2] if images.shape[2] is not None else ops.shape(images)[2]
            flip = keras.random.uniform((batch,), seed=self.seed_generator) < 0.5
            offsets = keras.random.randint(
                (batch, 2), 0, self.max_offset + 1, seed=self.seed_generator, dtype="int32"
            )
            # Cropping a flipped image at column offset o is reversing the raw crop that starts
            # at column W - size - o.
            cols = ops.where(flip, width - size - offsets[:, 1], offsets[:, 1])
            starts = ops.stack([offsets[:, 0], cols, ops.zeros_like(cols)], axis=1)
            # One contiguous block per image, where a per-pixel gather costs ten times more.
            crops = backend_ops.slice_each(images, starts, (size, size, 3))
            crops = ops.where(flip[:, None, None, None], ops.flip(crops, axis=2), crops)
        else:
            views = [images[:, r : r + size, c : c + size, :] for r, c in self.ten_crop_offsets]
            # A flipped image cropped at column offset c is the mirror of the raw crop at W-size-c.
            width = images.shape[2] if images.shape[2] is not None else ops.shape(images)[2]
            flipped = [
                ops.flip(images[:, r : r + size, width - size - c : width - c, :], axis=2)
                for r, c in self.ten_crop_offsets
            ]
            crops = ops.concatenate(flipped + views if self.flipped_views else views, axis=0)
        return self._to_model_input(crops)

    def compute_output_shape(self, input_shape):
        # The batch differs between training (N) and inference (num_views * N).
        return (None, self.crop_size, self.crop_size, 3)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "crop_size": self.crop_size,
                "mean": list(self.mean),
                "bgr_input": self.bgr_input,
                "max_offset": self.max_offset,
                "ten_crop_offsets": [list(o) for o in self.ten_crop_offsets],
                "seed": self.seed,
                "scale": self.scale,
                "flipped_views": self.flipped_views,
            }
        )
        return config
