"""The shape every single-modal hashing model shares: preprocessor -> backbone -> hash layer."""

from __future__ import annotations

import os
from collections.abc import Mapping
from collections.abc import Sequence
from typing import TYPE_CHECKING
from typing import Any

import keras
import numpy as np
from keras import ops

from keras_hashing import validation
from keras_hashing._types import Dataset
from keras_hashing._types import Tensor
from keras_hashing.backbones.base import LayerWeightsMixin
from keras_hashing.backbones.weights import DeepHashWeights
from keras_hashing.layers.sign_ste import sign_codes
from keras_hashing.models._fit_guard import NonFiniteLossGuard

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

try:  # Keras divides each replica's loss by the replica count so that summed gradients average.
    from keras.src.losses.loss import scale_loss_for_distribution
except ImportError:  # pragma: no cover - a future Keras without the private helper

    def scale_loss_for_distribution(value):
        return value


def is_empty_input(inputs: Any) -> bool:
    """True for an input with no rows: an empty array (or dict/tuple of them), or a dataset
    whose cardinality is known to be 0."""
    if isinstance(inputs, dict):
        inputs = next(iter(inputs.values()), None)
    elif isinstance(inputs, (tuple, list)) and inputs and not np.isscalar(inputs[0]):
        inputs = inputs[0]
    if inputs is None:
        return True
    shape = getattr(inputs, "shape", None)
    if shape is not None and len(shape) > 0:
        return shape[0] == 0
    # A Dataset (models/ does not import TensorFlow: it is recognised by its method).
    cardinality = getattr(inputs, "cardinality", None)
    if callable(cardinality):
        return int(cardinality()) == 0
    return False


