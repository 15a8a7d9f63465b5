"""CaffeCrop: thulab/DeepHash's crops (spec deephash.md §3.1)."""

import keras
import numpy as np
import pytest

from keras_hashing.layers.caffe_crop import CaffeCrop
from tests.harness import run_config_round_trip
from tests.harness import run_layer_test

MEAN_RGB = np.array([123.68, 116.779, 103.939], "float32")


def coordinate_images(batch):
    """BGR uint8 images whose B channel is the row, G the column and R the image index."""
    rows, cols = np.meshgrid(np.arange(256), np.arange(256), indexing="ij")
    images = np.zeros((batch, 256, 256, 3), "uint8")
    images[..., 0] = rows
    images[..., 1] = cols
    images[..., 2] = np.arange(batch)[:, None, None]
    return images


def decode(crops):
    """(row, col, image) planes of coordinate-image crops (undoing mean and BGR->RGB)."""
    rgb = np.rint(keras.ops.convert_to_numpy(crops) + MEAN_RGB).astype(int)
    return rgb[..., 2], rgb[..., 1], rgb[..., 0]


def test_inference_gives_ten_crops_view_major_flipped_first():
    images = np.random.RandomState(0).randint(0, 256, (3, 256, 256, 3)).astype("uint8")
    layer = CaffeCrop()
    out = keras.ops.convert_to_numpy(layer(images, training=False))
    assert layer.num_views == 10 and out.shape == (30, 227, 227, 3)
    rgb = images[..., ::-1].astype("float32")
    offsets = [(0, 0), (28, 0), (0, 28), (28, 28), (14, 14)]
    expected = [rgb[:, :, ::-1][:, r : r + 227, c : c + 227] for r, c in offsets]
    expected += [rgb[:, r : r + 227, c : c + 227] for r, c in offsets]
    expected = np.concatenate(expected, axis=0) - MEAN_RGB  # crop k of every image, then crop k+1
    np.testing.assert_allclose(out, expected, atol=1e-4)


def test_inference_offsets_are_row_then_column():
    row, col, image = decode(CaffeCrop()(coordinate_images(2), training=False))
    # view 1 of image 0 is F(28, 0): rows from 28, flipped columns from 0 (raw 255 down).
    assert row[2, 0, 0] == 28 and col[2, 0, 0] == 255 and col[2, 0, 1] == 254
    # view 7 is R(0, 28); view 9 is R(14, 14); image index runs fastest.
    assert (row[14, 0, 0], col[14, 0, 0], image[14, 0, 0], image[15, 0, 0]) == (0, 28, 0, 1)
    assert (row[18, 0, 0], col[18, 0, 0]) == (14, 14)


def test_float_and_uint8_inputs_agree_and_rgb_input_skips_the_reversal():
    images = np.random.RandomState(1).randint(0, 256, (1, 256, 256, 3)).astype("uint8")
    a = keras.ops.convert_to_numpy(CaffeCrop()(images))
    b = keras.ops.convert_to_numpy(CaffeCrop()(images.astype("float32")))
    np.testing.assert_array_equal(a, b)
    c = keras.ops.convert_to_numpy(CaffeCrop(bgr_input=False)(images[..., ::-1].copy()))
    np.testing.assert_array_equal(a, c)


def check_training_crops(crops, batch):
    row, col, image = decode(crops)
    offsets, flips = [], []
    positions = np.arange(227)
    for n in range(batch):
        assert np.all(image[n] == n)
        r0 = row[n, 0, 0]
        np.testing.assert_array_equal(row[n], (r0 + positions)[:, None] * np.ones((1, 227), int))
        flipped = col[n, 0, 1] < col[n, 0, 0]
        c0 = 255 - col[n, 0, 0] if flipped else col[n, 0, 0]
        expected_cols = 255 - (c0 + positions) if flipped else c0 + positions
        np.testing.assert_array_equal(col[n], np.ones((227, 1), int) * expected_cols[None, :])
        assert 0 <= r0 <= 29 and 0 <= c0 <= 29
        offsets.append((r0, c0))
        flips.append(flipped)
    return offsets, flips


def test_training_crops_are_random_per_image_within_the_offsets():
    batch = 24
    layer = CaffeCrop(seed=5)
    crops = layer(coordinate_images(batch), training=True)
    assert tuple(crops.shape) == (batch, 227, 227, 3)
    offsets, flips = check_training_crops(crops, batch)
    assert len(set(offsets)) > batch // 2  # independent per image
    assert 0 < sum(flips) < batch  # both flipped and raw crops occur
    # over more draws the offsets reach both ends of [0, 29] and flips are about half
    draws = [
        check_training_crops(layer(coordinate_images(batch), training=True), batch)
        for _ in range(5)
    ]
    every_offset = np.array([o for offsets, _ in draws for o in offsets])
    assert every_offset.min() == 0 and every_offset.max() == 29
    flip_rate = np.mean([f for _, flips in draws for f in flips])
    assert 0.3 < flip_rate < 0.7


