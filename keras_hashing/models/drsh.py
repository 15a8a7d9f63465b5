"""DRSH: supervised hashing with recurrent scaling (frankenstan/DRSH `train.py`, `test.py`)."""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from typing import TYPE_CHECKING
from typing import Any
from typing import Literal

import keras
import numpy as np
from keras import ops

from keras_hashing import validation
from keras_hashing._types import Dataset
from keras_hashing._types import Tensor
from keras_hashing._types import TensorLike
from keras_hashing.layers.recurrent_scaling import MODES
from keras_hashing.layers.recurrent_scaling import RecurrentScaling
from keras_hashing.layers.recurrent_scaling import split_inputs
from keras_hashing.losses.triplet_drsh import ORIGINAL_DIVISOR
from keras_hashing.losses.triplet_drsh import drsh_binary_triplet_loss
from keras_hashing.losses.triplet_drsh import drsh_triplet_loss
from keras_hashing.models._fit_guard import NonFiniteLossGuard

if TYPE_CHECKING:
    from numpy.typing import ArrayLike


TRIPLET_KEYS = (
    "features",
    "attributes",
    "positive_features",
    "positive_attributes",
    "negative_features",
    "negative_attributes",
)


def _first_array(element: Any) -> Any:
    """The visual features of a batch: dict key 'features', else the first leaf of a tuple."""
    while True:
        if isinstance(element, dict):
            if "features" not in element:
                raise ValueError(
                    f"DRSH.encode: a dict batch needs the key 'features', found keys "
                    f"{sorted(element)}."
                )
            element = element["features"]
        elif isinstance(element, (list, tuple)):
            element = element[0]
        else:
            return element


