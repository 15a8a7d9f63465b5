"""DeepHash list files and their OpenCV `tf.data` pipeline.

Spec deephash.md §2.1 (format), §2.4 (OpenCV loading, cache), §2.5 (batching), §10.25 (bad images).
"""

import logging
import os

import cv2
import numpy as np
import pytest

from keras_hashing.data.image_list import ImageListDataset
from keras_hashing.data.image_list import image_list_dataset
from keras_hashing.data.image_list import load_image
from keras_hashing.data.image_list import read_image_list
from keras_hashing.data.image_list import write_image_list


def _write(path, text):
    path.write_text(text)
    return str(path)


# --------------------------------------------------------------------------- parsing


def test_read_image_list_parses_paths_and_labels(tmp_path):
    list_path = _write(tmp_path / "train.txt", "a/1.jpg 0 1 1\n\nb/2.jpg 1 0 0\r\n")
    paths, labels = read_image_list(list_path, data_root=str(tmp_path / "root"))
    assert paths == [str(tmp_path / "root" / "a" / "1.jpg"), str(tmp_path / "root" / "b" / "2.jpg")]
    np.testing.assert_array_equal(labels, [[0, 1, 1], [1, 0, 0]])
    assert labels.dtype == np.int64
    paths, labels, lines = read_image_list(list_path, num_labels=3, return_line_numbers=True)
    assert paths[0] == str(tmp_path / "a" / "1.jpg")  # default root: the list's folder
    np.testing.assert_array_equal(lines, [1, 3])