def test_training_crops_are_reproducible_with_a_seed():
    images = coordinate_images(4)
    a = keras.ops.convert_to_numpy(CaffeCrop(seed=11)(images, training=True))
    b = keras.ops.convert_to_numpy(CaffeCrop(seed=11)(images, training=True))
    c = keras.ops.convert_to_numpy(CaffeCrop(seed=12)(images, training=True))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    layer = CaffeCrop(seed=11)
    first = keras.ops.convert_to_numpy(layer(images, training=True))
    second = keras.ops.convert_to_numpy(layer(images, training=True))
    assert not np.array_equal(first, second)  # the seed generator advances


@pytest.mark.tensorflow_only
def test_training_crops_with_a_dynamic_batch_in_a_tf_graph():
    import tensorflow as tf

    layer = CaffeCrop(seed=3)
    layer.build((None, 256, 256, 3))
    graph = tf.function(
        lambda x: layer(x, training=True),
        input_signature=[tf.TensorSpec((None, 256, 256, 3), tf.uint8)],
    )
    for batch in (3, 5):
        crops = graph(coordinate_images(batch)).numpy()
        assert crops.shape == (batch, 227, 227, 3)
        check_training_crops(crops, batch)


class ViewAveragingModel(keras.Model):
    """What a hashing model does with CaffeCrop: one view in training, the mean of 10 otherwise."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.crop = CaffeCrop(seed=0)
        self.pool = keras.layers.GlobalAveragePooling2D()
        self.head = keras.layers.Dense(1)

    def call(self, images, training=False):
        outputs = self.head(self.pool(self.crop(images, training=training)))
        if not training:
            outputs = keras.ops.mean(
                keras.ops.reshape(outputs, (self.crop.num_views, -1, 1)), axis=0
            )
        return outputs


def test_training_in_a_compiled_model_step_and_view_averaging():
    """The crop runs inside a jitted train step; inference averages the views back to N rows."""
    model = ViewAveragingModel()
    model.compile(optimizer=keras.optimizers.SGD(1e-7), loss="mse", jit_compile=True)
    images = coordinate_images(4)
    history = model.fit(images, np.zeros((4, 1), "float32"), batch_size=2, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    # XLA's float32 reductions over 227x227 pixels differ in the 4th digit; compare without it.
    model.jit_compile = False
    predictions = model.predict(images, batch_size=2, verbose=0)
    crops = keras.ops.convert_to_numpy(model.crop(images, training=False))
    per_view = keras.ops.convert_to_numpy(model.head(model.pool(crops))).reshape(10, 4)
    np.testing.assert_allclose(predictions[:, 0], per_view.mean(axis=0), rtol=1e-5, atol=1e-5)


def test_config_round_trip_and_saving():
    kwargs = dict(
        crop_size=20,
        mean=(1, 2, 3),
        bgr_input=False,
        max_offset=4,
        ten_crop_offsets=((0, 0), (4, 4)),
        seed=7,
        name="crop",
    )
    x = np.random.RandomState(2).randint(0, 256, (2, 24, 24, 3)).astype("uint8")
    restored = run_layer_test(CaffeCrop, kwargs, input_data=x)
    assert restored.num_views == 4 and restored.ten_crop_offsets == ((0, 0), (4, 4))
    # The seeded clone and the restored layer (its seed state saved) draw the original's crops.
    layer = CaffeCrop(**kwargs)
    clone = run_config_round_trip(layer)
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(clone(x)), keras.ops.convert_to_numpy(layer(x))
    )
    expected = keras.ops.convert_to_numpy(layer(x, training=True))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(clone(x, training=True)), expected)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(restored(x, training=True)), expected)


def test_too_small_images_raise_naming_the_shape():
    with pytest.raises(ValueError, match=r"at least 256x256.*\(2, 200, 256, 3\)"):
        CaffeCrop()(np.zeros((2, 200, 256, 3), "uint8"))
    with pytest.raises(ValueError, match="expects"):
        CaffeCrop()(np.zeros((2, 256, 256), "uint8"))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"crop_size": 0},
        {"max_offset": -1},
        {"mean": (1, 2)},
        {"ten_crop_offsets": ((0,),)},
        {"ten_crop_offsets": ()},
        {"scale": 0.0},
        {"scale": True},
    ],
)
def test_invalid_arguments_raise(kwargs):
    with pytest.raises(ValueError, match="CaffeCrop"):
        CaffeCrop(**kwargs)


def test_scale_and_no_flipped_views_give_one_scaled_centre_view():
    layer = CaffeCrop(
        crop_size=224, mean=(127.0,) * 3, scale=1 / 128, max_offset=32,
        ten_crop_offsets=((16, 16),), flipped_views=False, name="lite_crop",
    )
    assert layer.num_views == 1
    images = coordinate_images(2)
    crops = keras.ops.convert_to_numpy(layer(images))
    assert crops.shape == (2, 224, 224, 3)
    expected = (images[:, 16:240, 16:240, ::-1].astype("float32") - 127.0) / 128.0
    np.testing.assert_allclose(crops, expected, rtol=0, atol=1e-6)
    clone = run_config_round_trip(layer)
    assert clone.scale == 1 / 128 and clone.flipped_views is False and clone.num_views == 1
    training = keras.ops.convert_to_numpy(layer(images, training=True))
    assert training.shape == (2, 224, 224, 3) and training.min() >= -1.0 and training.max() <= 1.0