@keras.saving.register_keras_serializable(package="keras_hashing")
class DRSH(NonFiniteLossGuard, keras.Model):
    """Deep Recurrent Scaling Hashing on precomputed features (frankenstan/DRSH `train.py`).

    Inputs are a visual feature `x (B, D)` (fc7 of VGG in the original) and an attribute matrix
    `A (B, S, E)` (the GloVe vectors of the top-S visual concepts in vocabulary order), given as
    `(features, attributes)` or `{"features": ..., "attributes": ...}`. `call` returns the real
    code `y = s * (x W_feat + b_feat)`, with `s (B, K)` from `RecurrentScaling`.

    **Bits never depend on the LSTM**: `s` lies in (0, 1), so
    `bit_k = 1[(x W_feat + b_feat)_k >= 0]`;
    `encode` computes exactly that from the projection alone (attributes are not needed to encode).
    The recurrent scales only weight each bit inside the training loss.

    Training (`fit` on batches with the keys of `TRIPLET_KEYS`, from
    `keras_hashing.data.drsh.drsh_triplet_dataset`) minimises

        mean_b max(0, margin - ||y - y-|| / divisor + ||y - y+|| / divisor)
        + binary_loss_weight * L_bin + (l2_decay / 2) * sum over every weight of ||w||^2

    where `L_bin` (a constant shift, zero gradient) is reported as in the original.

    Modes (see `RecurrentScaling`):
    * "faithful": the original. Batch size 1 (checked), training cell state = BN shift `beta`,
      test cell `gamma * c + beta`, the hard-coded divisor 32, `L_bin` over 32 bits with weight
      0.1; compile with `keras_hashing.optimizers.DRSHAdam()` (the original's Adam, lr 2e-4).
    * "batched" (default, a deviation for real use): any batch size, no cell normalisation (all
      LSTM parameters learn), `L_bin` off by default; compile with a standard Adam.

    Args:
        code_length: int, default 32 bits `K` (the LSTM runs K steps).
        hidden_dim: int, default 512.
        mode: "batched" (default) or "faithful".
        margin: float, default 2.0.
        divisor: float, default 32.0 (the original's constant, for every code length).
        l2_decay: float, default 1e-4, applied to every weight as in the original.
        binary_loss_weight: float or None, default None: 0.1 in faithful mode, 0 in batched mode.
        feature_dim: optional int D; with `attribute_shape`, the model builds at once.
        attribute_shape: optional `(S, E)`.
        epsilon: float, default 1e-10, the faithful cell normalisation's epsilon.
        **kwargs: `keras.Model` arguments (`name`, ...).

    Example:
    >>> model = DRSH(code_length=8, hidden_dim=16, feature_dim=12, attribute_shape=(10, 5))
    >>> model.encode(np.ones((2, 12), "float32")).shape
    (2, 8)

    References:
        Fu, Bin, Wang, Wei, Chen, "Supervised Hashing with Recurrent Scaling", APWeb-WAIM 2019;
        code: github.com/frankenstan/DRSH.
    """

    def __init__(
        self,
        code_length: int = 32,
        hidden_dim: int = 512,
        mode: Literal["batched", "faithful"] = "batched",
        margin: float = 2.0,
        divisor: float = ORIGINAL_DIVISOR,
        l2_decay: float = 1e-4,
        binary_loss_weight: float | None = None,
        feature_dim: int | None = None,
        attribute_shape: Sequence[int] | None = None,
        epsilon: float = 1e-10,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.mode = validation.one_of("mode", mode, MODES, "DRSH")
        self.margin = validation.nonnegative_number("margin", margin, "DRSH")
        self.divisor = validation.positive_number("divisor", divisor, "DRSH")
        self.l2_decay = validation.nonnegative_number("l2_decay", l2_decay, "DRSH")
        if binary_loss_weight is None:
            binary_loss_weight = 0.1 if mode == "faithful" else 0.0
        self.binary_loss_weight = float(binary_loss_weight)
        self.scaling = RecurrentScaling(
            code_length, hidden_dim, mode=mode, epsilon=epsilon, name="recurrent_scaling"
        )
        self.code_length, self.hidden_dim = self.scaling.steps, self.scaling.hidden_dim
        # W_feat, b_feat of the original: glorot-uniform, zero bias.
        self.code_layer = keras.layers.Dense(
            self.code_length,
            kernel_initializer="glorot_uniform",
            bias_initializer="zeros",
            name="code_layer",
        )
        self.triplet_tracker = keras.metrics.Mean(name="triplet_loss")
        self.binary_tracker = keras.metrics.Mean(name="binary_loss")
        self.l2_tracker = keras.metrics.Mean(name="l2_loss")
        self.feature_dim = None
        self.attribute_shape = None
        if (feature_dim is None) != (attribute_shape is None):
            raise ValueError(
                "DRSH: give both `feature_dim` and `attribute_shape` or neither, found "
                f"feature_dim={feature_dim!r}, attribute_shape={attribute_shape!r}."
            )
        if feature_dim is not None:
            attribute_shape = tuple(attribute_shape)
            if len(attribute_shape) != 2:
                raise ValueError(
                    f"DRSH: `attribute_shape` must be (S, E), found {attribute_shape}."
                )
            self.build(
                {
                    "features": (None, int(feature_dim)),
                    "attributes": (None,) + tuple(int(d) for d in attribute_shape),
                }
            )

    def build(self, input_shape):
        if self.built and self.feature_dim is not None:
            return
        if isinstance(input_shape, dict) and "input_shape" in input_shape and len(input_shape) == 1:
            input_shape = input_shape["input_shape"]
        feature_shape, attribute_shape = split_inputs(input_shape, "DRSH.build")
        feature_shape, attribute_shape = tuple(feature_shape), tuple(attribute_shape)
        self.scaling.build((feature_shape, attribute_shape))
        self.code_layer.build(feature_shape)
        self.feature_dim = self.scaling.feature_dim
        self.attribute_shape = (self.scaling.num_slots, self.scaling.attribute_dim)
        self.built = True

    def projection(self, features: TensorLike) -> Tensor:
        """`x W_feat + b_feat` `(B, K)`: the real values whose signs are the bits."""
        return self.code_layer(ops.cast(features, self.compute_dtype))

    def scales(
        self,
        inputs: tuple[TensorLike, TensorLike] | Mapping[str, TensorLike],
        training: bool = False,
    ) -> Tensor:
        """The recurrent scales `s (B, K)` in (0, 1)."""
        return self.scaling(split_inputs(inputs, "DRSH"), training=training)

    def call(self, inputs, training=False):
        features, attributes = split_inputs(inputs, "DRSH")
        return self.scaling((features, attributes), training=training) * self.projection(features)

    def _check_triplet_batch(self, x: Any) -> None:
        if not isinstance(x, dict) or any(key not in x for key in TRIPLET_KEYS):
            found = sorted(x) if isinstance(x, dict) else type(x).__name__
            raise ValueError(
                f"DRSH trains on triplet batches: a dict with keys {list(TRIPLET_KEYS)} "
                f"(keras_hashing.data.drsh.drsh_triplet_dataset), found {found}."
            )
        batch = x["features"].shape[0]
        if self.mode == "faithful" and batch is not None and batch != 1:
            raise ValueError(
                f"DRSH(mode='faithful') trains with batch size 1 as the original "
                f"(its batch normalisation and reshapes assume it), found a batch of "
                f"{batch}. Use mode='batched' for larger batches."
            )

    def l2_penalty(self) -> Tensor:
        """`(l2_decay / 2) * sum ||w||^2` over every trainable weight (the original's decay)."""
        if not self.trainable_weights:
            return ops.convert_to_tensor(0.0)
        total = ops.sum(ops.stack([ops.sum(ops.square(w)) for w in self.trainable_weights]))
        return 0.5 * self.l2_decay * total

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        self._check_triplet_batch(x)
        anchor = y_pred if y_pred is not None else self(x, training=training)
        positive = self((x["positive_features"], x["positive_attributes"]), training=training)
        negative = self((x["negative_features"], x["negative_attributes"]), training=training)
        triplet = ops.mean(drsh_triplet_loss(anchor, positive, negative, self.margin, self.divisor))
        binary = ops.mean(drsh_binary_triplet_loss(anchor, positive, negative, self.margin))
        l2 = self.l2_penalty()
        self.triplet_tracker.update_state(triplet)
        self.binary_tracker.update_state(binary)
        self.l2_tracker.update_state(l2)
        total = triplet + self.binary_loss_weight * binary + l2
        if self.losses:
            total = total + ops.sum(self.losses)
        return total

    def _projections_numpy(self, inputs: Any, batch_size: int | None) -> np.ndarray:
        if hasattr(inputs, "element_spec") or (
            hasattr(inputs, "__iter__") and hasattr(inputs, "__next__")
        ):
            parts = [
                np.asarray(ops.convert_to_numpy(self.projection(np.asarray(_first_array(b)))))
                for b in inputs
            ]
            return np.concatenate(parts) if parts else np.zeros((0, self.code_length), "float32")
        features = np.asarray(_first_array(inputs))
        if features.ndim != 2:
            raise ValueError(f"DRSH.encode: features must be (N, D), found shape {features.shape}.")
        if self.feature_dim is not None and features.shape[1] != self.feature_dim:
            raise ValueError(
                f"DRSH.encode: the model takes {self.feature_dim}-d features, found "
                f"shape {features.shape}."
            )
        step = int(batch_size or 1024)
        parts = [
            np.asarray(ops.convert_to_numpy(self.projection(features[i : i + step])))
            for i in range(0, len(features), step)
        ]
        return np.concatenate(parts) if parts else np.zeros((0, self.code_length), "float32")

    def encode(
        self,
        inputs: ArrayLike | Mapping[str, ArrayLike] | Dataset | Iterable[Any],
        batch_size: int | None = None,
        verbose: int | str = 0,
    ) -> np.ndarray:
        """`{-1, +1}` int8 codes `(N, K)`: the sign of the projection (>= 0 gives +1).

        Args:
            inputs: features `(N, D)`, a `(features, attributes)` pair, a dict with 'features',
                or an iterable/`tf.data.Dataset` of such batches. Attributes are not used.
            batch_size: int or None (1024), rows per forward pass for arrays.
            verbose: unused, for signature compatibility with `HashingModel.encode`.
        """
        projections = self._projections_numpy(inputs, batch_size)
        return np.where(projections >= 0, 1, -1).astype(np.int8)

    def encode_bits(
        self,
        inputs: ArrayLike | Mapping[str, ArrayLike] | Dataset | Iterable[Any],
        batch_size: int | None = None,
    ) -> np.ndarray:
        """`{0, 1}` uint8 codes as the original writes them (`bit = 1[y >= 0]`)."""
        return (self.encode(inputs, batch_size) > 0).astype(np.uint8)

    def original_weights(self) -> dict[str, keras.Variable]:
        """`{original name: variable}` for every parameter the original's `.npz` holds."""
        weights = dict(self.scaling.original_weights())
        weights["W_feat"], weights["b_feat"] = self.code_layer.kernel, self.code_layer.bias
        return weights

    def set_original_weights(self, params: Mapping[str, ArrayLike], source: str = "params") -> None:
        """Loads the original's parameter arrays (`np.load("2_1049.npz")` or a dict) by name.

        Raises:
            ValueError: when a name is missing or a shape differs (naming both).
        """
        if not self.built:
            raise ValueError(
                "DRSH.set_original_weights: build the model first (give feature_dim "
                "and attribute_shape, or call it once)."
            )
        for name, variable in self.original_weights().items():
            if name not in params:
                raise ValueError(f"{source}: no parameter {name!r} (found {sorted(params)}).")
            value = np.asarray(params[name], dtype="float32")
            if tuple(value.shape) != tuple(variable.shape):
                raise ValueError(
                    f"{source}: parameter {name!r} has shape {value.shape}, the model "
                    f"expects {tuple(variable.shape)}."
                )
            variable.assign(value)

    def get_original_weights(self) -> dict[str, np.ndarray]:
        """`{original name: float32 array}`, loadable by `set_original_weights` (and `np.savez`)."""
        return {
            name: np.asarray(ops.convert_to_numpy(v)) for name, v in self.original_weights().items()
        }

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "code_length": self.code_length,
                "hidden_dim": self.hidden_dim,
                "mode": self.mode,
                "margin": self.margin,
                "divisor": self.divisor,
                "l2_decay": self.l2_decay,
                "binary_loss_weight": self.binary_loss_weight,
                "feature_dim": self.feature_dim,
                "attribute_shape": None
                if self.attribute_shape is None
                else list(self.attribute_shape),
                "epsilon": self.scaling.epsilon,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)
