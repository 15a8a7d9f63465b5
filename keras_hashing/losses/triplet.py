"""Triplet hinge loss over DeepHash's distances (DTQ), with its row-wise TF distances.

thulab/DeepHash DeepHash/distance/tfversion.py and DeepHash/model/dtq/dtq.py.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops
from numpy.typing import ArrayLike

from keras_hashing import validation
from keras_hashing._types import Tensor
from keras_hashing.losses.similarity import safe_norm_divisor

DISTANCES = (
    "euclidean2",
    "euclidean",
    "averaged_euclidean2",
    "averaged_euclidean",
    "normed_euclidean2",
    "inner_product",
    "cosine",
)


def _normalize(x):
    # The original's TF distances normalise with no epsilon, so a zero vector gives NaN there;
    # here it stays the zero vector (`safe_norm_divisor`), every other value unchanged.
    return x / safe_norm_divisor(ops.sum(ops.square(x), axis=-1, keepdims=True))


def row_distance(
    x: ArrayLike | Tensor, y: ArrayLike | Tensor, dist_type: str = "euclidean2"
) -> Tensor:
    """Row-wise distance between two `(N, D)` tensors, smaller meaning more similar.

    thulab/DeepHash DeepHash/distance/tfversion.py, `distance(..., pair=False)`.

    Args:
        x, y: `(N, D)` tensors.
        dist_type: one of "euclidean2" (default), "euclidean", "averaged_euclidean2",
            "averaged_euclidean", "normed_euclidean2", "inner_product" (`-x.y`), "cosine"
            (`(1 - cos) / 2`).

    Returns:
        `(N,)` tensor.
    """
    validation.one_of("dist_type", dist_type, DISTANCES, "row_distance")
    x = ops.cast(ops.convert_to_tensor(x), "float32")
    y = ops.cast(ops.convert_to_tensor(y), "float32")
    if dist_type == "euclidean2":
        return ops.sum(ops.square(x - y), axis=-1)
    if dist_type == "euclidean":
        return ops.sqrt(ops.sum(ops.square(x - y), axis=-1))
    if dist_type == "averaged_euclidean2":
        return ops.mean(ops.square(x - y), axis=-1)
    if dist_type == "averaged_euclidean":
        return ops.sqrt(ops.mean(ops.square(x - y), axis=-1))
    if dist_type == "normed_euclidean2":
        return ops.sum(ops.square(_normalize(x) - _normalize(y)), axis=-1)
    if dist_type == "inner_product":
        return -ops.sum(x * y, axis=-1)
    if dist_type == "cosine":
        return (1.0 - ops.sum(_normalize(x) * _normalize(y), axis=-1)) / 2.0
    raise AssertionError(f"row_distance: {dist_type!r} is in DISTANCES but not computed.")


def triplet_loss(
    anchor: ArrayLike | Tensor,
    positive: ArrayLike | Tensor,
    negative: ArrayLike | Tensor,
    margin: float,
    dist_type: str = "euclidean2",
) -> Tensor:
    """`mean_t max(0, d(a_t, p_t) - d(a_t, n_t) + margin)`: DTQ's triplet loss.

    thulab/DeepHash DeepHash/model/dtq/dtq.py, `DTQ.triplet_loss`.

    Args:
        anchor, positive, negative: `(T, D)` outputs.
        margin: float, the hinge margin (DTQ's `--triplet-margin`, 30 for "euclidean2").
        dist_type: see `row_distance`; default "euclidean2".

    Returns:
        Scalar tensor.

    Example:
    >>> import numpy as np
    >>> a = np.zeros((1, 2), "float32"); p = np.ones((1, 2), "float32"); n = -p
    >>> float(triplet_loss(a, p, n, margin=1.0))
    1.0

    References:
        Liu, Cao, Long, Wang, Yu, "Deep Triplet Quantization", ACM MM 2018.
    """
    validation.one_of("dist_type", dist_type, DISTANCES, "triplet_loss")
    # Static shapes, None where a graph leaves a size open (a batch read by index through
    # `tf.numpy_function`): `ops.shape` would give a tensor there, which cannot be compared.
    shapes = [tuple(ops.convert_to_tensor(t).shape) for t in (anchor, positive, negative)]
    known = [{shape[axis] for shape in shapes if shape[axis] is not None} for axis in (0, 1)]
    if any(len(shape) != 2 for shape in shapes) or any(len(sizes) > 1 for sizes in known):
        raise ValueError(
            f"anchor, positive and negative must be (T, D) of one shape, found {shapes}."
        )
    gap = row_distance(anchor, positive, dist_type) - row_distance(anchor, negative, dist_type)
    return ops.mean(ops.relu(gap + float(margin)))


def split_triplet_batch(outputs: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Splits a `[anchors; positives; negatives]` batch of `3T` rows into its three parts."""
    size = ops.shape(outputs)[0]
    if isinstance(size, int) and size % 3:
        raise ValueError(
            f"A triplet batch has 3*T rows [anchors; positives; negatives], found {size}."
        )
    third = size // 3
    return outputs[:third], outputs[third : 2 * third], outputs[2 * third :]


@keras.saving.register_keras_serializable(package="keras_hashing")
class TripletLoss(keras.losses.Loss):
    """Loss class for `triplet_loss`; `y_pred` is a `[anchors; positives; negatives]` batch.

    Args:
        margin: float, default 30.0.
        dist_type: str, default "euclidean2".
    """

    def __init__(
        self,
        margin: float = 30.0,
        dist_type: str = "euclidean2",
        name: str = "triplet_loss",
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, reduction="sum", **kwargs)
        validation.one_of("dist_type", dist_type, DISTANCES, "TripletLoss")
        self.margin = float(margin)
        self.dist_type = dist_type

    def call(self, y_true, y_pred):
        anchor, positive, negative = split_triplet_batch(y_pred)
        return triplet_loss(anchor, positive, negative, self.margin, self.dist_type)

    def get_config(self):
        config = super().get_config()
        config.pop("reduction", None)
        config.update({"margin": self.margin, "dist_type": self.dist_type})
        return config
