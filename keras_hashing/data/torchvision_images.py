"""Datasets and image transforms as TreezzZ/DHN_PyTorch reads them, with OpenCV and NumPy.

The original loads three image datasets through torchvision: CIFAR-10 and ImageNet-100 as
class folders (`<part>/<class>/<image>`, data/cifar10.py and data/imagenet.py,
`ImagenetDataset`), NUS-WIDE as image lists with one-hot label files (data/nus_wide.py,
`NusWideDataset`). Training images get `RandomResizedCrop(224)` and a horizontal flip, query
and database images `Resize(256)` then `CenterCrop(224)` (data/transform.py), then ImageNet
normalisation. This module reads the same layouts and applies the same transforms without
torch: OpenCV decodes and resizes (bilinear, so pixels differ slightly from PIL's), and a
`keras.utils.PyDataset` serves the batches. Fashion-MNIST, which the original does not have, is
split by the rule of the original's CIFAR-10 preparation (`dhn_pytorch_class_split`).

No TensorFlow is needed here.
"""

from __future__ import annotations

import math
import os
from typing import Callable

import cv2
import keras
import numpy as np

__all__ = [
    "TorchvisionImages",
    "dhn_pytorch_class_split",
    "dhn_pytorch_image_splits",
    "image_folder",
    "random_resized_crop",
    "resize_center_crop",
]

# NUS-WIDE (21 most frequent concepts): part -> (image list, one-hot label file), as
# data/nus_wide.py, `load_data`, names them under the dataset root.
NUS_WIDE_TC21_FILES = {
    "query": ("test_img.txt", "test_label_onehot.txt"),
    "train": ("train_img.txt", "train_label_onehot_tc21.txt"),
    "database": ("database_img.txt", "database_label_onehot.txt"),
}


