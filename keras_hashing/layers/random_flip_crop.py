"""Random flip and shift for small images: the 28x28 analogue of the original's flip + crop."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_hashing import validation


@keras.saving.register_keras_serializable(package="keras_hashing")
class RandomFlipCrop(keras.layers.Layer):
    """Per-image random horizontal flip and random shift by zero-padding and cropping back.

    thulab/DeepHash trains on a random flip and a random 227 crop of each 256x256 image
    (`CaffeCrop`). Small images have no margin to crop from, so this layer pads `padding` zero
    pixels on every side and crops the original size back at a random offset in
    `[0, 2 * padding]`, which shifts the content by up to `padding` pixels.

    At inference, `inference_views=1` (default) is the identity. `inference_views=10` is the
    analogue of the original's 10-crop evaluation (`img_alexnet_layers`): the four corner crops and
    the centre crop of the padded image, each also mirrored, laid out view-major with the mirrored
    views first as `CaffeCrop` does; `HashingModel` averages the post-tanh outputs over the views.
    `inference_views=2` keeps the centre crop only, mirrored first then as it is (the image and
    its mirror): a fifth of ten views' cost, not in the originals.

    With `cutout > 0`, training images also lose a random `cutout` x `cutout` square, set to zero
    after the shift (Cutout, DeVries & Taylor 2017; not in any original). Its centre is uniform
    over the image, so the square may be partly outside it as in the paper.

    Args:
        padding: int, default 2. Maximum shift in pixels; 0 disables shifting.
        flip: bool, default True. Random left-right flip with probability 0.5.
        cutout: int, default 0 (off). Side of the erased square, training only.
        seed: optional int for the layer's `SeedGenerator`.
        inference_views: 1 (default), 2 or 10, the views per image at inference. 10 needs
            `padding > 0` and `flip=True`, 2 needs `flip=True` (otherwise views would repeat).

    Example:
    >>> layer = RandomFlipCrop(padding=2, seed=0)
    >>> tuple(layer(keras.ops.ones((4, 28, 28, 1)), training=True).shape)
    (4, 28, 28, 1)
    """

    def __init__(
        self,
        padding: int = 2,
        flip: bool = True,
        seed: int | None = None,
        inference_views: int = 1,
        cutout: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        padding = validation.nonnegative_int("padding", padding, "RandomFlipCrop")
        cutout = validation.nonnegative_int("cutout", cutout, "RandomFlipCrop")
        validation.one_of("inference_views", inference_views, (1, 2, 10), "RandomFlipCrop")
        if inference_views == 10 and not (padding > 0 and flip):
            raise ValueError(
                "`inference_views=10` needs `padding > 0` and `flip=True` (five crops of the "
                f"padded image and their mirrors), found padding={padding!r}, flip={flip!r}."
            )
        if inference_views == 2 and not flip:
            raise ValueError(
                "`inference_views=2` needs `flip=True` (the image and its mirror), found "
                f"flip={flip!r}."
            )
        self.padding = int(padding)
        self.flip = bool(flip)
        self.seed = seed
        self.num_views = int(inference_views)
        self.cutout = int(cutout)
        self.seed_generator = keras.random.SeedGenerator(seed)

    def view_offsets(self) -> tuple[tuple[int, int], ...]:
        """(row, column) offsets of the inference crops in the padded image: corners, centre."""
        p = self.padding
        return ((0, 0), (0, 2 * p), (2 * p, 0), (2 * p, 2 * p), (p, p))

    def _inference_views(self, inputs):
        images = ops.cast(inputs, self.compute_dtype)
        if self.num_views == 2:
            # The centre crop of the padded image is the image itself.
            return ops.concatenate([ops.flip(images, axis=2), images], axis=0)
        height, width = images.shape[1], images.shape[2]
        p = self.padding
        padded = ops.pad(images, ((0, 0), (p, p), (p, p), (0, 0)))
        mirrored = ops.flip(padded, axis=2)
        views = [mirrored[:, r : r + height, c : c + width, :] for r, c in self.view_offsets()]
        views += [padded[:, r : r + height, c : c + width, :] for r, c in self.view_offsets()]
        return ops.concatenate(views, axis=0)

    def call(self, inputs, training=False):
        if not training:
            return self._inference_views(inputs) if self.num_views > 1 else inputs
        images = ops.cast(inputs, self.compute_dtype)
        batch, height, width = ops.shape(images)[0], ops.shape(images)[1], ops.shape(images)[2]
        p = self.padding
        if p:
            images = ops.pad(images, ((0, 0), (p, p), (p, p), (0, 0)))
        offsets = keras.random.randint(
            (batch, 2), 0, 2 * p + 1, seed=self.seed_generator, dtype="int32"
        )
        rows = offsets[:, 0:1] + ops.arange(height, dtype="int32")[None, :]
        cols = offsets[:, 1:2] + ops.arange(width, dtype="int32")[None, :]
        if self.flip:
            flipped = keras.random.uniform((batch,), seed=self.seed_generator) < 0.5
            # Reading padded columns right to left flips the crop without a separate flip.
            cols = ops.where(flipped[:, None], ops.cast(width + 2 * p, "int32") - 1 - cols, cols)
        crops = ops.take_along_axis(images, rows[:, :, None, None], axis=1)
        crops = ops.take_along_axis(crops, cols[:, None, :, None], axis=2)
        return self._erase_square(crops) if self.cutout else crops

    def _erase_square(self, images):
        batch, height, width = ops.shape(images)[0], images.shape[1], images.shape[2]
        half = self.cutout // 2
        top = keras.random.randint((batch, 1), 0, height, "int32", self.seed_generator) - half
        left = keras.random.randint((batch, 1), 0, width, "int32", self.seed_generator) - half
        rows = ops.arange(height, dtype="int32")[None, :]
        cols = ops.arange(width, dtype="int32")[None, :]
        in_rows = (rows >= top) & (rows < top + self.cutout)
        in_cols = (cols >= left) & (cols < left + self.cutout)
        erased = in_rows[:, :, None, None] & in_cols[:, None, :, None]
        return ops.where(erased, ops.zeros_like(images), images)

    def compute_output_shape(self, input_shape):
        # Shape of the training (one view) output; at inference the batch is num_views * N.
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "padding": self.padding,
                "flip": self.flip,
                "seed": self.seed,
                "inference_views": self.num_views,
                "cutout": self.cutout,
            }
        )
        return config
