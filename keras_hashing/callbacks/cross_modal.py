"""Callbacks of the cross-modal methods: DADH's discrete B-step and learning-rate decay, DJSRH's
tanh slope, and an image->text / text->image retrieval evaluation that writes into `logs`."""

from __future__ import annotations

import math

import keras
import numpy as np
from numpy.typing import ArrayLike

from keras_hashing import validation


def dadh_code_update(
    labels: ArrayLike,
    codes: ArrayLike,
    image_outputs: ArrayLike,
    text_outputs: ArrayLike,
    lamb: float = 1.0,
    mu: float = 1e-5,
) -> np.ndarray:
    """DADH's discrete B-step (Zjut-MultimediaPlus/DADH main.py, `train`), in closed form.

    `P = (L^T L + lamb I)^{-1} L^T B` and `B <- sign(L P + (mu / 2) (H_I + H_T))`, with NumPy's
    sign (an exact zero stays 0, as `torch.sign`). Solved in float64.

    Args:
        labels: `(N, C)` training labels `L`.
        codes: `(N, K)` current codes `B`.
        image_outputs, text_outputs: `(N, K)` buffers `H_I`, `H_T` (latest outputs per item).
        lamb: float, the ridge term.
        mu: float, the weight of the outputs.

    Returns:
        `(N, K)` float32 new codes.
    """
    labels = np.asarray(labels, np.float64)
    codes = np.asarray(codes, np.float64)
    if labels.shape[0] != codes.shape[0]:
        raise ValueError(
            f"dadh_code_update: {labels.shape[0]} label rows but {codes.shape[0]} code rows."
        )
    gram = labels.T @ labels + lamb * np.eye(labels.shape[1])
    projection = np.linalg.solve(gram, labels.T @ codes)
    mixed = labels @ projection + 0.5 * mu * (
        np.asarray(image_outputs, np.float64) + np.asarray(text_outputs, np.float64)
    )
    return np.sign(mixed).astype("float32")


@keras.saving.register_keras_serializable(package="keras_hashing")
class DADHCodeUpdate(keras.callbacks.Callback):
    """Runs `dadh_code_update` on the model's `codes` and buffers after every epoch.

    Args:
        train_labels: `(num_train, C)` labels in the order of the `index` input of the batches.
    """

    def __init__(self, train_labels: ArrayLike):
        super().__init__()
        self.train_labels = np.asarray(train_labels, "float32")

    def on_epoch_end(self, epoch, logs=None):
        model = self.model
        if self.train_labels.shape != (model.num_train, model.num_labels):
            raise ValueError(
                f"DADHCodeUpdate: train_labels have shape {self.train_labels.shape}, the "
                f"model expects ({model.num_train}, {model.num_labels})."
            )
        codes = dadh_code_update(
            self.train_labels,
            model.codes.numpy(),
            model.image_buffer.numpy(),
            model.text_buffer.numpy(),
            model.lamb,
            model.mu,
        )
        model.codes.assign(codes)

    def get_config(self):
        return {"train_labels": self.train_labels.tolist()}


@keras.saving.register_keras_serializable(package="keras_hashing")
class DADHLearningRateDecay(keras.callbacks.Callback):
    """`lr_G <- max(factor * lr_G, minimum)` after every epoch with `epoch % every == 0`.

    The original tests `epoch % 100 == 0` with 0-based epochs, so the rate decays after epoch 0
    already (DADH main.py, `train`); `at_epoch_zero=False` decays after epochs 100, 200, ...
    instead. Only the generator's rate decays.

    Args:
        every: int, default 100.
        factor: float, default 0.8.
        minimum: float, default 1e-6.
        at_epoch_zero: bool, default True (the original).
    """

    def __init__(
        self,
        every: int = 100,
        factor: float = 0.8,
        minimum: float = 1e-6,
        at_epoch_zero: bool = True,
    ):
        super().__init__()
        self.every = validation.positive_int("every", every, "DADHLearningRateDecay")
        self.factor, self.minimum = float(factor), float(minimum)
        self.at_epoch_zero = bool(at_epoch_zero)

    def on_epoch_end(self, epoch, logs=None):
        due = epoch % self.every == 0 if self.at_epoch_zero else (epoch + 1) % self.every == 0
        variable = self.model.generator_learning_rate
        if due:
            variable.assign(max(float(variable.numpy()) * self.factor, self.minimum))
        if logs is not None:
            logs["generator_learning_rate"] = float(variable.numpy())

    def get_config(self):
        return {
            "every": self.every,
            "factor": self.factor,
            "minimum": self.minimum,
            "at_epoch_zero": self.at_epoch_zero,
        }


