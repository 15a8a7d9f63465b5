"""Random flip and shift for small images: the 28x28 analogue of the original's flip + crop."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_hashing")
class RandomFlipCrop(keras.layers.Layer):
    """Per-image random horizontal flip and random shift by zero-padding and cropping back.

    thulab/DeepHash trains on a random flip and a random 227 crop of each 256x256 image
    (`CaffeCrop`). Small images have no margin to crop from, so this layer pads `padding` zero
    pixels on every side and crops the original size back at a random offset in
    `[0, 2 * padding]`, which shifts the content by up to `padding` pixels. At inference it is
    the identity (one view).

    Args:
        padding: int, default 2. Maximum shift in pixels; 0 disables shifting.
        flip: bool, default True. Random left-right flip with probability 0.5.
        seed: optional int for the layer's `SeedGenerator`.

    Example:
    >>> layer = RandomFlipCrop(padding=2, seed=0)
    >>> layer(keras.ops.ones((4, 28, 28, 1)), training=True).shape
    (4, 28, 28, 1)
    """

    num_views = 1

    def __init__(self, padding=2, flip=True, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(padding, bool) or int(padding) != padding or padding < 0:
            raise ValueError(f"`padding` must be a non-negative integer, found {padding!r}.")
        self.padding = int(padding)
        self.flip = bool(flip)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=False):
        if not training:
            return inputs
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
        return ops.take_along_axis(crops, cols[:, None, :, None], axis=2)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"padding": self.padding, "flip": self.flip, "seed": self.seed})
        return config
