"""Writes CIFAR-10's labelled DeepHash lists (train.txt, test.txt, database.txt) from two sources.

**An image-folder tree** (`--image-dir`, or `--archive` to unpack one first), as
`../shared/data/cifar10/cifar10-images.tar.gz` unpacks: `train/<class>/NNNN.jpg` and
`test/<class>/NNNN.jpg`. The split is the library's CIFAR-10 benchmark protocol
(`benchmarks/`, README): labels 0..9 are the class folders in alphabetical order; each class's
images are taken in the order `train/<class>/*` ascending, then `test/<class>/*` ascending; one
`numpy.random.default_rng(seed)` draws, class by class, `perm = rng.permutation(n_class)`: the
first 100 are queries, the next 500 training images, the rest database items. The same `rng`
then shuffles the query, training and database lists (in that order), because Hamming ties are
broken by database index and a class-sorted database would bias mAP. Validation, for choosing
hyperparameters without the queries: with the same `rng`, class by class, `rng.choice` of 50 of
the class's training images (in `train.txt` order) become `val_test.txt`, the other 4 500
`val_train.txt`; both keep `train.txt`'s order and are searched against `database.txt`. The
lists point at the images in place (paths relative to `--out`, which defaults to the tree).

**The CIFAR-10 python batches** (`--cifar-dir`): thulab/DeepHash's HEAD cifar10 lists carry no
labels (spec `deephash.md` §2.2, §10.1), and its older labelled lists let 888 of the 1 000
queries retrieve themselves from the database. This path rebuilds the protocol from the standard
batches (`data_batch_1..5`, `test_batch`) as a disjoint partition of all 60 000 images:

* query (`test.txt`): 100 images per class drawn from the test batch;
* train (`train.txt`): 500 images per class drawn from the remaining 59 000;
* database (`database.txt`): the other 54 000 (disjoint from both; mAP@R with R = 54 000).

Draws use `numpy.random.default_rng(seed)` class by class (0..9). Files are named like the
original's, `train/<batch>_<index>.png` for `data_batch_<batch+1>` and `test/999_<index>.png`
for the test batch, but written as lossless PNG instead of JPEG so the pixels are CIFAR's.

Usage:
    python data/cifar10/prepare.py --archive ../shared/data/cifar10/cifar10-images.tar.gz \
        --out ~/data/cifar10
    python data/cifar10/prepare.py --image-dir ~/data/cifar10
    python data/cifar10/prepare.py --cifar-dir ~/cifar-10-batches-py --out ~/data/cifar10
"""

import argparse
import os
import pickle
import sys
import tarfile

import cv2
import numpy as np

TEST_BATCH_ID = 999  # the original's file-name prefix for the test batch
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp")


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


def list_image_tree(image_dir):
    """The images of a `train/<class>/`, `test/<class>/` tree in the protocol's order.

    Args:
        image_dir: folder holding `train/` and `test/`, each with one folder per class (the
            same class names in both).

    Returns:
        `(rel_paths, labels, class_names)`: paths relative to `image_dir` (class by class in
        alphabetical order; within a class `train/` files, then `test/` files, each by name),
        int64 labels (the class's alphabetical rank) and the sorted class names.
    """
    image_dir = os.path.expanduser(os.fspath(image_dir))
    classes = {}
    for part in ("train", "test"):
        folder = os.path.join(image_dir, part)
        if not os.path.isdir(folder):
            raise ValueError(
                f"Image tree {image_dir} has no {part}/ folder; expected train/<class>/ and "
                "test/<class>/ folders (as cifar10-images.tar.gz unpacks)."
            )
        classes[part] = sorted(
            name for name in os.listdir(folder) if os.path.isdir(os.path.join(folder, name))
        )
    if not classes["train"] or classes["train"] != classes["test"]:
        raise ValueError(
            f"Image tree {image_dir}: train/ and test/ must hold the same non-empty class "
            f"folders, found {classes['train']} and {classes['test']}."
        )
    rel_paths, labels = [], []
    for label, class_name in enumerate(classes["train"]):
        for part in ("train", "test"):
            names = sorted(
                name
                for name in os.listdir(os.path.join(image_dir, part, class_name))
                if name.lower().endswith(IMAGE_EXTENSIONS)
            )
            rel_paths.extend(f"{part}/{class_name}/{name}" for name in names)
            labels.extend([label] * len(names))
        if not labels or labels[-1] != label:
            raise ValueError(
                f"Image tree {image_dir}: class folder {class_name!r} holds no image "
                f"({', '.join(IMAGE_EXTENSIONS)}) in train/ or test/."
            )
    return rel_paths, np.asarray(labels, dtype=np.int64), classes["train"]


def protocol_split(
    labels, query_per_class=100, train_per_class=500, validation_per_class=50, seed=0
):
    """The CIFAR-10 benchmark split of items in protocol order (see the module docstring).

    Args:
        labels: int array `(N,)`, class of each item, items in the protocol's order.
        query_per_class, train_per_class, validation_per_class: per-class counts.
        seed: the one `numpy.random.default_rng` seed.

    Returns:
        dict of int64 index arrays into `labels`: `query`, `train`, `database` (each in its
        shuffled list order), `validation_query` and `validation_train` (subsets of `train`, in
        `train`'s order).
    """
    labels = np.asarray(labels, dtype=np.int64)
    rng = np.random.default_rng(seed)
    query, train, database = [], [], []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        needed = query_per_class + train_per_class
        if len(members) < needed:
            raise ValueError(
                f"Class {label} has {len(members)} images, fewer than --query-per-class "
                f"{query_per_class} + --train-per-class {train_per_class}."
            )
        perm = rng.permutation(len(members))
        query.append(members[perm[:query_per_class]])
        train.append(members[perm[query_per_class:needed]])
        database.append(members[perm[needed:]])
    # Shuffled so that no list is sorted by class (ties are broken by database index).
    lists = [np.concatenate(rows) for rows in (query, train, database)]
    query, train, database = (rows[rng.permutation(len(rows))] for rows in lists)
    chosen = []
    for label in np.unique(labels):
        positions = np.flatnonzero(labels[train] == label)
        if len(positions) < validation_per_class:
            raise ValueError(
                f"Class {label} has {len(positions)} training images, fewer than "
                f"--validation-per-class {validation_per_class}."
            )
        chosen.append(rng.choice(positions, validation_per_class, replace=False))
    is_validation = np.zeros(len(train), dtype=bool)
    is_validation[np.concatenate(chosen)] = True
    return {
        "query": query,
        "train": train,
        "database": database,
        "validation_query": train[is_validation],
        "validation_train": train[~is_validation],
    }


