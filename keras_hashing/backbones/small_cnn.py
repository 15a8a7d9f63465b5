"""A small convolutional backbone for 28x28 grayscale images (the Fashion-MNIST runs)."""

from __future__ import annotations

from collections.abc import Sequence

import keras

from keras_hashing import validation


@keras.saving.register_keras_serializable(package="keras_hashing")
class SmallCNN(keras.Model):
    """Conv blocks (3x3 conv, batch norm, ReLU, 2x2 max pool) then a dense feature layer.

    Not from any original: it stands in for AlexNet where images are 28x28 (Fashion-MNIST), light
    enough to train in minutes on two CPU cores (`benchmarks/bench_dch.py`).

    Args:
        input_shape: default (28, 28, 1), float images (e.g. in [0, 1]).
        filters: default (16, 32), one conv block per entry (a batch-128 training step with a
            32-bit head takes about 0.03 s on 2 busy CPU cores under TensorFlow; (32, 64): 0.13 s).
        units: default 256, the feature width (`output_dim`).
        dropout: default 0.3, after the dense layer (training only); 0 disables it.
        weight_decay: default 0, an L2 penalty `weight_decay * sum(w ** 2)` on every conv and
            dense kernel, added to the training loss through `model.losses` (small training sets
            such as the 5 000 Fashion-MNIST images overfit without it).
        name: default "small_cnn".

    Attributes:
        output_dim: `units`.

    Returns:
        ReLU features `(N, units)`.

    Example:
    >>> backbone = SmallCNN()
    >>> tuple(backbone(keras.ops.zeros((2, 28, 28, 1))).shape)
    (2, 256)
    """

    def __init__(
        self,
        input_shape: Sequence[int] = (28, 28, 1),
        filters: Sequence[int] = (16, 32),
        units: int = 256,
        dropout: float = 0.3,
        weight_decay: float = 0.0,
        name: str = "small_cnn",
        **kwargs,
    ):
        input_shape = tuple(int(d) for d in input_shape)
        filters = tuple(validation.positive_int("filters", f, "SmallCNN") for f in filters)
        if len(input_shape) != 3:
            raise ValueError(f"SmallCNN: `input_shape` must be (H, W, C), found {input_shape}.")
        if not filters:
            raise ValueError("SmallCNN: `filters` must name one or more widths, found none.")
        if min(input_shape[:2]) < 2 ** len(filters):
            raise ValueError(
                f"SmallCNN: {len(filters)} pooling blocks need inputs of at least "
                f"{2 ** len(filters)} "
                f"pixels a side, found input_shape {input_shape}."
            )
        units = validation.positive_int("units", units, "SmallCNN")
        dropout = validation.number_in_range("dropout", dropout, 0, 1, "SmallCNN")
        weight_decay = validation.nonnegative_number("weight_decay", weight_decay, "SmallCNN")
        regularizer = keras.regularizers.L2(float(weight_decay)) if weight_decay else None
        inputs = keras.Input(input_shape, name="images")
        x = inputs
        for i, width in enumerate(filters, start=1):
            x = keras.layers.Conv2D(
                width,
                3,
                padding="same",
                use_bias=False,
                kernel_regularizer=regularizer,
                name=f"conv{i}",
            )(x)
            x = keras.layers.BatchNormalization(name=f"bn{i}")(x)
            x = keras.layers.ReLU(name=f"relu{i}")(x)
            x = keras.layers.MaxPooling2D(2, name=f"pool{i}")(x)
        x = keras.layers.Flatten(name="flatten")(x)
        x = keras.layers.Dense(
            int(units), activation="relu", kernel_regularizer=regularizer, name="fc"
        )(x)
        if dropout:
            x = keras.layers.Dropout(float(dropout), name="drop")(x)
        super().__init__(inputs=inputs, outputs=x, name=name, **kwargs)
        self.image_shape = input_shape
        self.filters = filters
        self.units = int(units)
        self.dropout = float(dropout)
        self.weight_decay = float(weight_decay)
        self.output_dim = self.units

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "input_shape": list(self.image_shape),
            "filters": list(self.filters),
            "units": self.units,
            "dropout": self.dropout,
            "weight_decay": self.weight_decay,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)
