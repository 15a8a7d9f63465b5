"""Index-aware training pipelines for the quantization methods, and DTQ's triplet mining.

DQN, DVSQ and DTQ keep one code and one stored output per training sample (the `Codebook`
layer), so their training batches carry the dataset indices of their samples:
`({"images": x, "indices": i}, labels)`. `indexed_dataset` builds such batches for shuffled
pairwise training, `TripletSampler` + `triplet_dataset` for DTQ's `[anchors; positives; negatives]`
batches (thulab/DeepHash DeepHash/model/dtq/util.py, `Dataset.next_batch_triplet`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import tensorflow as tf

from keras_hashing import validation

if TYPE_CHECKING:
    from keras_hashing.data.image_list import ImageListDataset

STRATEGIES = ("hard", "all", "margin")


class IndexedSource:
    """Training inputs addressable by dataset index: an in-memory array or an image list.

    Args:
        inputs: array `(n, ...)` of model inputs, or an object with `load(index)` and `__len__`
            (e.g. `keras_hashing.data.ImageListDataset`, whose `load` gives uint8 BGR images).
        labels: `(n, L)` label matrix.
    """

    def __init__(self, inputs: npt.ArrayLike | ImageListDataset, labels: npt.ArrayLike):
        self.labels = np.asarray(labels, dtype=np.float32)
        if self.labels.ndim != 2:
            raise ValueError(f"`labels` must be (n, L), found shape {self.labels.shape}.")
        if hasattr(inputs, "load"):
            self.array = None
            self.loader = inputs
            first = np.asarray(inputs.load(0))
            self.item_shape, self.dtype = first.shape, first.dtype
        else:
            self.array = np.asarray(inputs)
            self.loader = None
            self.item_shape, self.dtype = self.array.shape[1:], self.array.dtype
        if len(inputs) != len(self.labels):
            raise ValueError(
                f"{len(inputs)} inputs but {len(self.labels)} label rows; they must match."
            )
        self.num_samples = len(self.labels)

    def take(self, indices: npt.ArrayLike) -> np.ndarray:
        """NumPy inputs of the given indices."""
        indices = np.asarray(indices, dtype=np.int64)
        if self.array is not None:
            return self.array[indices]
        return np.stack([np.asarray(self.loader.load(int(i))) for i in indices])

    def _gather_fn(self):
        label_table = tf.constant(self.labels)
        if self.array is not None:
            table = tf.constant(self.array)

            def gather(indices):
                return tf.gather(table, indices), tf.gather(label_table, indices)
        else:
            shape, dtype = self.item_shape, tf.as_dtype(self.dtype)

            def gather(indices):
                images = tf.numpy_function(self.take, [indices], dtype, stateful=False)
                # The batch size of `indices` (fixed with drop_remainder) is kept.
                images.set_shape(tuple(indices.shape[:1]) + tuple(shape))
                return images, tf.gather(label_table, indices)

        def batch(indices):
            images, labels = gather(indices)
            return {"images": images, "indices": indices}, labels

        return batch


def _as_source(inputs, labels):
    return inputs if isinstance(inputs, IndexedSource) else IndexedSource(inputs, labels)


def indexed_dataset(
    inputs: npt.ArrayLike | ImageListDataset | IndexedSource,
    labels: npt.ArrayLike | None,
    batch_size: int,
    training: bool = True,
    shuffle_seed: int | None = None,
) -> tf.data.Dataset:
    """`tf.data` of `({"images", "indices"}, labels)` batches for DQN and DVSQ.

    Args:
        inputs: array `(n, ...)`, an object with `load(index)` (an `ImageListDataset`), or an
            `IndexedSource`.
        labels: `(n, L)` labels (ignored when `inputs` is an `IndexedSource`).
        batch_size: int.
        training: bool, default True: reshuffle every epoch and drop the remainder (the original
            serves full batches only, `Dataset.next_batch` in DeepHash/model/dhn/util.py). False:
            file order, last batch short.
        shuffle_seed: int or None.

    Returns:
        A `tf.data.Dataset`; `indices` are int64 dataset indices.

    Example:
    >>> x = np.zeros((10, 28, 28, 1), "float32"); y = np.eye(10, dtype="float32")
    >>> batch = next(iter(indexed_dataset(x, y, 4)))
    >>> sorted(batch[0])
    ['images', 'indices']
    """
    source = _as_source(inputs, labels)
    batch_size = validation.positive_int("batch_size", batch_size, "indexed_dataset")
    if training and source.num_samples < batch_size:
        raise ValueError(
            f"{source.num_samples} training samples give no full batch of {batch_size}."
        )
    indices = tf.data.Dataset.range(source.num_samples)
    if training:
        indices = indices.shuffle(
            source.num_samples, seed=shuffle_seed, reshuffle_each_iteration=True
        )
    indices = indices.batch(batch_size, drop_remainder=bool(training))
    return indices.map(
        source._gather_fn(), num_parallel_calls=tf.data.AUTOTUNE, deterministic=True
    ).prefetch(tf.data.AUTOTUNE)


def _shares_label(labels, anchor_row):
    # The original's "-1 trick": a row is positive when it has a 1 where the anchor has a 1.
    marked = np.where(anchor_row == 0, -1.0, anchor_row)
    return np.any(labels == marked, axis=1)


def mine_triplets(
    embeddings: npt.ArrayLike,
    labels: npt.ArrayLike,
    margin: float,
    n_part: int = 1,
    strategy: str = "margin",
    rng: np.random.RandomState | np.random.Generator | int | None = None,
    perm: np.ndarray | None = None,
    verbose: int = 0,
) -> np.ndarray:
    """DTQ's triplet mining, always with squared Euclidean distance.

    thulab/DeepHash DeepHash/model/dtq/util.py, `Dataset.update_triplets`.

    The samples are shuffled (`perm`), split into `n_part` consecutive groups of
    `ceil(n / n_part)`, and triplets are mined inside each group:
    "hard" (farthest positive, nearest negative; anchors whose farthest positive is themselves are
    skipped), "all" (every positive with a uniformly random negative), "margin" (every positive with
    a random negative among those with `d(a, n) - d(a, p) < margin`, hard and semi-hard alike).

    Departures: an anchor whose group has no negative is skipped (the original crashes), and
    zero triplets raise a `ValueError` (the original crashes).

    Args:
        embeddings: `(n, D)` stored outputs.
        labels: `(n, L)` multi-hot labels.
        margin: float, the triplet margin.
        n_part: int, default 1, number of groups.
        strategy: "hard", "all" or "margin" (default).
        rng: `np.random.RandomState` (the original's legacy global RNG order), a
            `np.random.Generator`, an int seed, or None.
        perm: optional int array `(n,)` shuffled **in place** first, as the original's dataset
            permutation is; default a fresh `arange(n)`.
        verbose: int, default 0; 1 shows a progress bar over the groups.

    Returns:
        int64 array `(T, 3)` of `(anchor, positive, negative)` **dataset indices**, rows shuffled.
    """
    validation.one_of("strategy", strategy, STRATEGIES, "mine_triplets")
    embeddings = np.asarray(embeddings, dtype=np.float32)
    labels = np.asarray(labels)
    if embeddings.ndim != 2 or labels.ndim != 2 or len(embeddings) != len(labels):
        raise ValueError(
            f"`embeddings` (n, D) and `labels` (n, L) must have the same n, found "
            f"{embeddings.shape} and {labels.shape}."
        )
    n_part = validation.positive_int("n_part", n_part, "mine_triplets")
    if not isinstance(rng, (np.random.RandomState, np.random.Generator)):
        rng = np.random.default_rng(rng)
    choose = rng.integers if isinstance(rng, np.random.Generator) else rng.randint
    num = len(embeddings)
    perm = np.arange(num) if perm is None else perm
    if len(perm) != num:
        raise ValueError(f"`perm` has {len(perm)} entries for {num} samples.")
    rng.shuffle(perm)
    emb, lab = embeddings[perm], labels[perm]
    part_size = int(math.ceil(num / n_part))
    found = []
    parts = range(n_part)
    if verbose:
        from keras.utils import Progbar

        bar = Progbar(n_part, unit_name="group")
    for part in parts:
        start, end = part_size * part, min(part_size * (part + 1), num)
        if start >= end:
            continue
        block = emb[start:end]
        if block.shape[0] ** 2 * block.shape[1] <= 20_000_000:
            # Small groups: the original's broadcast sum of squares, exact on the diagonal.
            dist = np.sum(np.square(block[:, None, :] - block[None, :, :]), axis=2)
        else:
            sq = np.sum(block * block, axis=1)
            dist = np.maximum(sq[:, None] + sq[None, :] - 2.0 * block @ block.T, 0.0)
        for anchor in range(end - start):
            positive_mask = _shares_label(lab[start:end], lab[start + anchor])
            positives = np.flatnonzero(positive_mask)
            negatives = np.flatnonzero(~positive_mask)
            if len(negatives) == 0:
                continue
            row = dist[anchor]
            if strategy == "hard":
                hardest = positives[np.argmax(row[positives])]
                if hardest == anchor:
                    continue
                nearest = negatives[np.argmin(row[negatives])]
                found.append(np.array([[anchor, hardest, nearest]]) + start)
                continue
            positives = positives[positives != anchor]
            if len(positives) == 0:
                continue
            if strategy == "all":
                picks = negatives[choose(0, len(negatives), size=len(positives))]
                keep = np.ones(len(positives), dtype=bool)
            else:
                order = np.argsort(row[negatives], kind="stable")
                sorted_neg = negatives[order]
                # Candidates of positive p are the negatives with d(a,n) < d(a,p) + margin.
                counts = np.searchsorted(row[sorted_neg], row[positives] + margin, side="left")
                keep = counts > 0
                draws = np.floor(rng.random(len(positives)) * np.maximum(counts, 1)).astype(
                    np.int64
                )
                picks = sorted_neg[np.minimum(draws, np.maximum(counts - 1, 0))]
            if keep.any():
                found.append(
                    np.stack([np.full(keep.sum(), anchor), positives[keep], picks[keep]], 1) + start
                )
        if verbose:
            bar.add(1)
    if not found:
        raise ValueError(
            f"Triplet mining ({strategy!r}, n_part={n_part}, margin={margin}) found no "
            f"triplet among {num} samples: every sample needs a positive and a negative."
        )
    triplets = perm[np.concatenate(found).astype(np.int64)]
    rng.shuffle(triplets)
    return triplets


class TripletSampler:
    """Holds DTQ's current triplets and serves them in `[anchors; positives; negatives]` batches.

    Keeps the original's cursor: each epoch takes `floor(#triplets / T)` batches from where the
    previous epoch stopped, wrapping to 0 when a batch would run past the end
    (`Dataset.next_batch_triplet` in DeepHash/model/dtq/util.py). `n_part` halves after a
    mining that found fewer than `threshold` triplets (`DTQ.update_embedding_and_triplets`).

    Args:
        inputs: training inputs (array, `ImageListDataset` or `IndexedSource`).
        labels: `(n, L)` labels.
        batch_size: int, triplets per batch `T` (a batch holds `3T` images).
        margin: float, default 30.0.
        strategy: "hard", "all" or "margin" (default).
        n_part: int, default 20, initial number of mining groups.
        threshold: int, default 64000, the original's `triplet_thresold`.
        seed: int or None, seed of the mining RNG.
    """

    def __init__(
        self,
        inputs: npt.ArrayLike | ImageListDataset | IndexedSource,
        labels: npt.ArrayLike | None,
        batch_size: int,
        margin: float = 30.0,
        strategy: str = "margin",
        n_part: int = 20,
        threshold: int = 64000,
        seed: int | None = None,
    ):
        validation.one_of("strategy", strategy, STRATEGIES, "TripletSampler")
        self.source = _as_source(inputs, labels)
        self.batch_size = validation.positive_int("batch_size", batch_size, "TripletSampler")
        self.margin = float(margin)
        self.strategy = strategy
        self.n_part = validation.positive_int("n_part", n_part, "TripletSampler")
        self.threshold = int(threshold)
        self.rng = np.random.default_rng(seed)
        self.perm = np.arange(self.source.num_samples)
        self.rng.shuffle(self.perm)
        self.triplets = np.zeros((0, 3), dtype=np.int64)
        self.cursor = 0

    @property
    def num_samples(self) -> int:
        return self.source.num_samples

    @property
    def labels(self) -> np.ndarray:
        return self.source.labels

    def mine(self, embeddings: npt.ArrayLike, verbose: int = 0) -> int:
        """Mines from `(n, D)` embeddings, then halves `n_part` below the threshold."""
        self.triplets = mine_triplets(
            embeddings,
            self.labels,
            self.margin,
            self.n_part,
            self.strategy,
            rng=self.rng,
            perm=self.perm,
            verbose=verbose,
        )
        if len(self.triplets) < self.threshold and self.n_part > 1:
            self.n_part //= 2
        return len(self.triplets)

    def steps_per_epoch(self) -> int:
        return len(self.triplets) // self.batch_size

    def epoch_indices(self) -> Iterator[np.ndarray]:
        """Yields the `(3T,)` index batches of one epoch."""
        steps = self.steps_per_epoch()
        if steps == 0:
            raise ValueError(
                f"{len(self.triplets)} triplets give no batch of {self.batch_size}; "
                "mine triplets first (the DTQ callback does so on train begin) or "
                "lower the batch size."
            )
        for _ in range(steps):
            start = self.cursor
            if start + self.batch_size > len(self.triplets):
                start = 0
            self.cursor = start + self.batch_size
            chunk = self.triplets[start : self.cursor]
            yield np.concatenate([chunk[:, 0], chunk[:, 1], chunk[:, 2]]).astype(np.int64)

    def forward_batches(self, batch_size: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yields `(indices, inputs)` over the whole training set in order (embedding refresh)."""
        for start in range(0, self.num_samples, int(batch_size)):
            indices = np.arange(start, min(start + int(batch_size), self.num_samples))
            yield indices, self.source.take(indices)


def triplet_dataset(sampler: TripletSampler) -> tf.data.Dataset:
    """`tf.data` of DTQ batches: `({"images": [a; p; n], "indices": ...}, labels)`, 3T rows each.

    The generator reads the sampler's current triplets at the start of every epoch, so the
    mining done between epochs takes effect on the next one.

    Args:
        sampler: a `TripletSampler`.

    Returns:
        A `tf.data.Dataset` (one pass = one epoch of `floor(#triplets / T)` batches).
    """
    size = 3 * sampler.batch_size
    indices = tf.data.Dataset.from_generator(
        sampler.epoch_indices, output_signature=tf.TensorSpec((size,), tf.int64)
    )
    return indices.map(sampler.source._gather_fn()).prefetch(2)
