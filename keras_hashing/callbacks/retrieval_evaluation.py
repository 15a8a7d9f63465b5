"""Retrieval evaluation during training: thulab/DeepHash's `MAPs` figures written into `logs`."""

from __future__ import annotations

import os
import warnings
from typing import TYPE_CHECKING

import keras
import numpy as np
from numpy.typing import ArrayLike

from keras_hashing import validation
from keras_hashing._types import Dataset
from keras_hashing.metrics import _core

if TYPE_CHECKING:

    # `(inputs, labels)`, inputs an array or a dataset of inputs only (labels None: read from
    # the dataset), or a dataset of `(inputs, labels)` batches.
    RetrievalData = tuple[ArrayLike | Dataset, ArrayLike | None] | Dataset


def _is_dataset(value):
    # A Dataset (or any iterable of batches) without importing TensorFlow here.
    return hasattr(value, "element_spec") or (
        not isinstance(value, (np.ndarray, list, tuple, dict))
        and hasattr(value, "__iter__")
        and not hasattr(value, "shape")
    )


@keras.saving.register_keras_serializable(package="keras_hashing")
class RetrievalEvaluation(keras.callbacks.Callback):
    """Evaluates retrieval every `every_n_epochs` epochs and writes the figures into `logs`.

    The query and database inputs go through `compute_outputs` (by default
    `self.model.predict(inputs, verbose=0)`); the outputs are scored as DHN/DCH report them
    (`DHN.validation`, `DCH.validation`) and written under these keys, so TensorBoard, CSVLogger,
    EarlyStopping and ModelCheckpoint see them:
    `{prefix}map_by_feature`, `{prefix}map_after_sign` (mAP@R), `{prefix}precision_radius_{r}`,
    `{prefix}recall_radius_{r}`, `{prefix}map_radius_{r}` (Hamming radius `r`, default 2).
    With `plot_dir`, the all-radius curves of each evaluation are drawn to
    `{plot_dir}/{prefix}precision_recall_epoch_{epoch:04d}.png`.

    Never select models on the test queries: pass a validation split here when the figures
    drive a choice (early stopping, checkpoints).

    Args:
        query: `(inputs, labels)`; inputs are a NumPy array or a `tf.data.Dataset` of inputs
            only. A dataset of `(inputs, labels)` batches may be passed alone (labels are then
            read from it, and it must yield the same order every pass).
        database: as `query`.
        top_k: int or None, default None (the whole database): the mAP cut-off, how many
            ranked database items count (the R of the original's mAP@R). The keyword `R` is a
            deprecated alias, and configs saved with `R` still load.
        every_n_epochs: int, default 1.
        radius: int, default 2, the Hamming radius of the precision/recall/mAP keys.
        prefix: str, default "val_", the start of every key. Name the keys after the data
            passed: keep "val_" for a validation split of the training data, and use "test_"
            for the test queries, so that no one early-stops or selects on the test set.
        plot_dir: str or None, default None; folder for the curve figures.
        tie_break: "index" (default) or "numpy", see `keras_hashing.metrics.map_at_r`.
        device: bool, default False; compute mAP after sign with `keras.ops` on the accelerator
            (`keras_hashing.metrics.map_after_sign_device`, same values as NumPy).
        batch_size: int or None, default None; `predict` batch size for array inputs.

    `get_config` holds the settings only: the data arrays are not serialised (they can be
    gigabytes and datasets are not serialisable). `from_config` gives a callback without data;
    give it some with `set_data(query, database)` before use.

    Example:
    >>> callback = RetrievalEvaluation(  # doctest: +SKIP
    ...     (x_query, y_query), (x_db, y_db), top_k=1000
    ... )
    >>> model.fit(train, epochs=10, callbacks=[callback])  # doctest: +SKIP

    References:
        thulab/DeepHash, `DeepHash/evaluation/__init__.py::MAPs`.
    """

    @_core.renamed_arguments(R="top_k")
    def __init__(
        self,
        query: RetrievalData | None = None,
        database: RetrievalData | None = None,
        top_k: int | None = None,
        every_n_epochs: int = 1,
        radius: int = 2,
        prefix: str = "val_",
        plot_dir: str | None = None,
        tie_break: str = "index",
        device: bool = False,
        batch_size: int | None = None,
    ):
        super().__init__()
        where = "RetrievalEvaluation"
        every_n_epochs = validation.positive_int("every_n_epochs", every_n_epochs, where)
        radius = validation.nonnegative_int("radius", radius, where)
        if top_k is not None:
            top_k = validation.positive_int("top_k", top_k, where)
        validation.one_of("tie_break", tie_break, ("index", "numpy"), where)
        if device and tie_break != "index":
            raise ValueError(
                "RetrievalEvaluation: `device=True` ranks ties by index; it needs "
                "tie_break='index'."
            )
        self.top_k = None if top_k is None else int(top_k)
        self.every_n_epochs = int(every_n_epochs)
        self.radius = int(radius)
        self.prefix = prefix
        self.plot_dir = plot_dir
        self.tie_break = tie_break
        self.device = bool(device)
        self.batch_size = batch_size
        self.query = self.database = None
        if query is not None or database is not None:
            self.set_data(query, database)

    @property
    def R(self) -> int | None:
        """Deprecated alias of `top_k`."""
        warnings.warn(
            "RetrievalEvaluation.R is deprecated; use `top_k` instead.",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.top_k

    @staticmethod
    def _split(part, name):
        if part is None:
            raise ValueError(f"RetrievalEvaluation: `{name}` is missing; pass (inputs, labels).")
        if isinstance(part, (tuple, list)):
            if len(part) != 2:
                raise ValueError(
                    f"RetrievalEvaluation: `{name}` must be (inputs, labels), found "
                    f"{len(part)} entries."
                )
            inputs, labels = part
            if labels is not None:
                labels = np.asarray(labels)
                if labels.ndim != 2:
                    raise ValueError(
                        f"RetrievalEvaluation: `{name}` labels must be (N, L) "
                        f"multi-hot, found shape {labels.shape}."
                    )
                if not _is_dataset(inputs) and len(inputs) != len(labels):
                    raise ValueError(
                        f"RetrievalEvaluation: `{name}` has {len(inputs)} inputs but "
                        f"{len(labels)} label rows."
                    )
            return inputs, labels
        if _is_dataset(part):
            return part, None
        raise ValueError(
            f"RetrievalEvaluation: `{name}` must be (inputs, labels) or a dataset of "
            f"(inputs, labels) batches, found {type(part).__name__}."
        )

    def set_data(self, query: RetrievalData, database: RetrievalData) -> None:
        """Sets the `(inputs, labels)` pairs to evaluate on (see the class arguments)."""
        self.query = self._split(query, "query")
        self.database = self._split(database, "database")

    def compute_outputs(self, inputs: ArrayLike | Dataset) -> np.ndarray:
        """Real-valued outputs for `inputs`; override for models whose `predict` differs."""
        if _is_dataset(inputs):
            return np.asarray(self.model.predict(inputs, verbose=0))
        return np.asarray(self.model.predict(inputs, batch_size=self.batch_size, verbose=0))

    @staticmethod
    def _labels_from(dataset, name):
        labels = []
        for batch in dataset:
            if not isinstance(batch, (tuple, list)) or len(batch) < 2:
                raise ValueError(
                    f"RetrievalEvaluation: `{name}` has no labels; pass "
                    f"(inputs, labels) or a dataset of (inputs, labels) batches."
                )
            labels.append(np.asarray(batch[1]))
        return np.concatenate(labels, axis=0)

    def _outputs_and_labels(self, part, name):
        inputs, labels = part
        if labels is None:
            labels = self._labels_from(inputs, name)
        outputs = self.compute_outputs(inputs)
        if len(outputs) != len(labels):
            raise ValueError(
                f"RetrievalEvaluation: `{name}` gave {len(outputs)} outputs but has "
                f"{len(labels)} label rows."
            )
        return outputs, labels

    def compute_metrics(
        self,
        query_outputs: ArrayLike,
        query_labels: ArrayLike,
        database_outputs: ArrayLike,
        database_labels: ArrayLike,
        plot_path: str | None = None,
    ) -> dict[str, float]:
        """The figures for given outputs, keyed without prefix (`map_by_feature`, ...)."""
        from keras_hashing import metrics

        args = (query_outputs, query_labels, database_outputs, database_labels)
        top_k = self.top_k if self.top_k is None else min(self.top_k, len(database_outputs))
        if self.device:
            after_sign = metrics.map_after_sign_device(*args, top_k)
        else:
            after_sign = metrics.map_after_sign(*args, top_k, tie_break=self.tie_break)
        precision, recall, radius_map = metrics.precision_recall_at_radius(
            *args, radius=self.radius, tie_break=self.tie_break
        )
        results = {
            "map_by_feature": float(metrics.map_at_r(*args, top_k, tie_break=self.tie_break)),
            "map_after_sign": float(after_sign),
            f"precision_radius_{self.radius}": float(precision),
            f"recall_radius_{self.radius}": float(recall),
            f"map_radius_{self.radius}": float(radius_map),
        }
        if plot_path is not None:
            curves = metrics.precision_recall_curves(*args, tie_break=self.tie_break)
            metrics.plot_precision_recall_curves(*curves, plot_path)
        return results

    def evaluate_now(
        self, model: keras.Model | None = None, epoch: int | None = None
    ) -> dict[str, float]:
        """Runs the evaluation now (e.g. after training) and returns the figures with prefix."""
        if model is not None:
            self.set_model(model)
        if self.model is None:
            raise ValueError(
                "RetrievalEvaluation.evaluate_now: no model; pass `model=` or use "
                "the callback in fit()."
            )
        if self.query is None or self.database is None:
            raise ValueError("RetrievalEvaluation: no data; call set_data(query, database).")
        query_outputs, query_labels = self._outputs_and_labels(self.query, "query")
        database_outputs, database_labels = self._outputs_and_labels(self.database, "database")
        plot_path = None
        if self.plot_dir is not None:
            tag = "final" if epoch is None else f"epoch_{epoch + 1:04d}"
            plot_path = os.path.join(self.plot_dir, f"{self.prefix}precision_recall_{tag}.png")
        results = self.compute_metrics(
            query_outputs, query_labels, database_outputs, database_labels, plot_path=plot_path
        )
        return {self.prefix + key: value for key, value in results.items()}

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every_n_epochs:
            return
        results = self.evaluate_now(epoch=epoch)
        if logs is not None:
            logs.update(results)

    def get_config(self):
        return {
            "top_k": self.top_k,
            "every_n_epochs": self.every_n_epochs,
            "radius": self.radius,
            "prefix": self.prefix,
            "plot_dir": self.plot_dir,
            "tie_break": self.tie_break,
            "device": self.device,
            "batch_size": self.batch_size,
        }

    @classmethod
    def from_config(cls, config):
        # Configs saved before the rename hold `R`; they load without a warning.
        config = _core.rename_keywords(
            config, RetrievalEvaluation.__init__.__renamed_arguments__, cls.__name__, warn=False
        )
        return cls(**config)
