"""Writes CIFAR-10 as PNG files plus labelled DeepHash lists (train.txt, test.txt, database.txt).

thulab/DeepHash's HEAD cifar10 lists carry no labels (spec `deephash.md` §2.2, §10.1), and its
older labelled lists let 888 of the 1 000 queries retrieve themselves from the database. This
script rebuilds the protocol from the standard CIFAR-10 python batches (`data_batch_1..5`,
`test_batch`) as a disjoint partition of all 60 000 images:

* query (`test.txt`): 100 images per class drawn from the test batch;
* train (`train.txt`): 500 images per class drawn from the remaining 59 000;
* database (`database.txt`): the other 54 000 (disjoint from both; mAP@R with R = 54 000).

Draws use `numpy.random.default_rng(seed)` class by class (0..9). Files are named like the
original's, `train/<batch>_<index>.png` for `data_batch_<batch+1>` and `test/999_<index>.png`
for the test batch, but written as lossless PNG instead of JPEG so the pixels are CIFAR's.

Usage:
    python data/cifar10/prepare.py --cifar-dir ~/cifar-10-batches-py --out ~/data/cifar10
"""

import argparse
import os
import pickle
import sys

import cv2
import numpy as np

TEST_BATCH_ID = 999  # the original's file-name prefix for the test batch


def _field(batch, key, path):
    for candidate in (key, key.encode()):
        if candidate in batch:
            return batch[candidate]
    raise ValueError(
        f"CIFAR batch {path} has no {key!r} entry; found keys {sorted(map(str, batch))}."
    )


