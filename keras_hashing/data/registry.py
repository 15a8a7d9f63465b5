"""Named retrieval datasets as the example scripts use them: train / query / database."""

from __future__ import annotations

import dataclasses
import os
import warnings
from typing import Any

# thulab/DeepHash's label widths and mAP cut-offs (`label_dims`, `Rs` of
# examples/{dch,dtq,dvsq,dhn}/train_val_script.py).
LABEL_DIMS = {
    "cifar10": 10,
    "cub": 200,
    "nuswide_81": 81,
    "nuswide_21": 21,
    "coco": 80,
    "imagenet": 100,
    "cifar10_zero_shot": 10,
    "fashion_mnist": 10,
}
RS = {
    "cifar10": 54000,
    "nuswide_81": 5000,
    "nuswide_21": 5000,
    "coco": 5000,
    "imagenet": 5000,
    "cifar10_zero_shot": 15000,
}


@dataclasses.dataclass
class RetrievalData:
    """A retrieval benchmark ready for `fit`, `predict` and the metrics.

    Attributes:
        name: dataset name.
        train: tf.data of `(inputs, labels)` training batches (shuffled each epoch, full batches).
        num_train: number of training items.
        query, database: tf.data of inputs only, in file order.
        query_labels, database_labels: NumPy label matrices aligned with `query` and `database`.
        top_k: the mAP cut-off, how many ranked database items count (the R of the
            original's mAP@R); `R` is a deprecated read-only alias.
        num_labels: label width.
        input_kind: "caffe256" (256x256 BGR uint8 images for AlexNet + CaffeCrop) or
            "gray28" (float32 (28, 28, 1) in [0, 1] for SmallCNN).
    """

    name: str
    train: Any
    num_train: int
    query: Any
    query_labels: Any
    database: Any
    database_labels: Any
    top_k: int
    num_labels: int
    input_kind: str

    @property
    def R(self) -> int:
        """Deprecated alias of `top_k`."""
        warnings.warn(
            "RetrievalData.R is deprecated; use `top_k` instead.", DeprecationWarning, stacklevel=2
        )
        return self.top_k


def load_retrieval_data(
    name: str,
    data_dir: str | os.PathLike | None = None,
    batch_size: int = 128,
    val_batch_size: int = 16,
    seed: int | None = None,
    on_error: str = "raise",
    validation: int | None = None,
) -> RetrievalData:
    """Loads `fashion_mnist`, a DeepHash list-file dataset, or `tfds:<name>`.

    Args:
        name: "fashion_mnist" (the offline default: Debian's `dataset-fashion-mnist`), a DeepHash
            dataset name whose lists live in `<data_dir>/<name>/{train,test,database}.txt`
            (cifar10, nuswide_81, coco, ...), or "tfds:<name>" for tensorflow-datasets.
        data_dir: root folder; for Fashion-MNIST the IDX folder (default: the Debian location).
        batch_size: training batch size.
        val_batch_size: batch size of the query and database passes.
        seed: shuffling seed.
        on_error: "raise" or "skip" for unreadable images in list files.
        validation: optional int; with Fashion-MNIST, hold this many training images out as the
            query set (the database is the protocol database less those images), so that
            hyperparameters are chosen without touching the real query set. With list files,
            any true value reads `val_train.txt` and `val_test.txt` (as data/cifar10/prepare.py
            writes them) in place of `train.txt` and `test.txt`.

    Returns:
        A `RetrievalData`.
    """
    from keras_hashing.data import pipelines

    if name == "fashion_mnist":
        from keras_hashing.data.fashion_mnist import load_fashion_mnist

        split = load_fashion_mnist(data_dir)
        if validation:
            # The retrieval set stays the protocol database (less the held-out images), so the
            # validation figure estimates the test figure rather than training-set retrieval.
            split = split.validation_split(
                int(validation), seed=0 if seed is None else seed, database="database"
            )
        train_images, train_labels = split.train_images, split.train_labels
        query_images, query_labels = split.query_images, split.query_labels
        database_images, database_labels = split.database_images, split.database_labels
        to_inputs = pipelines.fashion_mnist_inputs
        return RetrievalData(
            name=name,
            train=pipelines.array_dataset(
                to_inputs(train_images), train_labels, batch_size, training=True, shuffle_seed=seed
            ),
            num_train=len(train_images),
            query=pipelines.array_dataset(
                to_inputs(query_images), None, val_batch_size, training=False
            ),
            query_labels=query_labels,
            database=pipelines.array_dataset(
                to_inputs(database_images), None, val_batch_size, training=False
            ),
            database_labels=database_labels,
            top_k=len(database_images),
            num_labels=train_labels.shape[1],
            input_kind="gray28",
        )
    if name.startswith("tfds:"):
        from keras_hashing.data import tfds

        return tfds.load_retrieval_data(
            name[len("tfds:") :],
            data_dir=data_dir,
            batch_size=batch_size,
            val_batch_size=val_batch_size,
            seed=seed,
        )

    from keras_hashing.data.image_list import ImageListDataset

    if data_dir is None:
        raise ValueError(f"Dataset {name!r} is read from list files: pass --data-dir.")
    root = os.path.expanduser(data_dir)
    # `<data_dir>/<name>/train.txt`, or the lists directly in `data_dir` (DeepHash's DHN script
    # takes the list folder itself as its `data_root`).
    if os.path.exists(os.path.join(root, name, "train.txt")) or not os.path.exists(
        os.path.join(root, "train.txt")
    ):
        root = os.path.join(root, name)
    num_labels = LABEL_DIMS.get(name)
    names = {"train": "train", "test": "test", "database": "database"}
    if validation:
        # The held-out lists of data/cifar10/prepare.py: part of the training images as
        # queries, searched in the same database.
        names.update(train="val_train", test="val_test")
    lists = {part: os.path.join(root, f"{names[part]}.txt") for part in names}
    for part, path in lists.items():
        if not os.path.exists(path):
            raise ValueError(f"Dataset {name!r}: the {part} list {path} does not exist.")

    def split(path, training):
        # Labels come from the dataset object, so images skipped with on_error="skip" drop
        # their labels too and the rows stay aligned.
        return ImageListDataset(
            path, root, num_labels, on_error=on_error, cache="memory" if training else None
        )

    train_split = split(lists["train"], True)
    train = train_split.dataset(batch_size, True, shuffle_seed=seed)
    num_train = len(train_split)
    query_split, database_split = split(lists["test"], False), split(lists["database"], False)
    query = query_split.dataset(val_batch_size, False, labels=False)
    query_labels = query_split.labels.astype("float32")
    database = database_split.dataset(val_batch_size, False, labels=False)
    database_labels = database_split.labels.astype("float32")
    widths = {
        split.list_path: split.num_labels for split in (train_split, query_split, database_split)
    }
    if len(set(widths.values())) > 1:
        found = ", ".join(f"{path}: {width}" for path, width in widths.items())
        raise ValueError(
            f"Dataset {name!r}: the lists disagree on the label width ({found}); the training, "
            "query and database lists must label the same classes."
        )
    top_k = min(RS.get(name, len(database_labels)), len(database_labels))
    return RetrievalData(
        name=name,
        train=train,
        num_train=num_train,
        query=query,
        query_labels=query_labels,
        database=database,
        database_labels=database_labels,
        top_k=top_k,
        num_labels=num_labels or query_labels.shape[1],
        input_kind="caffe256",
    )
