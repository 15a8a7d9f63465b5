"""DeepHash list files (`path l_0 ... l_{L-1}` per line) and the original's image reader.

thulab/DeepHash reads each image with OpenCV (BGR, uint8) and resizes it to 256x256 with
bilinear interpolation (DeepHash/data_provider/image/__init__.py). This module needs no
TensorFlow, so a JAX-only install can read the lists and images; `image_list` serves them
through `tf.data`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import cv2
import numpy as np
import numpy.typing as npt

from keras_hashing import validation

__all__ = ["load_image", "read_image_list", "write_image_list"]


def read_image_list(
    list_path: str | os.PathLike,
    num_labels: int | None = None,
    data_root: str | os.PathLike | None = None,
    return_line_numbers: bool = False,
) -> tuple[list[str], np.ndarray] | tuple[list[str], np.ndarray, np.ndarray]:
    """Parses a DeepHash list file: one `relative/path.jpg l_0 ... l_{L-1}` per line.

    Tokens are separated by whitespace; the first is the image path, the rest are 0/1 labels
    (multi-hot, one-hot for single-label data). Blank lines are ignored.

    Args:
        list_path: str, the list file (`train.txt`, `test.txt` or `database.txt`).
        num_labels: int or None, default None. The expected label width `L`. `None` takes it
            from the first line and requires every line to agree; `0` accepts path-only lists
            (labels of shape `(N, 0)`).
        data_root: str or None, default None. Folder the paths are joined to (`~` is expanded).
            `None` uses the folder that holds the list file. Absolute paths in the list are kept.
        return_line_numbers: bool, default False. Also return the 1-based line number of each
            entry, for error messages.

    Returns:
        `(paths, labels)`: a list of `N` absolute image paths and an int64 array `(N, L)`;
        with `return_line_numbers=True`, `(paths, labels, line_numbers)`.

    Raises:
        ValueError: naming the file and the 1-based line, when a line has a wrong number of
            labels, no labels where labels are expected, or a label other than 0 or 1; or when
            the list holds no entry.

    Example:
        >>> paths, labels = read_image_list("cifar10/test.txt", num_labels=10)  # doctest: +SKIP
        >>> labels.shape  # doctest: +SKIP
        (1000, 10)
    """
    list_path = os.fspath(list_path)
    if not os.path.isfile(list_path):
        raise ValueError(f"Image list {list_path} does not exist.")
    if num_labels is not None:
        num_labels = validation.nonnegative_int("num_labels", num_labels, "read_image_list")
    if data_root is None:
        data_root = os.path.dirname(os.path.abspath(list_path))
    data_root = os.path.abspath(os.path.expanduser(os.fspath(data_root)))

    paths, rows, line_numbers = [], [], []
    expected = num_labels
    with open(list_path, encoding="utf-8") as handle:
        for line_number, line in enumerate(handle, start=1):
            tokens = line.split()
            if not tokens:
                continue
            where = f"{list_path}, line {line_number}"
            path, label_tokens = tokens[0], tokens[1:]
            if expected is None:
                if not label_tokens:
                    # The HEAD cifar10 lists of thulab/DeepHash are path-only (data/cifar10/*.txt).
                    raise ValueError(
                        f"{where}: {path!r} has no labels; expected `path l_0 ... l_(L-1)`. "
                        "Path-only lists (such as thulab/DeepHash's HEAD cifar10 lists) carry no "
                        "labels: regenerate them (data/cifar10/prepare.py) or pass num_labels=0."
                    )
                expected = len(label_tokens)
            if expected > 0 and not label_tokens:
                raise ValueError(f"{where}: {path!r} has no labels; expected {expected}.")
            if len(label_tokens) != expected:
                raise ValueError(
                    f"{where}: expected {expected} labels after the path, "
                    f"found {len(label_tokens)}."
                )
            row = []
            for position, token in enumerate(label_tokens):
                try:
                    value = int(token)
                except ValueError:
                    value = None
                if value not in (0, 1):
                    raise ValueError(
                        f"{where}: label {position} is {token!r}; labels must be 0 or 1."
                    )
                row.append(value)
            paths.append(os.path.join(data_root, os.path.expanduser(path)))
            rows.append(row)
            line_numbers.append(line_number)
    if not paths:
        raise ValueError(f"Image list {list_path} holds no entries.")
    labels = np.asarray(rows, dtype=np.int64).reshape(len(paths), expected)
    if return_line_numbers:
        return paths, labels, np.asarray(line_numbers, dtype=np.int64)
    return paths, labels


def write_image_list(
    path: str | os.PathLike,
    rel_paths: Iterable[str | os.PathLike],
    labels: npt.ArrayLike,
) -> None:
    """Writes a DeepHash list file: `rel_path l_0 ... l_{L-1}` per line.

    Args:
        path: str, the list file to write (its folder is created).
        rel_paths: sequence of `N` image paths, relative to the dataset root; no whitespace.
        labels: array-like `(N, L)` of 0/1 values (one-hot or multi-hot); `L` may be 0.

    Example:
        >>> write_image_list("/tmp/l/train.txt", ["a.png"], [[0, 1]])  # doctest: +SKIP
    """
    rel_paths = [os.fspath(p) for p in rel_paths]
    labels = np.asarray(labels)
    if labels.ndim == 1 and labels.size == 0:
        labels = labels.reshape(len(rel_paths), 0)
    if labels.ndim != 2 or labels.shape[0] != len(rel_paths):
        raise ValueError(
            f"`labels` must have shape ({len(rel_paths)}, L) to match the paths, "
            f"found {labels.shape}."
        )
    if labels.size and not np.isin(labels, (0, 1)).all():
        bad = np.argwhere(~np.isin(labels, (0, 1)))[0]
        raise ValueError(
            f"labels must be 0 or 1; row {bad[0]}, column {bad[1]} is {labels[tuple(bad)]!r}."
        )
    for index, rel_path in enumerate(rel_paths):
        if not rel_path or len(rel_path.split()) != 1 or rel_path != rel_path.strip():
            raise ValueError(
                f"Path {index} ({rel_path!r}) is empty or holds whitespace; the "
                "list format separates fields by whitespace."
            )
    folder = os.path.dirname(os.path.abspath(os.fspath(path)))
    os.makedirs(folder, exist_ok=True)
    labels = labels.astype(np.int64)
    with open(path, "w", encoding="utf-8") as handle:
        for rel_path, row in zip(rel_paths, labels):
            handle.write(" ".join([rel_path, *map(str, row.tolist())]) + "\n")


def load_image(path: str | os.PathLike, image_size: int = 256) -> np.ndarray | None:
    """Reads one image the way thulab/DeepHash does: OpenCV, BGR, uint8, bilinear resize.

    Grayscale files come back with the gray value in all three channels; an alpha channel is
    dropped.

    Args:
        path: str, the image file.
        image_size: int, default 256. Side of the square output (`cv2.INTER_LINEAR`, OpenCV's
            default, which does not antialias; PIL's bilinear filter gives other pixels).

    Returns:
        uint8 array `(image_size, image_size, 3)` in BGR order, or `None` when OpenCV cannot
        read the file.
    """
    image = cv2.imread(os.fspath(path), cv2.IMREAD_COLOR)
    if image is None:
        return None
    if image.shape[:2] != (image_size, image_size):
        image = cv2.resize(image, (image_size, image_size), interpolation=cv2.INTER_LINEAR)
    return image