def load_cifar_batches(cifar_dir):
    """Reads the CIFAR-10 python batches.

    Args:
        cifar_dir: folder holding `data_batch_1..5` and `test_batch` (or a parent holding
            `cifar-10-batches-py/`).

    Returns:
        dict with `images` uint8 `(N, 32, 32, 3)` RGB, `labels` int64 `(N,)`, `batch_ids`
        (0..4 for the training batches, 999 for the test batch), `indices` (position inside the
        batch) and `is_test` (bool), in batch order (training batches first).
    """
    cifar_dir = os.path.expanduser(cifar_dir)
    nested = os.path.join(cifar_dir, "cifar-10-batches-py")
    if not os.path.exists(os.path.join(cifar_dir, "test_batch")) and os.path.isdir(nested):
        cifar_dir = nested
    names = [(f"data_batch_{b + 1}", b) for b in range(5)] + [("test_batch", TEST_BATCH_ID)]
    images, labels, batch_ids, indices = [], [], [], []
    for file_name, batch_id in names:
        path = os.path.join(cifar_dir, file_name)
        if not os.path.isfile(path):
            raise ValueError(
                f"CIFAR-10 batch {path} does not exist; expected the python version "
                "(data_batch_1..5, test_batch)."
            )
        with open(path, "rb") as handle:
            batch = pickle.load(handle, encoding="bytes")
        data = np.asarray(_field(batch, "data", path), dtype=np.uint8)
        batch_labels = np.asarray(_field(batch, "labels", path), dtype=np.int64)
        if data.ndim != 2 or data.shape[1] != 3072 or len(data) != len(batch_labels):
            raise ValueError(
                f"CIFAR batch {path}: expected data (N, 3072) and N labels, found "
                f"{data.shape} and {batch_labels.shape}."
            )
        if batch_labels.size and (batch_labels.min() < 0 or batch_labels.max() > 9):
            raise ValueError(
                f"CIFAR batch {path}: labels must be 0..9, found "
                f"{batch_labels.min()}..{batch_labels.max()}."
            )
        # Each row is the 1 024 red, then green, then blue values of a 32x32 image, row-major.
        images.append(data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
        labels.append(batch_labels)
        batch_ids.append(np.full(len(data), batch_id, np.int64))
        indices.append(np.arange(len(data), dtype=np.int64))
    batch_ids = np.concatenate(batch_ids)
    return {
        "images": np.concatenate(images),
        "labels": np.concatenate(labels),
        "batch_ids": batch_ids,
        "indices": np.concatenate(indices),
        "is_test": batch_ids == TEST_BATCH_ID,
    }


def split_ids(
    labels, is_test, query_per_class=100, train_per_class=500, seed=0, query_source="test"
):
    """The disjoint query / train / database partition (sorted id arrays)."""
    if query_source not in ("test", "all"):
        raise ValueError(f"`query_source` must be 'test' or 'all', found {query_source!r}.")
    rng = np.random.default_rng(seed)
    query, train = [], []
    for label in range(10):
        members = labels == label
        pool = np.flatnonzero(members & is_test if query_source == "test" else members)
        if len(pool) < query_per_class:
            raise ValueError(
                f"Class {label} has {len(pool)} candidate queries, fewer than "
                f"--query-per-class {query_per_class}."
            )
        chosen = rng.choice(pool, query_per_class, replace=False)
        rest = np.setdiff1d(np.flatnonzero(members), chosen)
        if len(rest) < train_per_class:
            raise ValueError(
                f"Class {label} has {len(rest)} images left after the queries, fewer "
                f"than --train-per-class {train_per_class}."
            )
        query.append(chosen)
        train.append(rng.choice(rest, train_per_class, replace=False))
    query_ids = np.sort(np.concatenate(query))
    train_ids = np.sort(np.concatenate(train))
    database_ids = np.setdiff1d(np.arange(len(labels)), np.concatenate([query_ids, train_ids]))
    return query_ids, train_ids, database_ids


def relative_path(batch_id, index):
    folder = "test" if batch_id == TEST_BATCH_ID else "train"
    return f"{folder}/{batch_id}_{index}.png"


def prepare(
    cifar_dir,
    out,
    query_per_class=100,
    train_per_class=500,
    seed=0,
    query_source="test",
    progress=True,
):
    """Writes the PNG files and the three lists; returns the split sizes.

    Existing PNG files are kept (the run is idempotent); the lists are rewritten.

    Returns:
        dict with `train`, `query`, `database` sizes and `written` (PNG files written now).
    """
    # Imported here so `--help` works without TensorFlow.
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
    from keras_hashing.data.image_list import write_image_list

    data = load_cifar_batches(cifar_dir)
    query_ids, train_ids, database_ids = split_ids(
        data["labels"], data["is_test"], query_per_class, train_per_class, seed, query_source
    )
    out = os.path.expanduser(out)
    rel_paths = [relative_path(b, i) for b, i in zip(data["batch_ids"], data["indices"])]
    for folder in ("train", "test"):
        os.makedirs(os.path.join(out, folder), exist_ok=True)
    iterator = range(len(rel_paths))
    if progress:
        from tqdm import tqdm

        iterator = tqdm(iterator, desc="CIFAR-10 PNG files", unit="img")
    written = 0
    for item in iterator:
        path = os.path.join(out, rel_paths[item])
        if os.path.exists(path) and os.path.getsize(path) > 0:
            continue
        # cv2.imwrite takes BGR; the loader reads BGR back, as the original's JPEGs.
        if not cv2.imwrite(path, np.ascontiguousarray(data["images"][item][..., ::-1])):
            raise ValueError(f"OpenCV could not write {path}.")
        written += 1
    one_hot = np.eye(10, dtype=np.int64)[data["labels"]]
    lists = (("train.txt", train_ids), ("test.txt", query_ids), ("database.txt", database_ids))
    for list_name, ids in lists:
        write_image_list(os.path.join(out, list_name), [rel_paths[i] for i in ids], one_hot[ids])
    return {
        "train": len(train_ids),
        "query": len(query_ids),
        "database": len(database_ids),
        "written": written,
    }


def build_parser():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--cifar-dir",
        required=True,
        help="folder with data_batch_1..5 and test_batch (CIFAR-10 python version)",
    )
    parser.add_argument(
        "--out", required=True, help="output folder (the dataset root, e.g. ~/data/cifar10)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--query-per-class", type=int, default=100)
    parser.add_argument("--train-per-class", type=int, default=500)
    parser.add_argument(
        "--query-source",
        choices=("test", "all"),
        default="test",
        help="draw queries from the test batch (default) or from all 60 000 images "
        "(as the original's HEAD lists do)",
    )
    parser.add_argument("--no-progress", action="store_true")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    sizes = prepare(
        args.cifar_dir,
        args.out,
        args.query_per_class,
        args.train_per_class,
        args.seed,
        args.query_source,
        progress=not args.no_progress,
    )
    print(
        f"train {sizes['train']}, query {sizes['query']}, database {sizes['database']} "
        f"({sizes['written']} PNG files written) in {os.path.expanduser(args.out)}"
    )
    print(f"R = {sizes['database']}")
    return sizes


if __name__ == "__main__":
    main()
