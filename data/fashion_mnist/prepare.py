"""Writes Fashion-MNIST as PNG files plus DeepHash lists (train.txt, test.txt, database.txt).

The split is the project's benchmark protocol (`shared/benchmark_protocol.md`), taken from
`keras_hashing.data.load_fashion_mnist`: 1 000 queries (the first 100 per class of the t10k
file), 69 000 database images (all others) and 5 000 training images (500 per class drawn from
the database with `numpy.random.default_rng(0)`). With these files the full image pipeline of
thulab/DeepHash (OpenCV, 256x256, random 227 crops, 10-crop evaluation) runs on real images.

Images are written as 8-bit grayscale PNG files `images/<id>.png`, where `<id>` is the global
index (0..59 999 the IDX train file, 60 000..69 999 the t10k file); OpenCV's loader reads them
back as 3-channel BGR with the gray value in each channel. Labels are one-hot. Existing PNG files
are kept, so the script can be re-run; the lists are rewritten.

Usage:
    python data/fashion_mnist/prepare.py --out ~/data/fashion_mnist
    # then: --dataset fashion_mnist_images --data-dir ~/data  (any list-file dataset name)
"""

import argparse
import os
import sys

import cv2
import numpy as np


def _image_table(split):
    """Global id -> image, from the query and database arrays (train is inside the database)."""
    ids = np.concatenate(
        [np.asarray(split.query_ids), np.asarray(split.database_ids), np.asarray(split.train_ids)]
    )
    images = np.concatenate([split.query_images, split.database_images, split.train_images])
    table = {}
    for image_id, image in zip(ids.tolist(), images):
        table.setdefault(image_id, image)
    return table


def prepare(out, data_dir=None, progress=True):
    """Writes the PNG files and the three lists under `out`.

    Args:
        out: output folder (the dataset root).
        data_dir: IDX folder for `load_fashion_mnist` (None: its default, Debian's
            `/usr/share/datasets/fashion-mnist`).
        progress: show a progress bar.

    Returns:
        dict with `train`, `query`, `database` sizes and `written` (PNG files written now).
    """
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
    from keras_hashing.data import load_fashion_mnist
    from keras_hashing.data.list_files import write_image_list

    split = load_fashion_mnist(data_dir)
    out = os.path.expanduser(out)
    os.makedirs(os.path.join(out, "images"), exist_ok=True)
    table = _image_table(split)
    width = max(5, len(str(max(table))))

    def rel_path(image_id):
        return f"images/{image_id:0{width}d}.png"

    ids = sorted(table)
    iterator = ids
    if progress:
        from tqdm import tqdm

        iterator = tqdm(ids, desc="Fashion-MNIST PNG files", unit="img")
    written = 0
    for image_id in iterator:
        path = os.path.join(out, rel_path(image_id))
        if os.path.exists(path) and os.path.getsize(path) > 0:
            continue
        image = np.ascontiguousarray(np.asarray(table[image_id], dtype=np.uint8))
        if not cv2.imwrite(path, image):
            raise ValueError(f"OpenCV could not write {path}.")
        written += 1
    parts = (
        ("train.txt", split.train_ids, split.train_labels),
        ("test.txt", split.query_ids, split.query_labels),
        ("database.txt", split.database_ids, split.database_labels),
    )
    for list_name, part_ids, labels in parts:
        labels = np.rint(np.asarray(labels)).astype(np.int64)
        rel_paths = [rel_path(i) for i in np.asarray(part_ids).tolist()]
        write_image_list(os.path.join(out, list_name), rel_paths, labels)
    return {
        "train": len(split.train_ids),
        "query": len(split.query_ids),
        "database": len(split.database_ids),
        "written": written,
    }


def build_parser():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="output folder (the dataset root)")
    parser.add_argument(
        "--data-dir",
        default=None,
        help="folder with the four Fashion-MNIST IDX .gz files "
        "(default: /usr/share/datasets/fashion-mnist)",
    )
    parser.add_argument("--no-progress", action="store_true")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    sizes = prepare(args.out, args.data_dir, progress=not args.no_progress)
    print(
        f"train {sizes['train']}, query {sizes['query']}, database {sizes['database']} "
        f"({sizes['written']} PNG files written) in {os.path.expanduser(args.out)}"
    )
    print(f"R = {sizes['database']}")
    return sizes


if __name__ == "__main__":
    main()