@keras.saving.register_keras_serializable(package="keras_hashing")
class DJSRHSlopeSchedule(keras.callbacks.Callback):
    """Sets DJSRH's tanh slope to `sqrt(epoch + 1)` at the start of every epoch.

    zs-zhong/DJSRH models.py, `ImgNet.set_alpha` and `TxtNet.set_alpha`.
    """

    def on_epoch_begin(self, epoch, logs=None):
        self.model.slope.assign(math.sqrt(epoch + 1.0))

    def get_config(self):
        return {}


class CrossModalEvaluation(keras.callbacks.Callback):
    """Image->text and text->image mAP of sign codes, written into `logs`.

    Query images are ranked against database texts (`{prefix}map_i2t`) and query texts against
    database images (`{prefix}map_t2i`), through `keras_hashing.metrics.cross_modal_map`. The
    model must have `encode_image` and `encode_text`. Never select models on the test queries:
    pass a validation split here when the figures drive a choice.

    Args:
        query: `(images, texts, labels)` arrays.
        database: `(images, texts, labels)` arrays.
        top_k: optional int (DJSRH: 50); None ranks the whole database (DADH).
        convention: "index", "djsrh" or "dadh", passed to `cross_modal_map`.
        every_n_epochs: int, default 1.
        prefix: str, default "val_".
        batch_size: int, default 128.
    """

    def __init__(
        self,
        query: tuple[ArrayLike, ArrayLike, ArrayLike],
        database: tuple[ArrayLike, ArrayLike, ArrayLike],
        top_k: int | None = None,
        convention: str = "index",
        every_n_epochs: int = 1,
        prefix: str = "val_",
        batch_size: int = 128,
    ):
        super().__init__()
        for name, part in (("query", query), ("database", database)):
            if len(part) != 3:
                raise ValueError(
                    f"CrossModalEvaluation `{name}` must be (images, texts, labels), "
                    f"found {len(part)} entries."
                )
            if len(part[0]) != len(part[1]) or len(part[1]) != len(part[2]):
                raise ValueError(
                    f"CrossModalEvaluation `{name}`: images, texts and labels have "
                    f"{len(part[0])}, {len(part[1])} and {len(part[2])} rows."
                )
        every_n_epochs = validation.positive_int(
            "every_n_epochs", every_n_epochs, "CrossModalEvaluation"
        )
        self.query, self.database = query, database
        self.top_k = top_k
        self.convention = convention
        self.every_n_epochs = int(every_n_epochs)
        self.prefix = prefix
        self.batch_size = int(batch_size)

    def evaluate(self, model: keras.Model | None = None) -> dict[str, float]:
        """`{"map_i2t": ..., "map_t2i": ...}` for `model` (default: the model being trained)."""
        from keras_hashing.metrics import cross_modal_map

        model = model or self.model
        query_images, query_texts, query_labels = self.query
        database_images, database_texts, database_labels = self.database
        query_image_codes = model.encode_image(query_images, batch_size=self.batch_size)
        query_text_codes = model.encode_text(query_texts, batch_size=self.batch_size)
        database_image_codes = model.encode_image(database_images, batch_size=self.batch_size)
        database_text_codes = model.encode_text(database_texts, batch_size=self.batch_size)
        return {
            "map_i2t": float(
                cross_modal_map(
                    query_image_codes,
                    query_labels,
                    database_text_codes,
                    database_labels,
                    top_k=self.top_k,
                    convention=self.convention,
                )
            ),
            "map_t2i": float(
                cross_modal_map(
                    query_text_codes,
                    query_labels,
                    database_image_codes,
                    database_labels,
                    top_k=self.top_k,
                    convention=self.convention,
                )
            ),
        }

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every_n_epochs:
            return
        results = self.evaluate()
        if logs is not None:
            for key, value in results.items():
                logs[self.prefix + key] = value

    def get_config(self):
        return {
            "top_k": self.top_k,
            "convention": self.convention,
            "every_n_epochs": self.every_n_epochs,
            "prefix": self.prefix,
            "batch_size": self.batch_size,
        }
