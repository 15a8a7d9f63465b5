"""DCH: Deep Cauchy Hashing (thulab/DeepHash `model/dch`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import keras

from keras_hashing import validation
from keras_hashing._types import Tensor
from keras_hashing.losses.cauchy import cauchy_cross_entropy
from keras_hashing.losses.quantization import quantization_loss
from keras_hashing.models.base import HashingModel


@keras.saving.register_keras_serializable(package="keras_hashing")
class DCH(HashingModel):
    """Deep Cauchy Hashing.

    Loss: `cauchy_cross_entropy(labels, z, gamma, normed) + q_lambda * mean((|z| - 1)^2)` over the
    pairs of each batch (thulab/DeepHash DeepHash/model/dch/dch.py, `DCH.apply_loss_function`).
    Under `tf.distribute`, each replica's loss sees the pairs of its own slice of the batch.

    Args:
        backbone: feature extractor (`AlexNet` for the original, `SmallCNN` for 28x28 inputs).
        code_length: int, default 64 bits.
        gamma: float, default 20.0, the Cauchy scale.
        q_lambda: float, default 0.0, weight of the quantization term.
        normed: bool, default False. The original trains with the squared-Euclidean distance;
            True gives the paper's normalised distance (`DCH.cauchy_cross_entropy`'s default).
        with_tanh: bool, default True.
        preprocessor: optional layer before the backbone (`CaffeCrop` for AlexNet).
        num_labels: optional label width to check batches against.

    Example:
    >>> from keras_hashing.backbones import SmallCNN
    >>> model = DCH(SmallCNN(), code_length=32)
    >>> model.compile(optimizer="adam")

    References:
        Cao, Long, Liu, Wang, "Deep Cauchy Hashing for Hamming Space Retrieval", CVPR 2018.
    """

    _config_attributes = ("gamma", "q_lambda", "normed")

    def __init__(
        self,
        backbone: keras.Model,
        code_length: int = 64,
        gamma: float = 20.0,
        q_lambda: float = 0.0,
        normed: bool = False,
        with_tanh: bool = True,
        preprocessor: keras.layers.Layer | None = None,
        num_labels: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            backbone,
            code_length,
            with_tanh=with_tanh,
            preprocessor=preprocessor,
            num_labels=num_labels,
            **kwargs,
        )
        self.gamma = validation.positive_number("gamma", gamma, type(self).__name__)
        self.q_lambda = validation.nonnegative_number("q_lambda", q_lambda, type(self).__name__)
        self.normed = bool(normed)
        self.cauchy_tracker = keras.metrics.Mean(name="cauchy_loss")
        self.quantization_tracker = keras.metrics.Mean(name="q_loss")

    def hashing_loss(
        self,
        x: Tensor | Mapping[str, Tensor] | None,
        y: Tensor | None,
        y_pred: Tensor,
        sample_weight: Tensor | None = None,
        training: bool = True,
    ) -> Tensor:
        self.check_labels(y)
        cauchy = cauchy_cross_entropy(y, y_pred, gamma=self.gamma, normed=self.normed)
        quantization = quantization_loss(y_pred)
        self.cauchy_tracker.update_state(cauchy)
        self.quantization_tracker.update_state(quantization)
        return cauchy + self.q_lambda * quantization
