"""DTQ: Deep Triplet Quantization (thulab/DeepHash `model/dtq`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import keras

from keras_hashing import validation
from keras_hashing._types import Tensor
from keras_hashing.losses.quantization_losses import reconstruction_loss
from keras_hashing.losses.triplet import DISTANCES
from keras_hashing.losses.triplet import split_triplet_batch
from keras_hashing.losses.triplet import triplet_loss
from keras_hashing.models.dqn import QuantizationModel
from keras_hashing.models.dqn import require_num_train


@keras.saving.register_keras_serializable(package="keras_hashing")
class DTQ(QuantizationModel):
    """Deep Triplet Quantization.

    Training batches are `[anchors; positives; negatives]` (3T rows, built by
    `keras_hashing.data.triplet_dataset`). Loss:
    `mean_t max(0, d(a, p) - d(a, n) + margin) + cq_lambda * mean_i ||z_i - C^T b_i||^2` over the 3T
    rows (thulab/DeepHash DeepHash/model/dtq/dtq.py, `DTQ.apply_loss_function`), with no warm-up.
    `keras_hashing.callbacks.TripletQuantizationUpdate` fits k-means once, then runs ICM and the
    least-squares centre update every epoch, refreshes the embeddings and re-mines the triplets.

    Args:
        backbone: feature extractor.
        code_length: int, default 64.
        num_train: int, training-set size.
        num_codebooks: int, default 4 (`--subspace`). num_codewords: int, default 256
            (`--subcenter`).
        cq_lambda: float, default 0.0 (quantization off, as the script's default).
        triplet_margin: float, default 30.0.
        dist_type: str, default "euclidean2", the loss distance (mining always uses
            "euclidean2": `DTQ.update_embedding_and_triplets` passes no `dist_type`).
        max_iter_update_b: int, default 3. code_batch_size: int, default 500.
        with_tanh: bool, default True. preprocessor, num_labels: see `HashingModel`.

    Example:
    >>> from keras_hashing.backbones import SmallCNN
    >>> model = DTQ(SmallCNN(), code_length=32, num_train=5000)
    >>> model.triplet_margin
    30.0

    References:
        Liu, Cao, Long, Wang, Yu, "Deep Triplet Quantization", ACM MM 2018.
    """

    refit_kmeans_every_round = False
    least_squares_update = True

    _config_attributes = ("triplet_margin", "dist_type")

    def __init__(
        self,
        backbone: keras.Model,
        code_length: int = 64,
        num_train: int | None = None,
        num_codebooks: int = 4,
        num_codewords: int = 256,
        cq_lambda: float = 0.0,
        triplet_margin: float = 30.0,
        dist_type: str = "euclidean2",
        max_iter_update_b: int = 3,
        code_batch_size: int = 500,
        with_tanh: bool = True,
        preprocessor: keras.layers.Layer | None = None,
        num_labels: int | None = None,
        **kwargs: Any,
    ) -> None:
        require_num_train("DTQ", num_train)
        validation.one_of("dist_type", dist_type, DISTANCES, "DTQ")
        super().__init__(
            backbone,
            code_length,
            num_train,
            num_codebooks=num_codebooks,
            num_codewords=num_codewords,
            cq_lambda=cq_lambda,
            max_iter_update_b=max_iter_update_b,
            code_batch_size=code_batch_size,
            with_tanh=with_tanh,
            preprocessor=preprocessor,
            num_labels=num_labels,
            **kwargs,
        )
        self.triplet_margin = float(triplet_margin)
        self.dist_type = dist_type
        self.triplet_tracker = keras.metrics.Mean(name="triplet_loss")

    def cq_weight(self) -> float:
        return self.cq_lambda

    def hashing_loss(
        self,
        x: Tensor | Mapping[str, Tensor] | None,
        y: Tensor | None,
        y_pred: Tensor,
        sample_weight: Tensor | None = None,
        training: bool = True,
    ) -> Tensor:
        self.check_labels(y)
        indices = self.remember_outputs(x, y_pred, training)
        anchor, positive, negative = split_triplet_batch(y_pred)
        triplet = triplet_loss(anchor, positive, negative, self.triplet_margin, self.dist_type)
        quantization = reconstruction_loss(
            y_pred, self.batch_codes(indices), self.quantizer.codebook
        )
        self.triplet_tracker.update_state(triplet)
        self.quantization_tracker.update_state(quantization)
        return triplet + self.cq_weight() * quantization
