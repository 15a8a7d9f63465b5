import keras
import numpy as np
import pytest

from keras_hashing.layers import RandomFlipCrop
from tests.harness import run_config_round_trip
from tests.harness import run_layer_test


def test_inference_is_the_identity():
    images = np.random.default_rng(0).uniform(size=(3, 8, 8, 1)).astype("float32")
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(RandomFlipCrop()(images)), images)


def test_training_output_is_a_shifted_possibly_flipped_copy():
    rng = np.random.default_rng(1)
    images = rng.uniform(0.1, 1.0, size=(64, 6, 7, 2)).astype("float32")
    out = keras.ops.convert_to_numpy(RandomFlipCrop(padding=2, seed=3)(images, training=True))
    assert out.shape == images.shape
    seen_shifts, seen_flips = set(), set()
    for image, crop in zip(images, out):
        padded = np.pad(image, ((2, 2), (2, 2), (0, 0)))
        matches = [
            (r, c, f)
            for f in (False, True)
            for r in range(5)
            for c in range(5)
            if np.array_equal(crop, (padded[:, ::-1] if f else padded)[r : r + 6, c : c + 7])
        ]
        assert matches, "every output must be a crop of the padded (flipped) image"
        seen_shifts.add(matches[0][:2])
        seen_flips.add(matches[0][2])
    assert len(seen_shifts) > 5 and seen_flips == {False, True}


def test_seeded_layers_repeat_and_config_round_trips():
    images = np.random.default_rng(2).uniform(size=(4, 5, 5, 1)).astype("float32")
    first = RandomFlipCrop(padding=1, seed=7)(images, training=True)
    second = RandomFlipCrop(padding=1, seed=7)(images, training=True)
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(first), keras.ops.convert_to_numpy(second)
    )
    kwargs = {"padding": 3, "flip": False, "seed": 1}
    restored = run_layer_test(RandomFlipCrop, kwargs, (2, 5, 5, 1))
    assert (restored.padding, restored.flip, restored.seed) == (3, False, 1)
    with pytest.raises(ValueError, match="padding"):
        RandomFlipCrop(padding=-1)


def test_ten_inference_views_are_the_corner_and_centre_crops_and_mirrors():
    rng = np.random.default_rng(3)
    images = rng.uniform(0.1, 1.0, size=(3, 6, 7, 2)).astype("float32")
    layer = RandomFlipCrop(padding=2, inference_views=10)
    assert layer.num_views == 10
    out = keras.ops.convert_to_numpy(layer(images))
    assert out.shape == (30, 6, 7, 2)
    # Oracle: view-major, mirrored views first (as CaffeCrop), offsets corners then centre.
    offsets = [(0, 0), (0, 4), (4, 0), (4, 4), (2, 2)]
    for n, image in enumerate(images):
        padded = np.pad(image, ((2, 2), (2, 2), (0, 0)))
        for view, (mirror, (r, c)) in enumerate(
            [(True, o) for o in offsets] + [(False, o) for o in offsets]
        ):
            source = padded[:, ::-1] if mirror else padded
            np.testing.assert_array_equal(out[view * 3 + n], source[r : r + 6, c : c + 7])
    # Training still returns one random crop per image.
    assert keras.ops.convert_to_numpy(layer(images, training=True)).shape == images.shape
    assert run_config_round_trip(layer).num_views == 10
    for kwargs in ({"inference_views": 5}, {"inference_views": 10, "padding": 0}):
        with pytest.raises(ValueError, match="inference_views"):
            RandomFlipCrop(**kwargs)
    with pytest.raises(ValueError, match="flip=True"):
        RandomFlipCrop(inference_views=10, flip=False)


def test_two_inference_views_are_the_mirror_then_the_image():
    images = np.random.default_rng(5).uniform(size=(3, 6, 7, 2)).astype("float32")
    layer = RandomFlipCrop(padding=2, inference_views=2)
    out = keras.ops.convert_to_numpy(layer(images))
    np.testing.assert_array_equal(out[:3], images[:, :, ::-1])
    np.testing.assert_array_equal(out[3:], images)
    assert run_config_round_trip(layer).num_views == 2
    # Without padding the centre crop is still the image itself.
    assert RandomFlipCrop(padding=0, inference_views=2)(images).shape == (6, 6, 7, 2)
    with pytest.raises(ValueError, match="inference_views=2. needs .flip=True"):
        RandomFlipCrop(inference_views=2, flip=False)


def test_hashing_model_averages_the_ten_or_two_views():
    from keras_hashing.backbones import SmallCNN
    from keras_hashing.models import DCH

    keras.utils.set_random_seed(0)
    images = np.random.default_rng(4).uniform(size=(5, 28, 28, 1)).astype("float32")
    model = DCH(
        SmallCNN(filters=(4,), units=8, dropout=0.0),
        6,
        preprocessor=RandomFlipCrop(padding=2, inference_views=10),
    )
    outputs = keras.ops.convert_to_numpy(model(images))
    views = model.preprocessor(images)
    per_view = keras.ops.convert_to_numpy(model.hash_layer(model.backbone(views)))
    if model.with_tanh:
        per_view = np.tanh(per_view)
    expected = per_view.reshape(10, 5, 6).mean(axis=0)
    np.testing.assert_allclose(outputs, expected, rtol=1e-5, atol=1e-6)
    assert model.encode(images).shape == (5, 6)
    two_views = DCH(
        SmallCNN(filters=(4,), units=8, dropout=0.0),
        6,
        preprocessor=RandomFlipCrop(padding=2, inference_views=2),
    )
    two_views(images)
    two_views.set_weights(model.get_weights())
    mirrored = keras.ops.convert_to_numpy(model.hash_layer(model.backbone(images[:, :, ::-1])))
    as_is = keras.ops.convert_to_numpy(model.hash_layer(model.backbone(images)))
    if model.with_tanh:
        mirrored, as_is = np.tanh(mirrored), np.tanh(as_is)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(two_views(images)), (mirrored + as_is) / 2, rtol=1e-5, atol=1e-6
    )


def test_cutout_erases_one_square_per_training_image_only():
    images = np.ones((200, 12, 10, 2), "float32")
    layer = RandomFlipCrop(padding=0, flip=False, cutout=4, seed=5)
    out = keras.ops.convert_to_numpy(layer(images, training=True))
    assert set(np.unique(out)) <= {0.0, 1.0}
    areas = set()
    for image in out:
        erased = image[:, :, 0] == 0
        np.testing.assert_array_equal(erased, image[:, :, 1] == 0)  # every channel alike
        rows, cols = np.nonzero(erased)
        assert len(rows), "every image loses a square (its centre is always inside)"
        # One axis-aligned rectangle, at most 4 x 4, at least the 2 x 2 of a corner centre.
        height, width = np.ptp(rows) + 1, np.ptp(cols) + 1
        assert erased.sum() == height * width and 2 <= height <= 4 and 2 <= width <= 4
        areas.add(int(erased.sum()))
    assert 16 in areas and min(areas) < 16  # whole squares inside, clipped ones at the borders
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer(images)), images)
    assert run_config_round_trip(layer).cutout == 4
    with pytest.raises(ValueError, match="cutout"):
        RandomFlipCrop(cutout=-1)
