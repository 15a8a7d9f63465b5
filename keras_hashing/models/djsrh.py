"""DJSRH: Deep Joint-Semantics Reconstructing Hashing (zs-zhong/DJSRH), unsupervised cross-modal."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from collections.abc import Mapping
from typing import TYPE_CHECKING
from typing import Any

import keras
import numpy as np
from keras import ops

from keras_hashing import validation
from keras_hashing._types import Tensor
from keras_hashing._types import TensorLike
from keras_hashing.layers.sign_ste import sign_codes
from keras_hashing.layers.torch_dense import TorchDense
from keras_hashing.losses.cross_modal import djsrh_affinity
from keras_hashing.losses.cross_modal import djsrh_reconstruction_loss
from keras_hashing.models._cross_modal import modality_outputs
from keras_hashing.models._fit_guard import NonFiniteLossGuard
from keras_hashing.optimizers.tf1_momentum import TF1Momentum

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    #: One batch of an iterable input to `encode_image`/`encode_text`: an array, a tuple whose
    #: first entry is the array, or a dict holding it under "image"/"text".
    Batch = ArrayLike | tuple[Any, ...] | Mapping[str, ArrayLike]

# Settings of the original per dataset (zs-zhong/DJSRH settings.py): affinity, loss weights,
# schedule, rates.
DJSRH_SETTINGS = {
    "WIKI": {
        "beta": 0.3,
        "lambda1": 0.3,
        "lambda2": 0.3,
        "num_epoch": 200,
        "lr_img": 0.01,
        "lr_txt": 0.01,
        "eval_interval": 100,
    },
    "MIRFlickr": {
        "beta": 0.9,
        "lambda1": 0.1,
        "lambda2": 0.1,
        "num_epoch": 80,
        "lr_img": 0.001,
        "lr_txt": 0.01,
        "eval_interval": 40,
    },
    "NUSWIDE": {
        "beta": 0.6,
        "lambda1": 0.1,
        "lambda2": 0.1,
        "num_epoch": 80,
        "lr_img": 0.001,
        "lr_txt": 0.01,
        "eval_interval": 40,
    },
}
TEXT_LAYER_PREFIX = "djsrh_text"


def _encode_with(
    model: DJSRH, key: str, inputs: np.ndarray | Iterable[Batch], batch_size: int
) -> np.ndarray:
    """Codes from NumPy arrays (compiled `predict`) or from an iterable of batches (eager)."""
    if isinstance(inputs, np.ndarray) and len(inputs) == 0:
        return np.zeros((0, model.code_length), dtype=np.int8)
    if isinstance(inputs, np.ndarray):
        outputs = model.predict(
            {key: inputs.astype("float32", copy=False)}, batch_size=batch_size, verbose=0
        )[key]
    else:
        function = model.image_outputs if key == "image" else model.text_outputs
        chunks = []
        for batch in inputs:
            if isinstance(batch, (tuple, list)):
                batch = batch[0]
            if isinstance(batch, dict):
                batch = batch[key]
            chunks.append(ops.convert_to_numpy(function(ops.convert_to_tensor(np.asarray(batch)))))
        outputs = np.concatenate(chunks, axis=0) if chunks else np.zeros((0, model.code_length))
    return np.asarray(ops.convert_to_numpy(sign_codes(outputs)), dtype=np.int8)


@keras.saving.register_keras_serializable(package="keras_hashing")
class DJSRH(NonFiniteLossGuard, keras.Model):
    """Deep Joint-Semantics Reconstructing Hashing (zs-zhong/DJSRH train.py, models.py).

    Image side: `image_backbone` (torchvision-layout AlexNet truncated at fc7 in the original,
    trained in training mode so its dropout is on) then a code layer `hid_I`; text side:
    `Linear(d_txt -> 4096) - ReLU - Linear(4096 -> K)`. Codes are `tanh(slope * hid)`, with
    `slope = sqrt(epoch + 1)` set by `keras_hashing.callbacks.DJSRHSlopeSchedule`.

    The loss (`compute_loss`, so the standard `fit` runs on every backend) reconstructs the joint
    affinity `S = djsrh_affinity(F_I, F_T, beta, eta, mu)` from the code inner products,
    `lambda1 MSE(B_I B_I^T, S) + MSE(B_I B_T^T, S) + lambda2 MSE(B_T B_T^T, S)`. `F_I` comes from
    `feature_backbone`, a separate frozen copy run in inference mode (the original's FeatNet_I),
    or from the flattened raw image inputs when `feature_backbone` is None. `F_T` is the raw text.
    PyTorch's coupled weight decay is the term `weight_decay / 2 * sum(theta^2)` over the
    trainable weights, whose gradient is `weight_decay * theta`.

    Args:
        image_backbone: `keras.Model` mapping images to `(N, F)` features (fc7).
        text_dim: int, the text vector width.
        code_length: int, default 64.
        feature_backbone: optional frozen `keras.Model` giving the features of the image affinity.
        beta, eta, mu: floats, defaults 0.9 / 0.4 / 1.5 (MIRFlickr).
        lambda1, lambda2: floats, default 0.1.
        weight_decay: float, default 5e-4.
        text_hidden_dim: int, default 4096.
        trainable_image_layers: optional list of `fnmatch` patterns of backbone layer names that
            stay trainable (WIKI: the classifier only); None trains every backbone layer.
        affinity_normalizer: optional float dividing `S~ S~^T` (the original's constant
            BATCH_SIZE); None divides by the actual batch size, the same with full batches.
        seed: optional int for the code layers.

    Example:
    >>> backbone = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="relu")])
    >>> model = DJSRH(backbone, text_dim=5, code_length=8)
    >>> model.compile(optimizer=model.make_optimizer(0.001, 0.01))

    References:
        Su, Zhong, Zhang, "Deep Joint-Semantics Reconstructing Hashing for Large-Scale
        Unsupervised Cross-Modal Retrieval", ICCV 2019.
    """

    def __init__(
        self,
        image_backbone: keras.Model,
        text_dim: int,
        code_length: int = 64,
        feature_backbone: keras.Model | None = None,
        beta: float = 0.9,
        eta: float = 0.4,
        mu: float = 1.5,
        lambda1: float = 0.1,
        lambda2: float = 0.1,
        weight_decay: float = 5e-4,
        text_hidden_dim: int = 4096,
        trainable_image_layers: Iterable[str] | None = None,
        affinity_normalizer: float | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        for name, value in (
            ("text_dim", text_dim),
            ("code_length", code_length),
            ("text_hidden_dim", text_hidden_dim),
        ):
            validation.positive_int(name, value, "DJSRH")
        validation.number_in_range("beta", beta, 0, 1, "DJSRH", include_high=True)
        validation.nonnegative_number("weight_decay", weight_decay, "DJSRH")
        self.image_backbone = image_backbone
        self.feature_backbone = feature_backbone
        if feature_backbone is not None:
            if feature_backbone is image_backbone:
                raise ValueError(
                    "DJSRH `feature_backbone` must be a separate copy of the image "
                    "backbone (FeatNet_I is never trained), not the same object."
                )
            feature_backbone.trainable = False
        self.text_dim, self.code_length = int(text_dim), int(code_length)
        self.text_hidden_dim = int(text_hidden_dim)
        self.beta, self.eta, self.mu = float(beta), float(eta), float(mu)
        self.lambda1, self.lambda2 = float(lambda1), float(lambda2)
        self.weight_decay = float(weight_decay)
        self.trainable_image_layers = (
            None if trainable_image_layers is None else [str(p) for p in trainable_image_layers]
        )
        self.affinity_normalizer = (
            None if affinity_normalizer is None else float(affinity_normalizer)
        )
        self.seed = seed
        if self.trainable_image_layers is not None:
            layers = getattr(image_backbone, "layers", [])
            for layer in layers:
                layer.trainable = any(
                    fnmatch.fnmatch(layer.name, pattern) for pattern in self.trainable_image_layers
                )

        def sub_seed(offset: int) -> int | None:
            return None if seed is None else int(seed) + offset

        self.image_hash = TorchDense(self.code_length, seed=sub_seed(0), name="djsrh_image_hash")
        self.text_feature = TorchDense(
            self.text_hidden_dim, seed=sub_seed(10), name=f"{TEXT_LAYER_PREFIX}_feature"
        )
        self.text_hash = TorchDense(
            self.code_length, seed=sub_seed(20), name=f"{TEXT_LAYER_PREFIX}_hash"
        )
        try:
            feature_width = image_backbone.output_shape[-1]
        except (AttributeError, ValueError) as error:
            raise ValueError(
                "DJSRH `image_backbone` must be a built keras.Model with a known "
                f"(N, F) output shape; found {image_backbone!r} ({error})."
            ) from None
        self.image_hash.build((None, int(feature_width)))
        self.text_feature.build((None, self.text_dim))
        self.text_hash.build((None, self.text_hidden_dim))
        self.slope = self.add_weight(
            name="slope", shape=(), trainable=False, initializer=keras.initializers.Constant(1.0)
        )
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.image_image_tracker = keras.metrics.Mean(name="loss1")
        self.image_text_tracker = keras.metrics.Mean(name="loss2")
        self.text_text_tracker = keras.metrics.Mean(name="loss3")
        self.built = True

    def make_optimizer(
        self,
        image_learning_rate: float = 0.001,
        text_learning_rate: float = 0.01,
        momentum: float = 0.9,
    ) -> TF1Momentum:
        """SGD with momentum and the two learning rates of the original (`Session.__init__`).

        `TF1Momentum` at the image rate with a `text/image` gradient multiplier on the text
        network equals PyTorch's two SGD optimisers at constant rates.
        """
        ratio = float(text_learning_rate) / float(image_learning_rate)
        return TF1Momentum(
            float(image_learning_rate),
            momentum=momentum,
            gradient_multipliers=[(f"{TEXT_LAYER_PREFIX}_*", ratio)],
        )

    def image_hidden(self, images: TensorLike, training: bool = False) -> Tensor:
        return self.image_hash(self.image_backbone(images, training=training))

    def text_hidden(self, texts: TensorLike, training: bool = False) -> Tensor:
        return self.text_hash(ops.relu(self.text_feature(texts)))

    def image_outputs(self, images: TensorLike, training: bool = False) -> Tensor:
        return ops.tanh(self.slope * self.image_hidden(images, training=training))

    def text_outputs(self, texts: TensorLike, training: bool = False) -> Tensor:
        return ops.tanh(self.slope * self.text_hidden(texts, training=training))

    def call(self, inputs, training=False):
        """`{"image": code_I, "text": code_T}` for whichever of the keys `inputs` holds."""
        if not isinstance(inputs, dict) or not ({"image", "text"} & set(inputs)):
            raise ValueError(
                "DJSRH takes a dict with an 'image' and/or a 'text' entry, found "
                f"{type(inputs).__name__}."
            )
        return modality_outputs(self, inputs, training)

    def affinity_features(self, images: TensorLike) -> Tensor:
        """`F_I` of the affinity: the frozen copy in inference mode, or the flattened inputs."""
        if self.feature_backbone is None:
            features = ops.reshape(ops.cast(images, "float32"), (ops.shape(images)[0], -1))
        else:
            features = self.feature_backbone(images, training=False)
        return ops.stop_gradient(features)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        if not isinstance(x, dict) or not {"image", "text"} <= set(x):
            raise ValueError("DJSRH.fit needs batches of {'image', 'text'} inputs.")
        if y_pred is None:
            y_pred = self(x, training=training)
        texts = ops.cast(x["text"], "float32")
        if texts.shape[-1] is not None and texts.shape[-1] != self.text_dim:
            raise ValueError(
                f"DJSRH was built for text_dim={self.text_dim}, found a text batch of "
                f"shape {tuple(texts.shape)}."
            )
        affinity = djsrh_affinity(
            self.affinity_features(x["image"]),
            texts,
            self.beta,
            self.eta,
            self.mu,
            normalizer=self.affinity_normalizer,
        )
        total, parts = djsrh_reconstruction_loss(
            y_pred["image"], y_pred["text"], affinity, self.lambda1, self.lambda2, return_parts=True
        )
        self.reconstruction_tracker.update_state(total)
        for tracker, part in zip(
            (self.image_image_tracker, self.image_text_tracker, self.text_text_tracker), parts
        ):
            tracker.update_state(part)
        if training and self.weight_decay:
            total = total + 0.5 * self.weight_decay * sum(
                ops.sum(ops.square(v)) for v in self.trainable_variables
            )
        return total

    def encode_image(
        self, images: np.ndarray | Iterable[Batch], batch_size: int = 32
    ) -> np.ndarray:
        """`{-1, +1}` int8 codes of images: a NumPy array or an iterable of image batches."""
        return _encode_with(self, "image", images, batch_size)

    def encode_text(self, texts: np.ndarray | Iterable[Batch], batch_size: int = 32) -> np.ndarray:
        """`{-1, +1}` int8 codes of text vectors: a NumPy array or an iterable of batches."""
        return _encode_with(self, "text", texts, batch_size)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "image_backbone": keras.saving.serialize_keras_object(self.image_backbone),
                "feature_backbone": None
                if self.feature_backbone is None
                else keras.saving.serialize_keras_object(self.feature_backbone),
                "text_dim": self.text_dim,
                "code_length": self.code_length,
                "beta": self.beta,
                "eta": self.eta,
                "mu": self.mu,
                "lambda1": self.lambda1,
                "lambda2": self.lambda2,
                "weight_decay": self.weight_decay,
                "text_hidden_dim": self.text_hidden_dim,
                "trainable_image_layers": self.trainable_image_layers,
                "affinity_normalizer": self.affinity_normalizer,
                "seed": self.seed,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["image_backbone"] = keras.saving.deserialize_keras_object(config["image_backbone"])
        if config.get("feature_backbone") is not None:
            config["feature_backbone"] = keras.saving.deserialize_keras_object(
                config["feature_backbone"]
            )
        return cls(**config)