# list file -> split key
IMAGE_TREE_LISTS = (
    ("train.txt", "train"),
    ("test.txt", "query"),
    ("database.txt", "database"),
    ("val_train.txt", "validation_train"),
    ("val_test.txt", "validation_query"),
)


def prepare_image_tree(
    image_dir,
    out=None,
    query_per_class=100,
    train_per_class=500,
    validation_per_class=50,
    seed=0,
):
    """Writes the protocol's five lists for an image-folder tree; returns the list sizes.

    Args:
        image_dir: the tree (`train/<class>/`, `test/<class>/`).
        out: folder for the lists, default `image_dir`; paths in the lists are relative to it.
        query_per_class, train_per_class, validation_per_class, seed: see `protocol_split`.

    Returns:
        dict with `train`, `query`, `database`, `validation_train`, `validation_query` sizes
        and `classes` (the class names, label order).
    """
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
    from keras_hashing.data.list_files import write_image_list

    image_dir = os.path.abspath(os.path.expanduser(os.fspath(image_dir)))
    out = image_dir if out is None else os.path.abspath(os.path.expanduser(os.fspath(out)))
    rel_paths, labels, classes = list_image_tree(image_dir)
    split = protocol_split(labels, query_per_class, train_per_class, validation_per_class, seed)
    if out != image_dir:
        rel_paths = [os.path.relpath(os.path.join(image_dir, p), out) for p in rel_paths]
    one_hot = np.eye(len(classes), dtype=np.int64)[labels]
    for list_name, key in IMAGE_TREE_LISTS:
        ids = split[key]
        write_image_list(os.path.join(out, list_name), [rel_paths[i] for i in ids], one_hot[ids])
    sizes = {key: len(split[key]) for _, key in IMAGE_TREE_LISTS}
    sizes["classes"] = classes
    return sizes


def extract_archive(archive, out):
    """Unpacks an image-tree archive (`.tar.gz`) into `out`; returns the tree's folder.

    The tree is `out` itself when the archive holds `train/` and `test/` at its top, else the
    single top-level folder that holds them.
    """
    archive = os.path.expanduser(os.fspath(archive))
    if not os.path.isfile(archive):
        raise ValueError(f"Archive {archive} does not exist.")
    os.makedirs(out, exist_ok=True)
    with tarfile.open(archive) as handle:
        # The "data" filter refuses absolute paths, links out of `out` and device files.
        handle.extractall(out, filter="data")
    if os.path.isdir(os.path.join(out, "train")):
        return out
    tops = [d for d in os.listdir(out) if os.path.isdir(os.path.join(out, d, "train"))]
    if len(tops) != 1:
        raise ValueError(
            f"Archive {archive} unpacked into {out} without one train/ + test/ tree; found "
            f"top-level folders {sorted(os.listdir(out))}."
        )
    return os.path.join(out, tops[0])


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
    from keras_hashing.data.list_files import write_image_list

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
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--image-dir",
        help="image-folder tree with train/<class>/ and test/<class>/ (the benchmark protocol)",
    )
    source.add_argument(
        "--archive",
        help="a .tar.gz of such a tree (cifar10-images.tar.gz): unpacked into --out first",
    )
    source.add_argument(
        "--cifar-dir",
        help="folder with data_batch_1..5 and test_batch (CIFAR-10 python version)",
    )
    parser.add_argument(
        "--out",
        help="output folder (the dataset root, e.g. ~/data/cifar10); required with --cifar-dir "
        "and --archive, default the tree with --image-dir",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--query-per-class", type=int, default=100)
    parser.add_argument("--train-per-class", type=int, default=500)
    parser.add_argument(
        "--validation-per-class",
        type=int,
        default=50,
        help="image-folder trees: training images per class held out as validation queries",
    )
    parser.add_argument(
        "--query-source",
        choices=("test", "all"),
        default="test",
        help="python batches: draw queries from the test batch (default) or from all 60 000 "
        "images (as the original's HEAD lists do)",
    )
    parser.add_argument("--no-progress", action="store_true")
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.out is None and args.image_dir is None:
        parser.error("--out is required with --cifar-dir and --archive")
    if args.cifar_dir is None:
        image_dir = args.image_dir
        if args.archive is not None:
            image_dir = extract_archive(args.archive, os.path.expanduser(args.out))
        sizes = prepare_image_tree(
            image_dir,
            args.out,
            args.query_per_class,
            args.train_per_class,
            args.validation_per_class,
            args.seed,
        )
        out = os.path.expanduser(args.out or image_dir)
        print(
            f"{len(sizes['classes'])} classes; train {sizes['train']}, query {sizes['query']}, "
            f"database {sizes['database']}; validation: train {sizes['validation_train']}, "
            f"query {sizes['validation_query']}; lists in {out}"
        )
        print(f"R = {sizes['database']}")
        return sizes
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
