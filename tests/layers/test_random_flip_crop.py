import keras
import numpy as np
import pytest

from keras_hashing.layers import RandomFlipCrop


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
    layer = RandomFlipCrop(padding=3, flip=False, seed=1)
    clone = RandomFlipCrop.from_config(layer.get_config())
    assert (clone.padding, clone.flip, clone.seed) == (3, False, 1)
    with pytest.raises(ValueError, match="padding"):
        RandomFlipCrop(padding=-1)