def test_read_image_list_expands_user_in_data_root(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    list_path = _write(tmp_path / "l.txt", "x.png 1\n")
    paths, _ = read_image_list(list_path, data_root="~/data")
    assert paths == [os.path.join(str(tmp_path), "data", "x.png")]


@pytest.mark.parametrize(
    "text, num_labels, line, fragment",
    [
        ("a.jpg 0 1\nb.jpg 0 1 0\n", None, 2, "expected 2 labels after the path, found 3"),
        ("a.jpg 0 1\nb.jpg 0 1\n", 3, 1, "expected 3 labels after the path, found 2"),
        ("a.jpg 0 1\nb.jpg 0 2\n", None, 2, "label 1 is '2'"),
        ("a.jpg 0 1\n\nb.jpg x 1\n", None, 3, "label 0 is 'x'"),
        ("a.jpg 0.5 1\n", None, 1, "label 0 is '0.5'"),
        ("a.jpg 0 1\nb.jpg\n", None, 2, "has no labels; expected 2"),
        ("a.jpg\n", None, 1, "has no labels"),
        ("a.jpg\n", 10, 1, "has no labels; expected 10"),
    ],
)
def test_read_image_list_errors_name_file_and_line(tmp_path, text, num_labels, line, fragment):
    list_path = _write(tmp_path / "bad.txt", text)
    with pytest.raises(ValueError) as info:
        read_image_list(list_path, num_labels=num_labels)
    message = str(info.value)
    assert f"{list_path}, line {line}:" in message
    assert fragment in message


def test_read_image_list_empty_and_missing(tmp_path):
    with pytest.raises(ValueError, match="holds no entries"):
        read_image_list(_write(tmp_path / "empty.txt", "\n  \n"))
    with pytest.raises(ValueError, match="does not exist"):
        read_image_list(str(tmp_path / "nope.txt"))


def test_read_image_list_path_only_with_zero_labels(tmp_path):
    paths, labels = read_image_list(_write(tmp_path / "l.txt", "a.jpg\nb.jpg\n"), num_labels=0)
    assert len(paths) == 2 and labels.shape == (2, 0)


def test_write_then_read_round_trip(tmp_path):
    labels = np.array([[1, 0, 0], [0, 1, 1]])
    write_image_list(tmp_path / "sub" / "list.txt", ["a/1.png", "b/2.png"], labels)
    assert (tmp_path / "sub" / "list.txt").read_text() == "a/1.png 1 0 0\nb/2.png 0 1 1\n"
    paths, parsed = read_image_list(str(tmp_path / "sub" / "list.txt"), data_root=str(tmp_path))
    np.testing.assert_array_equal(parsed, labels)
    assert paths[1] == str(tmp_path / "b" / "2.png")


def test_write_image_list_rejects_bad_input(tmp_path):
    with pytest.raises(ValueError, match="must be 0 or 1; row 1, column 0"):
        write_image_list(tmp_path / "l.txt", ["a", "b"], [[1], [2]])
    with pytest.raises(ValueError, match=r"shape \(2, L\)"):
        write_image_list(tmp_path / "l.txt", ["a", "b"], [[1]])
    with pytest.raises(ValueError, match="whitespace"):
        write_image_list(tmp_path / "l.txt", ["a b"], [[1]])


# --------------------------------------------------------------------------- images


def _png_set(tmp_path, count, num_labels=3, size=(20, 24), seed=0):
    """Writes `count` random PNGs (varied sizes, some grayscale) and a labelled list."""
    rng = np.random.default_rng(seed)
    (tmp_path / "img").mkdir(exist_ok=True)
    lines, labels = [], np.zeros((count, num_labels), np.int64)
    for i in range(count):
        shape = (size[0] + i, size[1]) if i % 3 else (size[0], size[1] + i)
        image = rng.integers(0, 256, shape if i % 4 == 3 else shape + (3,), dtype=np.uint8)
        cv2.imwrite(str(tmp_path / "img" / f"{i}.png"), image)
        labels[i, i % num_labels] = 1
        lines.append(f"img/{i}.png " + " ".join(map(str, labels[i])))
    list_path = _write(tmp_path / "list.txt", "\n".join(lines) + "\n")
    return list_path, labels


def _expected(tmp_path, i, size=256):
    image = cv2.imread(str(tmp_path / "img" / f"{i}.png"))
    return cv2.resize(image, (size, size), interpolation=cv2.INTER_LINEAR)


def _identify(batch_images, references):
    """Index of each image in `references` (exact match)."""
    found = []
    for image in batch_images:
        matches = [k for k, ref in enumerate(references) if np.array_equal(image, ref)]
        assert len(matches) == 1
        found.append(matches[0])
    return found


def test_load_image_is_opencv_bgr_bilinear(tmp_path):
    list_path, _ = _png_set(tmp_path, 4)
    for i in range(4):
        image = load_image(str(tmp_path / "img" / f"{i}.png"))
        assert image.dtype == np.uint8 and image.shape == (256, 256, 3)
        np.testing.assert_array_equal(image, _expected(tmp_path, i))
    blue = np.zeros((8, 8, 3), np.uint8)
    blue[..., 0] = 200  # cv2.imwrite takes BGR: a blue image
    cv2.imwrite(str(tmp_path / "blue.png"), blue)
    assert load_image(str(tmp_path / "blue.png"), 8)[3, 3].tolist() == [200, 0, 0]
    assert load_image(str(tmp_path / "missing.png")) is None


@pytest.mark.tensorflow_only
def test_evaluation_pipeline_keeps_order_and_pixels(tmp_path):
    list_path, labels = _png_set(tmp_path, 7)
    dataset = image_list_dataset(list_path, None, 3, batch_size=3, training=False, cache=None)
    batches = list(dataset)
    assert [int(x.shape[0]) for x, _ in batches] == [3, 3, 1]  # last batch short, no overlap
    images = np.concatenate([x.numpy() for x, _ in batches])
    batch_labels = np.concatenate([y.numpy() for _, y in batches])
    assert images.dtype == np.uint8 and images.shape == (7, 256, 256, 3)
    assert batch_labels.dtype == np.float32
    np.testing.assert_array_equal(batch_labels, labels.astype(np.float32))
    for i in range(7):
        np.testing.assert_array_equal(images[i], _expected(tmp_path, i))


@pytest.mark.tensorflow_only
def test_images_only_and_image_size(tmp_path):
    list_path, _ = _png_set(tmp_path, 3)
    dataset = image_list_dataset(
        list_path, str(tmp_path), 3, batch_size=2, training=False, labels=False, image_size=32
    )
    batches = list(dataset)
    assert batches[0].shape == (2, 32, 32, 3)
    np.testing.assert_array_equal(batches[1][0].numpy(), _expected(tmp_path, 2, size=32))


@pytest.mark.tensorflow_only
def test_training_reshuffles_each_epoch_covers_each_item_once_and_drops_remainder(tmp_path):
    list_path, labels = _png_set(tmp_path, 10)
    references = [_expected(tmp_path, i, 32) for i in range(10)]
    dataset = image_list_dataset(
        list_path, None, 3, batch_size=4, training=True, shuffle_seed=3, image_size=32
    )
    orders = []
    for _ in range(3):
        batches = list(dataset)
        assert [int(x.shape[0]) for x, _ in batches] == [4, 4]  # remainder (2) dropped
        order = []
        for x, y in batches:
            found = _identify(x.numpy(), references)
            np.testing.assert_array_equal(y.numpy(), labels[found].astype(np.float32))  # aligned
            order.extend(found)
        assert len(set(order)) == 8  # no item twice within an epoch
        orders.append(tuple(order))
    assert len(set(orders)) > 1  # reshuffled between epochs
    # Seeded: a fresh pipeline with the same seed repeats the epoch sequence.
    again = image_list_dataset(
        list_path, None, 3, batch_size=4, training=True, shuffle_seed=3, image_size=32
    )
    first = [i for x, _ in again for i in _identify(x.numpy(), references)]
    assert tuple(first) == orders[0]


@pytest.mark.tensorflow_only
def test_training_epoch_without_remainder_covers_every_item(tmp_path):
    list_path, _ = _png_set(tmp_path, 8)
    references = [_expected(tmp_path, i, 16) for i in range(8)]
    dataset = image_list_dataset(list_path, None, 3, batch_size=4, training=True, image_size=16)
    seen = [i for x, _ in dataset for i in _identify(x.numpy(), references)]
    assert sorted(seen) == list(range(8))


@pytest.mark.tensorflow_only
@pytest.mark.parametrize("cache", ["memory", "file"])
def test_cache_serves_the_second_pass(tmp_path, cache):
    list_path, _ = _png_set(tmp_path, 5)
    location = "memory" if cache == "memory" else str(tmp_path / "cache" / "train.npy")
    images = ImageListDataset(list_path, num_labels=3, image_size=32, cache=location)
    dataset = images.dataset(2, training=False)
    first = np.concatenate([x.numpy() for x, _ in dataset])
    for i in range(5):  # the files are gone: only the cache can serve them
        os.remove(tmp_path / "img" / f"{i}.png")
    second = np.concatenate([x.numpy() for x, _ in dataset])
    np.testing.assert_array_equal(first, second)
    if cache == "file":
        # A later run reuses the complete cache file: new pixels in the files are not read.
        for i in range(5):
            cv2.imwrite(str(tmp_path / "img" / f"{i}.png"), np.full((4, 4, 3), 7, np.uint8))
        reopened = ImageListDataset(list_path, num_labels=3, image_size=32, cache=location)
        third = np.concatenate([x.numpy() for x, _ in reopened.dataset(2, training=False)])
        np.testing.assert_array_equal(first, third)
        fresh = ImageListDataset(list_path, num_labels=3, image_size=32, cache=None)
        assert (np.concatenate([x.numpy() for x, _ in fresh.dataset(2, training=False)]) == 7).all()


@pytest.mark.tensorflow_only
def test_auto_cache_keeps_training_images_only(tmp_path):
    list_path, _ = _png_set(tmp_path, 2)
    train = image_list_dataset(list_path, None, 3, batch_size=2, training=True, image_size=8)
    # Like the original, evaluation lists are read from disk on every pass.
    dataset = image_list_dataset(list_path, None, 3, batch_size=2, training=False, image_size=8)
    list(train)
    list(dataset)
    os.remove(tmp_path / "img" / "1.png")
    assert sum(int(x.shape[0]) for x, _ in train) == 2
    with pytest.raises(Exception, match=r"line 2: OpenCV could not decode image"):
        list(dataset)


def _corrupt_set(tmp_path):
    list_path, labels = _png_set(tmp_path, 6)
    os.remove(tmp_path / "img" / "1.png")  # missing
    (tmp_path / "img" / "4.png").write_bytes(b"not an image at all")  # undecodable
    return list_path, labels


def test_missing_or_undecodable_image_raises_naming_file_and_line(tmp_path):
    list_path, _ = _corrupt_set(tmp_path)
    with pytest.raises(ValueError) as info:
        ImageListDataset(list_path)
    missing = tmp_path / "img" / "1.png"
    assert f"{list_path}, line 2: image {missing} does not exist" in str(info.value)
    os.remove(tmp_path / "img" / "4.png")
    cv2.imwrite(str(tmp_path / "img" / "1.png"), np.zeros((4, 4), np.uint8))
    (tmp_path / "img" / "4.png").write_bytes(b"not an image at all")
    with pytest.raises(ValueError, match=r"line 5: image .*4\.png is not an image OpenCV can"):
        ImageListDataset(list_path)


def test_verify_decode_catches_a_file_damaged_past_its_header(tmp_path):
    list_path, _ = _png_set(tmp_path, 3)
    png = (tmp_path / "img" / "2.png").read_bytes()
    # Header and end marker intact, image data zeroed: only decoding finds it.
    damaged = png[:60] + bytes(len(png) - 72) + png[-12:]
    (tmp_path / "img" / "2.png").write_bytes(damaged)
    ImageListDataset(list_path)  # the cheap header and tail checks let it through
    with pytest.raises(ValueError, match=r"line 3: image .*2\.png could not be decoded by OpenCV"):
        ImageListDataset(list_path, verify="decode")


@pytest.mark.tensorflow_only
def test_skip_drops_images_with_their_labels(tmp_path, caplog):
    list_path, labels = _corrupt_set(tmp_path)
    with caplog.at_level(logging.WARNING, logger="keras_hashing"):
        images = ImageListDataset(list_path, on_error="skip", image_size=16)
    assert "skipped 2 unreadable image(s)" in caplog.text
    assert "line 2:" in caplog.text and "line 5:" in caplog.text
    kept = [0, 2, 3, 5]
    assert [line for _, line, _ in images.skipped] == [2, 5]
    np.testing.assert_array_equal(images.line_numbers, [1, 3, 4, 6])
    np.testing.assert_array_equal(images.labels, labels[kept])
    x, y = next(iter(images.dataset(8, training=False)))
    assert x.shape == (4, 16, 16, 3)
    np.testing.assert_array_equal(y.numpy(), labels[kept].astype(np.float32))
    for row, i in enumerate(kept):
        np.testing.assert_array_equal(x[row].numpy(), _expected(tmp_path, i, 16))


@pytest.mark.tensorflow_only
def test_skip_at_decode_time_drops_the_label_too(tmp_path):
    list_path, labels = _png_set(tmp_path, 4)
    images = ImageListDataset(list_path, on_error="skip", image_size=16, cache=None)
    png = (tmp_path / "img" / "1.png").read_bytes()
    (tmp_path / "img" / "1.png").write_bytes(png[:60])
    x, y = next(iter(images.dataset(8, training=False)))
    np.testing.assert_array_equal(y.numpy(), labels[[0, 2, 3]].astype(np.float32))
    np.testing.assert_array_equal(x[1].numpy(), _expected(tmp_path, 2, 16))


def test_constructor_validates_arguments(tmp_path):
    list_path, _ = _png_set(tmp_path, 1)
    with pytest.raises(ValueError, match="give no batch of 2"):
        ImageListDataset(list_path).dataset(2, training=True)
    with pytest.raises(ValueError, match="on_error"):
        ImageListDataset(list_path, on_error="ignore")
    with pytest.raises(ValueError, match="image_size"):
        ImageListDataset(list_path, image_size=0)
    with pytest.raises(ValueError, match="verify"):
        ImageListDataset(list_path, verify="all")