def dhn_pytorch_class_split(
    labels: np.ndarray, num_query_per_class: int = 100, num_train_per_class: int = 500
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Query, train and database indices by the rule of DHN_PyTorch's CIFAR-10 preparation.

    The items are sorted by class; within each class the first `num_query_per_class` are
    queries, the next `num_train_per_class` training items, and the rest the database (which
    therefore excludes the training items). The sort is stable, so file order is kept inside a
    class (NumPy's default quicksort, which the original's helper uses, does not promise it).

    Args:
        labels: int array `(N,)` of class ids.
        num_query_per_class: int, default 100.
        num_train_per_class: int, default 500.

    Returns:
        `(query, train, database)`, three int index arrays, classes in ascending order.

    Example:
    >>> query, train, database = dhn_pytorch_class_split(np.array([1, 0, 1, 0, 0, 1]), 1, 1)
    >>> query.tolist(), train.tolist(), database.tolist()
    ([1, 0], [3, 2], [4, 5])
    """
    labels = np.asarray(labels)
    order = np.argsort(labels, kind="stable")
    query, train, database = [], [], []
    for label in np.unique(labels):
        members = order[labels[order] == label]
        query.append(members[:num_query_per_class])
        train.append(members[num_query_per_class : num_query_per_class + num_train_per_class])
        database.append(members[num_query_per_class + num_train_per_class :])
    return tuple(np.concatenate(part) for part in (query, train, database))


def image_folder(folder: str, classes: list[str]) -> tuple[list[str], list[int]]:
    """`(paths, class ids)` of `folder/<class>/*` for the given class order.

    Files are listed in sorted order (the original takes `os.listdir` order, which the file
    system decides); a class missing from `folder` contributes nothing.
    """
    paths, labels = [], []
    for index, name in enumerate(classes):
        class_dir = os.path.join(folder, name)
        if not os.path.isdir(class_dir):
            continue
        files = sorted(os.listdir(class_dir))
        paths.extend(os.path.join(class_dir, file) for file in files)
        labels.extend([index] * len(files))
    return paths, labels


def _nus_wide_tc21(root):
    splits = {}
    for part, (image_list, label_file) in NUS_WIDE_TC21_FILES.items():
        with open(os.path.join(root, image_list)) as handle:
            paths = [os.path.join(root, line.strip()) for line in handle if line.strip()]
        labels = np.loadtxt(os.path.join(root, label_file), dtype=np.float32, ndmin=2)
        if len(labels) != len(paths):
            raise ValueError(
                f"{os.path.join(root, label_file)}: {len(labels)} label rows for the "
                f"{len(paths)} images of {image_list}."
            )
        splits[part] = (paths, labels)
    return splits


def dhn_pytorch_image_splits(dataset: str, root: str) -> dict:
    """`{"train" | "query" | "database": (paths, one-hot labels)}` of an original dataset.

    Args:
        dataset: "cifar-10" (`root/images/{train,query,database}/<class>/*`, as the original's
            helper writes the PNGs), "imagenet-tc100" (`root/{train,query,database}/<class>/*`)
            or "nus-wide-tc21" (`root/{train,test,database}_img.txt` and their one-hot label
            files, the test list being the queries).
        root: the dataset folder (`--root`).

    Returns:
        a dict of `(list of image paths, float32 one-hot labels)` per part. For the class-folder
        datasets the class order is the sorted folder names of the training part.

    Raises:
        FileNotFoundError: when `root` or the training folder is missing.
        ValueError: for an unknown `dataset`, mismatched label files, or an empty part.
    """
    root = os.path.expanduser(root or "")
    if not root or not os.path.isdir(root):
        raise FileNotFoundError(f"--root {root!r} is not a folder (dataset {dataset}).")
    if dataset == "nus-wide-tc21":
        splits = _nus_wide_tc21(root)
    elif dataset in ("cifar-10", "imagenet-tc100"):
        base = os.path.join(root, "images") if dataset == "cifar-10" else root
        train_dir = os.path.join(base, "train")
        if not os.path.isdir(train_dir):
            raise FileNotFoundError(f"{train_dir} does not exist (dataset {dataset}).")
        classes = sorted(entry.name for entry in os.scandir(train_dir) if entry.is_dir())
        one_hot = np.eye(len(classes), dtype=np.float32)
        splits = {}
        for part in ("train", "query", "database"):
            paths, labels = image_folder(os.path.join(base, part), classes)
            splits[part] = (paths, one_hot[np.asarray(labels, dtype=int)])
    else:
        raise ValueError(
            f"dataset must be cifar-10, imagenet-tc100 or nus-wide-tc21, found {dataset!r}."
        )
    for part, (paths, _) in splits.items():
        if not paths:
            raise ValueError(f"the {part} part of {root} (dataset {dataset}) has no images.")
    return splits


def random_resized_crop(
    image: np.ndarray,
    rng: np.random.Generator,
    size: int = 224,
    scale: tuple[float, float] = (0.08, 1.0),
    ratio: tuple[float, float] = (3 / 4, 4 / 3),
) -> np.ndarray:
    """torchvision's `RandomResizedCrop(size)` on one `(H, W, C)` image, drawn from `rng`.

    Up to ten draws of an area fraction in `scale` and a log-uniform aspect ratio in `ratio`;
    the first crop that fits is resized to `size x size` (bilinear). When none fits, the
    central crop of the clamped aspect ratio is used, as torchvision falls back.

    Example:
    >>> crop = random_resized_crop(np.zeros((40, 60, 3), np.uint8), np.random.default_rng(0))
    >>> crop.shape
    (224, 224, 3)
    """
    height, width = image.shape[:2]
    area = height * width
    for _ in range(10):
        target = area * rng.uniform(*scale)
        aspect = math.exp(rng.uniform(math.log(ratio[0]), math.log(ratio[1])))
        crop_w = int(round(math.sqrt(target * aspect)))
        crop_h = int(round(math.sqrt(target / aspect)))
        if 0 < crop_w <= width and 0 < crop_h <= height:
            top = int(rng.integers(0, height - crop_h + 1))
            left = int(rng.integers(0, width - crop_w + 1))
            break
    else:
        in_ratio = width / height
        if in_ratio < ratio[0]:
            crop_w, crop_h = width, int(round(width / ratio[0]))
        elif in_ratio > ratio[1]:
            crop_h, crop_w = height, int(round(height * ratio[1]))
        else:
            crop_w, crop_h = width, height
        top, left = (height - crop_h) // 2, (width - crop_w) // 2
    crop = image[top : top + crop_h, left : left + crop_w]
    return cv2.resize(crop, (size, size), interpolation=cv2.INTER_LINEAR)


def resize_center_crop(image: np.ndarray, resize: int = 256, size: int = 224) -> np.ndarray:
    """torchvision's `Resize(resize)` (shorter side) then `CenterCrop(size)` on one image.

    Example:
    >>> resize_center_crop(np.zeros((300, 400, 3), np.uint8)).shape
    (224, 224, 3)
    """
    height, width = image.shape[:2]
    if height <= width:
        new_h, new_w = resize, int(resize * width / height)
    else:
        new_w, new_h = resize, int(resize * height / width)
    image = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    top = int(round((new_h - size) / 2.0))
    left = int(round((new_w - size) / 2.0))
    return image[top : top + size, left : left + size]


class TorchvisionImages(keras.utils.PyDataset):
    """Image files as DHN_PyTorch's `DataLoader`s serve them, for `fit` and `predict`.

    Training: reshuffled every epoch, each image randomly cropped (`random_resized_crop`) and
    flipped with probability 1/2, batches of `(images, labels)`, the last one partial (as
    `DataLoader(shuffle=True)` without `drop_last`). Evaluation: file order, `resize_center_crop`,
    images only. Images are RGB 224x224, passed through `preprocess` (the original's
    `ToTensor()` + `Normalize` is `keras_hashing.backbones.torchvision_preprocess`). The crops,
    flips and order are drawn from `seed`, the epoch and the batch index, so a run repeats
    exactly.

    Args:
        paths: list of image files.
        labels: `(N, L)` labels, returned with training batches.
        batch_size: int.
        training: bool.
        seed: int, the seed of the order, crops and flips.
        workers: int, threads decoding batches (the original's `--num-workers`).
        preprocess: optional callable on each uint8 `(B, 224, 224, 3)` batch; None serves the
            uint8 batch.

    Example:
    >>> images = TorchvisionImages(["a.png"], np.eye(1), 8, False)  # doctest: +SKIP
    >>> images[0].shape  # doctest: +SKIP
    (1, 224, 224, 3)
    """

    def __init__(
        self,
        paths: list[str],
        labels: np.ndarray,
        batch_size: int,
        training: bool,
        seed: int = 0,
        workers: int = 1,
        preprocess: Callable[[np.ndarray], np.ndarray] | None = None,
    ):
        super().__init__(workers=max(int(workers), 1), use_multiprocessing=False)
        self.paths = list(paths)
        self.labels = np.asarray(labels)
        self.batch_size = int(batch_size)
        self.training = bool(training)
        self.seed = int(seed)
        self.preprocess = preprocess
        self.order = np.arange(len(self.paths))
        self.epoch = 0
        self.on_epoch_end()

    def __len__(self) -> int:
        return math.ceil(len(self.paths) / self.batch_size)

    def on_epoch_end(self) -> None:
        if self.training:
            self.order = np.random.default_rng([self.seed, self.epoch]).permutation(len(self.paths))
            self.epoch += 1

    def __getitem__(self, index: int):
        rows = self.order[index * self.batch_size : (index + 1) * self.batch_size]
        rng = np.random.default_rng([self.seed, self.epoch, index])
        images = []
        for row in rows:
            image = cv2.imread(self.paths[row], cv2.IMREAD_COLOR)
            if image is None:
                raise ValueError(f"cannot read image {self.paths[row]}.")
            image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
            if self.training:
                image = random_resized_crop(image, rng)
                if rng.uniform() < 0.5:
                    image = image[:, ::-1]
            else:
                image = resize_center_crop(image)
            images.append(image)
        images = np.stack(images)
        if self.preprocess is not None:
            images = self.preprocess(images)
        return (images, self.labels[rows]) if self.training else images
