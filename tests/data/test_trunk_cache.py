"""TrunkCache: views, what is stored, resuming, checks, and the tf.data reader."""

import json
import os

import cv2
import keras
import numpy as np
import pytest

from keras_hashing.data import trunk_cache as trunk_cache_module
from keras_hashing.data.trunk_cache import TrunkCache
from keras_hashing.data.trunk_cache import crop_views
from keras_hashing.data.trunk_cache import trunk_cache_dataset


def _images(folder, count, side=12):
    """PNG files whose pixels encode the image index, with a left-right asymmetry."""
    paths = []
    for index in range(count):
        image = np.zeros((side, side, 3), np.uint8)
        image[..., 0] = 10 * index
        image[:, : side // 2, 1] = 200  # left half bright in the green channel
        image[..., 2] = np.arange(side, dtype=np.uint8)[None, :] * 3
        path = os.path.join(folder, f"{index}.png")
        cv2.imwrite(path, image[..., ::-1])  # OpenCV writes BGR
        paths.append(path)
    return paths


def _labels(count, width=3):
    return np.eye(width, dtype=np.float32)[np.arange(count) % width]


def _pool_trunk(images):
    """A trunk that keeps enough to identify the input: 2x2 mean pooling."""
    batch, side = images.shape[0], images.shape[1]
    return images.reshape(batch, side // 2, 2, side // 2, 2, 3).mean(axis=(2, 4))


def test_crop_views_centre_first_then_random_crops_and_flips():
    image = np.arange(10 * 10 * 1, dtype=np.float32).reshape(10, 10, 1)
    views = crop_views(image, 40, 6, np.random.default_rng(0))
    assert views.shape == (40, 6, 6, 1)
    np.testing.assert_array_equal(views[0], image[2:8, 2:8])
    crops = [image[t : t + 6, s : s + 6] for t in range(5) for s in range(5)]
    candidates = crops + [crop[:, ::-1] for crop in crops]
    flipped = 0
    for view in views[1:]:
        matches = [i for i, c in enumerate(candidates) if np.array_equal(view, c)]
        assert matches, "every view is a crop of the image, maybe flipped"
        flipped += matches[0] >= len(crops)
    assert 5 < flipped < 35
    assert len({view.tobytes() for view in views}) > 10


def test_crop_views_rejects_a_small_or_non_square_image():
    with pytest.raises(ValueError, match="at least 8"):
        crop_views(np.zeros((6, 6, 3)), 2, 8, np.random.default_rng(0))
    with pytest.raises(ValueError, match="square"):
        crop_views(np.zeros((10, 12, 3)), 2, 8, np.random.default_rng(0))


def _build(directory, paths, labels, views=2, trunk=_pool_trunk, **kwargs):
    splits = {"train": (paths, labels), "query": (paths[:3], labels[:3])}
    return TrunkCache.build(
        directory,
        trunk,
        splits,
        views={"train": views},
        image_size=8,
        resize_size=12,
        batch_size=3,
        verbose=0,
        **kwargs,
    )


def test_build_stores_the_trunk_outputs_of_each_view(tmp_path):
    paths = _images(tmp_path, 7)
    labels = _labels(7)
    cache = _build(tmp_path / "cache", paths, labels, views=3)
    assert cache.splits == ["train", "query"]
    assert cache.feature_shape == (4, 4, 3)
    assert cache.num_views("train") == 3 and cache.num_views("query") == 1
    features = cache.features("train")
    assert features.dtype == np.float16 and features.shape == (7, 3, 4, 4, 3)
    np.testing.assert_array_equal(cache.labels("train"), labels)
    for row, path in enumerate(paths):
        rgb = cv2.imread(path)[..., ::-1].astype(np.float32)
        centre = _pool_trunk(rgb[None, 2:10, 2:10])[0]
        np.testing.assert_allclose(features[row, 0], centre, rtol=1e-3)
        np.testing.assert_allclose(cache.features("query")[row % 3, 0], features[row % 3, 0])
        # the random views are other crops of the same image
        assert not np.array_equal(features[row, 1], features[row, 2])
        np.testing.assert_allclose(features[row, 1][..., 0], 10 * row, rtol=1e-3)


def test_an_interrupted_build_resumes_to_the_same_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(trunk_cache_module, "CHUNK", 2)
    paths = _images(tmp_path, 7)
    labels = _labels(7)
    whole = _build(tmp_path / "whole", paths, labels)
    calls = []

    def failing_trunk(images):
        calls.append(len(images))
        if len(calls) == 5:  # two trunk calls per chunk of 2 images x 2 views
            raise KeyboardInterrupt
        return _pool_trunk(images)

    with pytest.raises(KeyboardInterrupt):
        _build(tmp_path / "resumed", paths, labels, trunk=failing_trunk)
    with open(tmp_path / "resumed" / "manifest.json") as handle:
        assert json.load(handle)["splits"]["train"]["done"] == 4
    with pytest.raises(ValueError, match="incomplete"):
        TrunkCache(tmp_path / "resumed")
    seen = []
    resumed = _build(
        tmp_path / "resumed", paths, labels, trunk=lambda x: seen.append(len(x)) or _pool_trunk(x)
    )
    assert sum(seen) == (7 - 4) * 2 + 3  # the rest of train (2 views) and the queries
    np.testing.assert_array_equal(resumed.features("train"), whole.features("train"))
    np.testing.assert_array_equal(resumed.features("query"), whole.features("query"))


def test_build_refuses_a_cache_made_with_other_settings(tmp_path):
    paths = _images(tmp_path, 4)
    _build(tmp_path / "cache", paths, _labels(4))
    with pytest.raises(ValueError, match="other settings"):
        _build(tmp_path / "cache", paths, _labels(4), description="another trunk")
    with pytest.raises(ValueError, match="other settings"):
        _build(tmp_path / "cache", paths[::-1], _labels(4))


def test_build_names_an_unreadable_image(tmp_path):
    paths = _images(tmp_path, 4)
    with open(paths[2], "wb") as handle:
        handle.write(b"not an image")
    with pytest.raises(ValueError, match=r"2\.png \(split 'train', line 3\)"):
        _build(tmp_path / "cache", paths, _labels(4))


def test_build_checks_labels_views_and_sizes(tmp_path):
    paths = _images(tmp_path, 4)
    with pytest.raises(ValueError, match="labels"):
        _build(tmp_path / "a", paths, _labels(3))
    with pytest.raises(ValueError, match="resize_size"):
        TrunkCache.build(tmp_path / "b", _pool_trunk, {"t": (paths, _labels(4))}, image_size=8,
                         resize_size=6, verbose=0)
    with pytest.raises(ValueError, match="unknown splits"):
        TrunkCache.build(tmp_path / "c", _pool_trunk, {"t": (paths, _labels(4))},
                         views={"x": 2}, image_size=8, verbose=0)


def test_opening_a_missing_cache_or_split_says_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match="TrunkCache.build"):
        TrunkCache(tmp_path)
    cache = _build(tmp_path / "cache", _images(tmp_path, 4), _labels(4))
    with pytest.raises(KeyError, match="database"):
        cache.features("database")


def test_training_dataset_shuffles_full_batches_and_draws_every_view(tmp_path):
    paths = _images(tmp_path, 9)
    labels = _labels(9)
    cache = _build(tmp_path / "cache", paths, labels, views=3)
    features = cache.features("train").astype(np.float32)
    keras.utils.set_random_seed(0)  # a global seed must not freeze the views between epochs
    dataset = trunk_cache_dataset(cache, "train", batch_size=4, training=True, seed=1)
    orders, views_seen, views_of_item = [], set(), {}
    for _ in range(6):
        order = []
        for maps, rows in dataset:
            maps, rows = maps.numpy(), rows.numpy()
            assert maps.shape == (4, 4, 4, 3) and rows.shape == (4, 3)
            for map_, row in zip(maps, rows):
                index = int(round(map_[0, 0, 0] / 10))  # the red channel holds 10 * index
                view = [v for v in range(3) if np.array_equal(features[index, v], map_)]
                assert view, "each example is one cached view of its image"
                views_seen.add(view[0])
                views_of_item.setdefault(index, set()).add(view[0])
                np.testing.assert_array_equal(row, labels[index])
                order.append(index)
        assert len(order) == 8 and len(set(order)) == 8  # full batches, no repeats
        orders.append(order)
    assert views_seen == {0, 1, 2}
    assert max(len(views) for views in views_of_item.values()) == 3  # new draws every epoch
    assert len({tuple(order) for order in orders}) > 1


def test_evaluation_dataset_keeps_the_order_and_the_centre_view(tmp_path):
    paths = _images(tmp_path, 7)
    cache = _build(tmp_path / "cache", paths, _labels(7))
    maps = np.concatenate(list(trunk_cache_dataset(cache, "train", 3).as_numpy_iterator()))
    np.testing.assert_array_equal(maps, cache.features("train")[:, 0].astype(np.float32))
    rows = np.array([5, 0, 2])
    part = np.concatenate(
        list(trunk_cache_dataset(cache, "train", 2, rows=rows).as_numpy_iterator())
    )
    np.testing.assert_array_equal(part, cache.features("train")[rows, 0].astype(np.float32))


def test_training_batches_with_indices_name_each_item_of_the_split_or_rows(tmp_path):
    # The quantizers keep a code per training item: `indices` must point at the item whose
    # maps and labels the batch holds, positions in `rows` when a subset is given.
    paths = _images(tmp_path, 9)
    labels = _labels(9)
    cache = _build(tmp_path / "cache", paths, labels, views=2)
    rows = np.array([8, 1, 4, 6, 0, 3])
    for subset in (None, rows):
        dataset = trunk_cache_dataset(
            cache, "train", batch_size=3, training=True, seed=2, rows=subset, with_indices=True
        )
        seen = []
        for inputs, batch_labels in dataset.as_numpy_iterator():
            assert sorted(inputs) == ["images", "indices"]
            assert inputs["indices"].dtype == np.int64
            for map_, position, row in zip(inputs["images"], inputs["indices"], batch_labels):
                item = int(position) if subset is None else int(subset[position])
                assert int(round(map_[0, 0, 0] / 10)) == item
                np.testing.assert_array_equal(row, labels[item])
                seen.append(int(position))
        count = 9 if subset is None else len(rows)
        assert len(seen) == count // 3 * 3 and set(seen) <= set(range(count))
    with pytest.raises(ValueError, match="with_indices"):
        trunk_cache_dataset(cache, "train", 3, with_indices=True)


def test_dataset_checks_its_arguments(tmp_path):
    cache = _build(tmp_path / "cache", _images(tmp_path, 4), _labels(4))
    with pytest.raises(ValueError, match="batch_size"):
        trunk_cache_dataset(cache, "train", 0)
    with pytest.raises(ValueError, match="no full batch"):
        trunk_cache_dataset(cache, "train", 5, training=True)
    with pytest.raises(ValueError, match="rows"):
        trunk_cache_dataset(cache, "train", 2, rows=[4])


def test_derive_applies_a_further_part_to_every_cached_map(tmp_path, monkeypatch):
    monkeypatch.setattr(trunk_cache_module, "CHUNK", 2)
    paths = _images(tmp_path, 5)
    source = _build(tmp_path / "source", paths, _labels(5), views=3)

    def part(maps):
        return maps[:, ::2, ::2] * 2.0

    derived = TrunkCache.derive(tmp_path / "deeper", source, part, "x2 pool", verbose=0)
    assert derived.splits == source.splits and derived.feature_shape == (2, 2, 3)
    for split in source.splits:
        expected = source.features(split).astype(np.float32)[:, :, ::2, ::2] * 2.0
        np.testing.assert_allclose(derived.features(split), expected, rtol=1e-3)
        np.testing.assert_array_equal(derived.labels(split), source.labels(split))
        assert derived.num_views(split) == source.num_views(split)
    again = TrunkCache.derive(tmp_path / "deeper", source, part, "x2 pool", verbose=0)
    np.testing.assert_array_equal(again.features("train"), derived.features("train"))
    with pytest.raises(ValueError, match="other settings"):
        TrunkCache.derive(tmp_path / "deeper", source, part, "another part", verbose=0)