@keras.saving.register_keras_serializable(package="keras_hashing")
class HashingModel(NonFiniteLossGuard, keras.Model):
    """Base class: optional preprocessor, a backbone and a dense hash layer (fc8).

    `call` returns the real-valued outputs `z` (after tanh when `with_tanh`), which the losses
    and the retrieval metrics "by feature" use; `encode` returns `{-1, +1}` codes.

    When the preprocessor produces several views per image at inference (AlexNet's 10 crops,
    `num_views = 10`), the views are laid out view-major as in the original and the model averages
    the post-tanh outputs over them (thulab/DeepHash `img_alexnet_layers`). Training always sees
    one view.

    Subclasses implement `hashing_loss(x, y, y_pred, sample_weight, training)`; the base
    `compute_loss` adds any regularisation losses and scales for `tf.distribute` replicas.

    Args:
        backbone: a `keras.Model` mapping (preprocessed) inputs to `(N, F)` features.
        code_length: int, the number of bits `D` (the width of the hash layer).
        with_tanh: bool, default True. Apply tanh to the hash layer.
        preprocessor: optional layer applied before the backbone (e.g. `CaffeCrop`).
        num_labels: optional int. When given, label batches of another width raise an error.
        **kwargs: `keras.Model` arguments (`name`, ...).
    """

    #: Constructor arguments a subclass adds to `get_config`, each kept in the attribute of that
    #: name. Each class lists only its own; `get_config` collects them along the MRO.
    _config_attributes = ()

    def __init__(
        self,
        backbone: keras.Model,
        code_length: int,
        with_tanh: bool = True,
        preprocessor: keras.layers.Layer | None = None,
        num_labels: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        where = type(self).__name__
        self.backbone = backbone
        self.preprocessor = preprocessor
        self.code_length = validation.positive_int("code_length", code_length, where)
        self.with_tanh = bool(with_tanh)
        self.num_labels = (
            None if num_labels is None else validation.positive_int("num_labels", num_labels, where)
        )
        # fc8 of the original: plain (not truncated) Normal(0, 0.01) weights, zero bias
        # (thulab/DeepHash DeepHash/architecture/__init__.py, `img_alexnet_layers`).
        # Under a mixed policy (keras.config.set_dtype_policy("mixed_bfloat16")) the backbone
        # computes in bfloat16 and the hash layer in the variables' dtype, float32: the outputs
        # the losses compare, and the codes' signs, keep float32 precision.
        self.hash_layer = keras.layers.Dense(
            self.code_length,
            kernel_initializer=keras.initializers.RandomNormal(stddev=0.01),
            bias_initializer="zeros",
            dtype=keras.config.dtype_policy().variable_dtype,
            name="hash_layer",
        )

    @property
    def num_views(self) -> int:
        """Views per input the preprocessor makes at inference (1 without one)."""
        return int(getattr(self.preprocessor, "num_views", 1) or 1)

    def build(self, input_shape):
        # Creates every weight up front (so a strategy scope or a weight file sees them all).
        # A preprocessor without shape inference leaves the sublayers to build on first call.
        try:
            shape = tuple(input_shape)
            if self.preprocessor is not None:
                if not self.preprocessor.built:
                    self.preprocessor.build(shape)
                shape = tuple(self.preprocessor.compute_output_shape(shape))
            if not self.backbone.built:
                self.backbone.build(shape)
            if not self.hash_layer.built:
                self.hash_layer.build(tuple(self.backbone.compute_output_shape(shape)))
        except NotImplementedError:
            pass
        self.built = True

    def call(self, inputs, training=False):
        x = inputs
        if self.preprocessor is not None:
            x = self.preprocessor(x, training=training)
        features = self.backbone(x, training=training)
        outputs = self.hash_layer(features)
        if self.with_tanh:
            outputs = ops.tanh(outputs)
        if not training and self.num_views > 1:
            outputs = ops.mean(ops.reshape(outputs, (self.num_views, -1, self.code_length)), axis=0)
        return outputs

    def hashing_loss(
        self,
        x: Tensor | Mapping[str, Tensor] | None,
        y: Tensor | None,
        y_pred: Tensor,
        sample_weight: Tensor | None = None,
        training: bool = True,
    ) -> Tensor:
        """The method's objective on one batch; subclasses implement it."""
        raise NotImplementedError(f"{type(self).__name__} must implement `hashing_loss`.")

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        total = self.hashing_loss(x, y, y_pred, sample_weight=sample_weight, training=training)
        # Added one by one: `ops.sum` of a list stacks it, which JAX refuses for traced scalars.
        for penalty in self.losses:
            total = total + penalty
        # Under MirroredStrategy the in-batch pairwise losses see the pairs of each replica's
        # slice only; the replica losses are averaged (README, "Several devices").
        return scale_loss_for_distribution(total)

    def check_labels(self, labels: Tensor | np.ndarray | None) -> None:
        """Raise when a label batch does not have the model's label width."""
        if labels is None:
            raise ValueError(
                f"{type(self).__name__} is supervised: `fit` needs (inputs, labels) batches, "
                "found no labels."
            )
        width = labels.shape[-1]
        if self.num_labels is not None and width is not None and width != self.num_labels:
            raise ValueError(
                f"{type(self).__name__} was built for num_labels={self.num_labels}, "
                f"but the label batch has shape {tuple(labels.shape)} (width {width})."
            )

    def set_deephash_weights(
        self,
        weights: DeepHashWeights | Mapping[str, Sequence[ArrayLike]],
        source: str = "weights",
    ) -> None:
        """Fills the backbone (conv1..fc7) and, when present, the hash layer from `fc8`.

        Args:
            weights: a `keras_hashing.backbones.DeepHashWeights` (what `load_alexnet_npy` reads
                from a thulab/DeepHash `.npy` file) or a `{name: [W, b]}` dict.
            source: str naming where the weights came from, for error messages.
        """
        if isinstance(weights, DeepHashWeights):
            layers, fc8 = weights.layers, weights.fc8
        else:
            layers, fc8 = weights, weights.get("fc8")
        self._check_named_weight_layers(source)
        self.backbone.set_layer_weights(layers, source=source)
        if fc8 is not None:
            kernel, bias = (np.asarray(w, dtype="float32") for w in fc8)
            expected = (int(self.backbone.output_dim), self.code_length)
            if kernel.shape != expected or bias.shape != (self.code_length,):
                raise ValueError(
                    f"{source}: key 'fc8' must hold W {expected} and b ({self.code_length},) for a "
                    f"{self.code_length}-bit model, found W {kernel.shape} and b {bias.shape}."
                )
            self._build_hash_layer()
            self.hash_layer.set_weights([kernel, bias])

    def _check_named_weight_layers(self, source: str) -> None:
        # The original's `.npy` names the layers conv1..fc7: only the backbones that name theirs
        # so (AlexNet, TorchAlexNet, the Caffe VGGs) can read or write it.
        if not isinstance(self.backbone, LayerWeightsMixin):
            raise ValueError(
                f"{source}: backbone {self.backbone.name!r} has no named weight layers (conv1.."
                "fc7); the DeepHash `.npy` format needs AlexNet, TorchAlexNet or a Caffe VGG."
            )

    def get_deephash_weights(self) -> dict[str, list[np.ndarray]]:
        """`{conv1..fc7, fc8: [W, b]}` as NumPy, ready for `save_alexnet_npy` (original format)."""
        self._check_named_weight_layers("get_deephash_weights")
        self._build_hash_layer()
        weights = dict(self.backbone.get_layer_weights())
        weights["fc8"] = [np.asarray(w, dtype="float32") for w in self.hash_layer.get_weights()]
        return weights

    def load_deephash_weights(self, path: str | os.PathLike[str]) -> DeepHashWeights:
        """Loads a thulab/DeepHash `.npy` model file: conv1..fc7, and fc8 when the file has one.

        A pretrained file (`reference_pretrain.npy`) has no fc8 and leaves the hash layer as
        initialised; a trained model's file (what `save_deephash_weights` or the original's
        `save_model` writes) restores it too. Quantization models also restore the codebook `'C'`.

        Args:
            path: str, the `.npy` file.

        Returns:
            The `DeepHashWeights` read, for callers that want the codebook or fc8.
        """
        from keras_hashing.backbones.weights import load_alexnet_npy

        weights = load_alexnet_npy(path)
        self.set_deephash_weights(weights, source=str(path))
        return weights

    def save_deephash_weights(self, path: str | os.PathLike[str]) -> str:
        """Writes conv1..fc8 as the original's `save_model` does (thulab/DeepHash
        `DeepHash/model/*/` `save_model`: a pickled dict of `[W, b]` in a `.npy` file).

        The file is written to a temporary name and renamed, so a crash never leaves half a file.

        Args:
            path: str, the `.npy` file to write.

        Returns:
            The path written.
        """
        from keras_hashing.backbones.weights import save_alexnet_npy

        return save_alexnet_npy(path, self.get_deephash_weights())

    def _build_hash_layer(self) -> None:
        if not self.hash_layer.built:
            self.hash_layer.build((None, int(self.backbone.output_dim)))

    def predict_outputs(
        self,
        inputs: ArrayLike | Mapping[str, ArrayLike] | Dataset,
        batch_size: int | None = None,
        verbose: int | str = 0,
    ) -> np.ndarray:
        """The real-valued outputs `(N, code_length)` (`predict`), also for an empty input.

        Keras' `predict` fails on an input with no batch; an empty array or an empty dataset
        gives a `(0, code_length)` array here.
        """
        if is_empty_input(inputs):
            return np.zeros((0, self.code_length), dtype=np.float32)
        return self.predict(inputs, batch_size=batch_size, verbose=verbose)

    def encode(
        self,
        inputs: ArrayLike | Mapping[str, ArrayLike] | Dataset,
        batch_size: int | None = None,
        verbose: int | str = 0,
    ) -> np.ndarray:
        """`{-1, +1}` int8 codes `(N, code_length)` for NumPy arrays or a `tf.data.Dataset`.

        `+1` where the output is `>= 0` (the originals' `sign` with 0 mapped to +1). An empty
        input gives an empty `(0, code_length)` array.
        """
        outputs = self.predict_outputs(inputs, batch_size=batch_size, verbose=verbose)
        if len(outputs) == 0:
            return np.zeros((0, self.code_length), dtype=np.int8)
        return np.asarray(ops.convert_to_numpy(sign_codes(outputs)), dtype=np.int8)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "backbone": keras.saving.serialize_keras_object(self.backbone),
                "code_length": self.code_length,
                "with_tanh": self.with_tanh,
                "preprocessor": None
                if self.preprocessor is None
                else keras.saving.serialize_keras_object(self.preprocessor),
                "num_labels": self.num_labels,
            }
        )
        # Base classes first, so that the keys keep the order of chained `get_config` overrides.
        for cls in reversed(type(self).__mro__):
            for name in cls.__dict__.get("_config_attributes", ()):
                config[name] = getattr(self, name)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["backbone"] = keras.saving.deserialize_keras_object(config["backbone"])
        if config.get("preprocessor") is not None:
            config["preprocessor"] = keras.saving.deserialize_keras_object(config["preprocessor"])
        return cls(**config)
