"""DHN: Deep Hashing Network (thulab/DeepHash `model/dhn`) and the DHN_PyTorch protocol variant
(TreezzZ/DHN_PyTorch)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import keras

from keras_hashing import validation
from keras_hashing._types import Tensor
from keras_hashing.losses.pairwise import dhn_pytorch_pairwise_loss
from keras_hashing.losses.pairwise import log_cosh_quantization_loss
from keras_hashing.losses.pairwise import pairwise_cross_entropy
from keras_hashing.losses.quantization import quantization_loss
from keras_hashing.models.base import HashingModel


@keras.saving.register_keras_serializable(package="keras_hashing")
class DHN(HashingModel):
    """Deep Hashing Network, as thulab/DeepHash trains it.

    Loss: `pairwise_cross_entropy(labels, z, alpha, normed) + q_lambda * mean((|z| - 1)^2)` over all
    `B^2` pairs of each batch, diagonal included (thulab/DeepHash DeepHash/model/dhn/dhn.py,
    `DHN.apply_loss_function`). The original's quantization term squares the gap instead of the
    paper's log-cosh; `q_lambda` is 0 in its script.

    Args:
        backbone: feature extractor (`AlexNet` for the original, `SmallCNN` for 28x28 inputs).
        code_length: int, default 64 bits.
        alpha: float, default 10.0 (`train_val.sh`).
        q_lambda: float, default 0.0, weight of the quantization term (`cq_lambda`).
        normed: bool, default True: the script's `normed_cross_entropy` (cosine). False is the
            `cross_entropy` branch on inner products clipped to [-15, 15] before `alpha`.
        stable: bool, default True. Stable softplus with the original's values; False computes
            `log(1 + exp(.))` literally (overflowing as the original's `DHN.cross_entropy` does).
        with_tanh: bool, default True.
        preprocessor: optional layer before the backbone (`CaffeCrop` for AlexNet).
        num_labels: optional label width to check batches against.

    Example:
    >>> from keras_hashing.backbones import SmallCNN
    >>> model = DHN(SmallCNN(), code_length=32)
    >>> model.compile(optimizer="adam")

    References:
        Zhu, Long, Wang, Cao, "Deep Hashing Network for Efficient Similarity Retrieval",
        AAAI 2016.
    """

    _config_attributes = ("alpha", "q_lambda", "normed", "stable")

    def __init__(
        self,
        backbone: keras.Model,
        code_length: int = 64,
        alpha: float = 10.0,
        q_lambda: float = 0.0,
        normed: bool = True,
        stable: bool = True,
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
        self.alpha = validation.positive_number("alpha", alpha, type(self).__name__)
        self.q_lambda = validation.nonnegative_number("q_lambda", q_lambda, type(self).__name__)
        self.normed = bool(normed)
        self.stable = bool(stable)
        # The original's TensorBoard scalar names.
        self.pairwise_tracker = keras.metrics.Mean(name="cos_loss")
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
        pairwise = pairwise_cross_entropy(
            y, y_pred, alpha=self.alpha, normed=self.normed, stable=self.stable
        )
        quantization = self.q_lambda * quantization_loss(y_pred)
        self.pairwise_tracker.update_state(pairwise)
        self.quantization_tracker.update_state(quantization)
        return pairwise + quantization


@keras.saving.register_keras_serializable(package="keras_hashing")
class DHNPyTorch(HashingModel):
    """DHN as TreezzZ/DHN_PyTorch trains it: a separate class, not options of `DHN`.

    The two share the idea but differ in every detail: the pair term here is unbalanced, on
    `theta = h_i . h_j / 2` with the original's inconsistent `lamda` scaling; the quantization
    term is the paper's log-cosh weighted by the same `lamda`; the hash layer starts from
    PyTorch's `nn.Linear` default `U(+-1/sqrt(fan_in))` for weight and bias; and it trains with
    `TorchRMSprop` on a per-epoch cosine schedule (`dhn_pytorch_optimizer`) instead of TF1
    momentum with gradient multipliers. Loss (TreezzZ/DHN_PyTorch dhn.py, `DHNLoss`):

        mean_ij [log(1 + exp(-|lamda theta_ij|)) + max(theta_ij, 0) - lamda S_ij theta_ij]
            + lamda * mean_ik log cosh(|h_ik| - 1)

    Args:
        backbone: feature extractor (`TorchAlexNet` for the original, `SmallCNN` for 28x28).
        code_length: int, the number of bits.
        lamda: float, default 1.0 (the original's spelling and default).
        with_tanh: bool, default True.
        preprocessor: optional layer before the backbone.
        num_labels: optional label width to check batches against.

    Example:
    >>> from keras_hashing.backbones import SmallCNN
    >>> from keras_hashing.optimizers import dhn_pytorch_optimizer
    >>> model = DHNPyTorch(SmallCNN(), code_length=32)
    >>> model.compile(optimizer=dhn_pytorch_optimizer(1e-5, 500, 20))

    References:
        TreezzZ/DHN_PyTorch; Zhu et al., AAAI 2016.
    """

    _config_attributes = ("lamda",)

    def __init__(
        self,
        backbone: keras.Model,
        code_length: int = 32,
        lamda: float = 1.0,
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
        self.lamda = validation.nonnegative_number("lamda", lamda, type(self).__name__)
        # PyTorch's nn.Linear weight init, kaiming_uniform(a=sqrt(5)): U(+-1/sqrt(fan_in)).
        self.hash_layer.kernel_initializer = keras.initializers.VarianceScaling(
            scale=1.0 / 3.0, mode="fan_in", distribution="uniform"
        )
        self.pairwise_tracker = keras.metrics.Mean(name="metric_loss")
        self.quantization_tracker = keras.metrics.Mean(name="q_loss")

    def build(self, input_shape):
        # PyTorch's bias init U(+-1/sqrt(fan_in)) needs fan_in, which a Keras bias initializer is
        # not given: read it off the backbone before the hash layer is built.
        try:
            shape = tuple(input_shape)
            if self.preprocessor is not None:
                shape = tuple(self.preprocessor.compute_output_shape(shape))
            fan_in = self.backbone.compute_output_shape(shape)[-1]
        except NotImplementedError:
            fan_in = None
        if fan_in and not self.hash_layer.built:
            bound = 1.0 / math.sqrt(int(fan_in))
            self.hash_layer.bias_initializer = keras.initializers.RandomUniform(-bound, bound)
        super().build(input_shape)

    def hashing_loss(
        self,
        x: Tensor | Mapping[str, Tensor] | None,
        y: Tensor | None,
        y_pred: Tensor,
        sample_weight: Tensor | None = None,
        training: bool = True,
    ) -> Tensor:
        self.check_labels(y)
        pairwise = dhn_pytorch_pairwise_loss(y, y_pred, lamda=self.lamda)
        quantization = self.lamda * log_cosh_quantization_loss(y_pred)
        self.pairwise_tracker.update_state(pairwise)
        self.quantization_tracker.update_state(quantization)
        return pairwise + quantization
