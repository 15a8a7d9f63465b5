"""DHN_PyTorch's datasets and torchvision-style transforms (data/torchvision_images.py)."""

import os

import cv2
import numpy as np
import pytest

from keras_hashing.data import torchvision_images as tvi


def write_class_folders(base, counts, classes=("cat", "dog"), size=(30, 40)):
    """PNG files under `base/<part>/<class>/`, `counts[part]` per class."""
    rng = np.random.default_rng(0)
    for part, count in counts.items():
        for name in classes:
            os.makedirs(os.path.join(base, part, name), exist_ok=True)
            for i in range(count):
                image = rng.integers(0, 255, (*size, 3)).astype(np.uint8)
                cv2.imwrite(os.path.join(base, part, name, f"{i:02d}.png"), image)


def test_split_rule():
    labels = np.array([1, 0, 1, 0, 0, 1, 1, 0, 0, 1])
    query, train, database = tvi.dhn_pytorch_class_split(labels, 1, 2)
    # Sorted by class, file order kept: class 0 = [1, 3, 4, 7, 8], class 1 = [0, 2, 5, 6, 9].
    np.testing.assert_array_equal(query, [1, 0])
    np.testing.assert_array_equal(train, [3, 4, 2, 5])
    np.testing.assert_array_equal(database, [7, 8, 6, 9])


def test_cifar_and_imagenet_class_folders(tmp_path):
    counts = {"train": 2, "query": 1, "database": 3}
    write_class_folders(str(tmp_path / "cifar" / "images"), counts)
    write_class_folders(str(tmp_path / "imagenet"), counts)
    for dataset, root in (("cifar-10", "cifar"), ("imagenet-tc100", "imagenet")):
        splits = tvi.dhn_pytorch_image_splits(dataset, str(tmp_path / root))
        assert {part: len(paths) for part, (paths, _) in splits.items()} == {
            "train": 4,
            "query": 2,
            "database": 6,
        }
        paths, labels = splits["database"]
        assert [os.path.basename(path) for path in paths[:3]] == ["00.png", "01.png", "02.png"]
        np.testing.assert_array_equal(labels, np.eye(2)[[0, 0, 0, 1, 1, 1]])
    with pytest.raises(FileNotFoundError, match="is not a folder"):
        tvi.dhn_pytorch_image_splits("cifar-10", str(tmp_path / "missing"))
    with pytest.raises(FileNotFoundError, match=r"images/train does not exist"):
        tvi.dhn_pytorch_image_splits("cifar-10", str(tmp_path / "imagenet"))
    with pytest.raises(ValueError, match="dataset must be"):
        tvi.dhn_pytorch_image_splits("mnist", str(tmp_path / "imagenet"))


def test_nus_wide_lists_and_their_label_files(tmp_path):
    write_class_folders(str(tmp_path / "img"), {"all": 3}, classes=("a",))
    files = sorted(os.listdir(tmp_path / "img" / "all" / "a"))
    for part, (image_list, label_file) in tvi.NUS_WIDE_TC21_FILES.items():
        (tmp_path / image_list).write_text("".join(f"img/all/a/{f}\n" for f in files))
        np.savetxt(tmp_path / label_file, np.eye(3)[[0, 1, 2]], fmt="%d")
    splits = tvi.dhn_pytorch_image_splits("nus-wide-tc21", str(tmp_path))
    paths, labels = splits["query"]
    assert paths[0] == os.path.join(str(tmp_path), "img/all/a/00.png")
    assert labels.shape == (3, 3) and labels.dtype == np.float32
    np.savetxt(tmp_path / "test_label_onehot.txt", np.eye(3)[:2], fmt="%d")
    with pytest.raises(ValueError, match=r"test_label_onehot\.txt: 2 label rows for the 3"):
        tvi.dhn_pytorch_image_splits("nus-wide-tc21", str(tmp_path))


def test_crops_have_torchvision_sizes():
    rng = np.random.default_rng(0)
    for shape in ((30, 40, 3), (500, 20, 3), (20, 500, 3)):  # the last two use the fallback
        image = rng.integers(0, 255, shape).astype(np.uint8)
        assert tvi.random_resized_crop(image, rng).shape == (224, 224, 3)
        assert tvi.resize_center_crop(image).shape == (224, 224, 3)
    # Resize(256) on the shorter side then the centre 224: a uniform image stays uniform.
    assert np.all(tvi.resize_center_crop(np.full((300, 600, 3), 7, np.uint8)) == 7)


def test_torchvision_images_batches(tmp_path):
    write_class_folders(str(tmp_path), {"train": 3})
    paths, labels = tvi.image_folder(str(tmp_path / "train"), ["cat", "dog"])
    one_hot = np.eye(2, dtype=np.float32)[labels]
    train = tvi.TorchvisionImages(paths, one_hot, 4, training=True, seed=1)
    assert len(train) == 2  # 6 images: a full batch and a partial one, as DataLoader
    images, batch_labels = train[1]
    assert images.shape == (2, 224, 224, 3) and images.dtype == np.uint8
    assert batch_labels.shape == (2, 2)
    again = tvi.TorchvisionImages(paths, one_hot, 4, training=True, seed=1)
    np.testing.assert_array_equal(again[1][0], images)  # seeded crops, flips and order
    train.on_epoch_end()
    assert sorted(train.order.tolist()) == list(range(6))
    test = tvi.TorchvisionImages(
        paths, one_hot, 4, training=False, preprocess=lambda x: x.astype("float32") / 255
    )
    first = test[0]
    assert first.shape == (4, 224, 224, 3) and first.dtype == np.float32
    bad = tvi.TorchvisionImages([str(tmp_path / "none.png")], one_hot[:1], 1, training=False)
    with pytest.raises(ValueError, match="cannot read image .*none.png"):
        bad[0]
