"""Small stand-ins for the real data files, written by the tests themselves."""

import gzip
import os
import struct

import cv2
import numpy as np


def write_idx(path, array):
    """Writes a gzip IDX file (the Fashion-MNIST format) for a uint8 array."""
    array = np.asarray(array, dtype=np.uint8)
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + b"".join(
        struct.pack(">I", d) for d in array.shape
    )
    with gzip.open(path, "wb") as f:
        f.write(header + array.tobytes())


def write_fake_fashion_mnist(directory, train_per_class=520, test_per_class=110, seed=0):
    """Four IDX files shaped like Fashion-MNIST: class-dependent blobs, enough per class for the
    protocol split (100 queries per class from t10k, 500 training images per class)."""
    rng = np.random.default_rng(seed)
    os.makedirs(directory, exist_ok=True)

    def images_for(labels):
        images = rng.integers(0, 40, (len(labels), 28, 28)).astype(np.int32)
        for i, label in enumerate(labels):
            row, col = divmod(int(label), 5)
            images[i, 4 + row * 10 : 14 + row * 10, 2 + col * 5 : 7 + col * 5] += 200
        return np.clip(images, 0, 255).astype(np.uint8)

    train_labels = rng.permutation(np.repeat(np.arange(10), train_per_class))
    test_labels = rng.permutation(np.repeat(np.arange(10), test_per_class))
    write_idx(os.path.join(directory, "train-images-idx3-ubyte.gz"), images_for(train_labels))
    write_idx(os.path.join(directory, "train-labels-idx1-ubyte.gz"), train_labels)
    write_idx(os.path.join(directory, "t10k-images-idx3-ubyte.gz"), images_for(test_labels))
    write_idx(os.path.join(directory, "t10k-labels-idx1-ubyte.gz"), test_labels)
    return directory


def write_png_list_dataset(root, counts=None, num_labels=3, size=40, seed=0):
    """PNG images plus DeepHash `train.txt`/`test.txt`/`database.txt` lists under `root`."""
    counts = counts or {"train": 8, "test": 4, "database": 6}
    rng = np.random.default_rng(seed)
    os.makedirs(os.path.join(root, "images"), exist_ok=True)
    for part, count in counts.items():
        lines = []
        for i in range(count):
            label = i % num_labels
            image = rng.integers(0, 60, (size, size, 3)).astype(np.uint8)
            image[:, :, label % 3] += 150
            relative = f"images/{part}_{i}.png"
            cv2.imwrite(os.path.join(root, relative), image)
            one_hot = ["1" if j == label else "0" for j in range(num_labels)]
            lines.append(" ".join([relative] + one_hot))
        with open(os.path.join(root, f"{part}.txt"), "w") as f:
            f.write("\n".join(lines) + "\n")
    return root


def write_openclipart_mat(
    directory,
    *,
    num_classes=3,
    train_size=12,
    database_size=12,
    query_size=6,
    num_words=10,
    with_features=True,
    class_shifted_features=True,
    seed=0,
):
    """An `openclipart.mat` as `data/openclipart/prepare.py --features-from lite0` leaves it:
    `database_size` items (the first `train_size` the training pairs), then `query_size`
    queries, of `num_classes` classes in turn; 0/1 words, and 7 image features (shifted by the
    class with `class_shifted_features`) unless `with_features=False`. Returns the folder."""
    import scipy.io

    rng = np.random.default_rng(seed)
    size = database_size + query_size
    classes = np.arange(size) % num_classes
    contents = {
        "train_size": train_size,
        "database_size": database_size,
        "query_size": query_size,
        "paths": np.array([f"c{c}/item{i}.png" for i, c in enumerate(classes)], dtype=object),
        "YAll": (rng.random((size, num_words)) < 0.3).astype("float32"),
        "LAll": np.eye(num_classes, dtype="float32")[classes],
    }
    if with_features:
        features = rng.uniform(0, 6, (size, 7))
        if class_shifted_features:
            features = features + classes[:, None]
        contents["images"] = features.astype("float32")
    os.makedirs(directory, exist_ok=True)
    scipy.io.savemat(os.path.join(directory, "openclipart.mat"), contents)
    return str(directory)
