"""DVSQ: Deep Visual-Semantic Quantization (thulab/DeepHash `model/dvsq`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING
from typing import Any
from typing import Literal

import keras
import numpy as np
from keras import ops

from keras_hashing import validation
from keras_hashing._types import Tensor
from keras_hashing.losses.quantization_losses import adaptive_margin_loss
from keras_hashing.losses.quantization_losses import reconstruction_loss
from keras_hashing.losses.quantization_losses import semantic_reconstruction_loss
from keras_hashing.models.dqn import QuantizationModel
from keras_hashing.models.dqn import require_num_train

if TYPE_CHECKING:
    from numpy.typing import ArrayLike


LOSS_TYPES = ("cos_softmargin_multi_label", "cos_margin_multi_label")


@keras.saving.register_keras_serializable(package="keras_hashing")
class DVSQ(QuantizationModel):
    """Deep Visual-Semantic Quantization.

    Loss: the adaptive-margin ranking loss of the outputs against the label word vectors `V` plus
    `λ_t mean_i ||V (z_i - C^T b_i)||^2` (thulab/DeepHash DeepHash/model/dvsq/dvsq.py,
    `DVSQ.apply_loss_function`), λ_t warmed up as in DQN. A code-update round
    (`keras_hashing.callbacks.CodebookUpdate`) fits block-diagonal k-means at the first round only,
    then runs ICM with the V-weighted cost and the ridge least-squares centre update.

    The label embeddings are a non-trainable weight saved with the model; `D` must equal their
    dimension (asserted by the original).

    Args:
        backbone: feature extractor.
        label_embeddings: `(L, D)` array, one word vector per label in label order
            (`keras_hashing.data.load_deephash_wordvec` / `label_embeddings`).
        code_length: int or None, default None (= the embedding dimension; 300 in the original).
        num_train: int, training-set size.
        num_codebooks: int, default 4. num_codewords: int, default 256.
        cq_lambda: float, default 1e-4.
        loss_type: "cos_softmargin_multi_label" (default, adaptive margin) or
            "cos_margin_multi_label" (fixed `margin`, broken in the original: `margin_param` is
            never set).
        margin: float, default 0.7, for the fixed-margin loss.
        negatives_only: bool, default False. True sums the hinge over negative labels only, as
            the paper writes it; the original sums over every label (`DVSQ.apply_loss_function`).
        max_iter_update_b: int, default 3. code_batch_size: int, default 500.
        with_tanh: bool, default True. preprocessor: see `HashingModel`.

    Example:
    >>> import numpy as np
    >>> from keras_hashing.backbones import SmallCNN
    >>> V = np.random.default_rng(0).normal(size=(10, 50)).astype("float32")
    >>> model = DVSQ(SmallCNN(), label_embeddings=V, num_train=5000)
    >>> model.code_length
    50

    References:
        Cao, Long, Wang, Liu, "Deep Visual-Semantic Quantization for Efficient Image Retrieval",
        CVPR 2017.
    """

    refit_kmeans_every_round = False
    least_squares_update = True

    def __init__(
        self,
        backbone: keras.Model,
        label_embeddings: ArrayLike,
        code_length: int | None = None,
        num_train: int | None = None,
        num_codebooks: int = 4,
        num_codewords: int = 256,
        cq_lambda: float = 1e-4,
        loss_type: Literal[
            "cos_softmargin_multi_label", "cos_margin_multi_label"
        ] = "cos_softmargin_multi_label",
        margin: float = 0.7,
        negatives_only: bool = False,
        max_iter_update_b: int = 3,
        code_batch_size: int = 500,
        with_tanh: bool = True,
        preprocessor: keras.layers.Layer | None = None,
        num_labels: int | None = None,
        **kwargs: Any,
    ) -> None:
        embeddings = np.asarray(label_embeddings, dtype=np.float32)
        if embeddings.ndim != 2 or embeddings.size == 0:
            raise ValueError(
                f"`label_embeddings` must be a non-empty (L, d) matrix, found shape "
                f"{embeddings.shape}."
            )
        if not np.all(np.isfinite(embeddings)) or np.any(np.linalg.norm(embeddings, axis=1) == 0):
            raise ValueError(
                "`label_embeddings` must be finite with no zero row (the cosines "
                "of the loss divide by the row norms)."
            )
        code_length = embeddings.shape[1] if code_length is None else code_length
        if code_length != embeddings.shape[1]:
            raise ValueError(
                f"DVSQ needs code_length == the word-vector dimension: code_length="
                f"{code_length} but label_embeddings has shape {embeddings.shape}."
            )
        if num_labels is not None and num_labels != embeddings.shape[0]:
            raise ValueError(
                f"num_labels={num_labels} but label_embeddings has {embeddings.shape[0]} rows."
            )
        require_num_train("DVSQ", num_train)
        validation.one_of("loss_type", loss_type, LOSS_TYPES, "DVSQ")
        super().__init__(
            backbone,
            int(code_length),
            num_train,
            num_codebooks=num_codebooks,
            num_codewords=num_codewords,
            cq_lambda=cq_lambda,
            max_iter_update_b=max_iter_update_b,
            code_batch_size=code_batch_size,
            with_tanh=with_tanh,
            preprocessor=preprocessor,
            num_labels=embeddings.shape[0],
            **kwargs,
        )
        self.loss_type = loss_type
        self.margin = float(margin)
        self.negatives_only = bool(negatives_only)
        self._initial_embeddings = embeddings
        self.label_embeddings = self.add_weight(
            shape=embeddings.shape,
            name="label_embeddings",
            trainable=False,
            initializer=keras.initializers.Constant(embeddings),
        )
        self.semantic_tracker = keras.metrics.Mean(name="cos_loss")
        self.euclidean_tracker = keras.metrics.Mean(name="cq_euclidean_loss")

    def label_embeddings_for_icm(self) -> np.ndarray:
        return np.asarray(ops.convert_to_numpy(self.label_embeddings), dtype=np.float32)

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
        margin = None if self.loss_type == "cos_softmargin_multi_label" else self.margin
        semantic = adaptive_margin_loss(
            y, y_pred, self.label_embeddings, negatives_only=self.negatives_only, margin=margin
        )
        codes = self.batch_codes(indices)
        quantization = semantic_reconstruction_loss(
            y_pred, codes, self.quantizer.codebook, self.label_embeddings
        )
        # Logged but unused, as in the original.
        self.euclidean_tracker.update_state(
            reconstruction_loss(y_pred, codes, self.quantizer.codebook)
        )
        self.semantic_tracker.update_state(semantic)
        self.quantization_tracker.update_state(quantization)
        return semantic + self.cq_weight() * quantization

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "label_embeddings": self._initial_embeddings.tolist(),
                "loss_type": self.loss_type,
                "margin": self.margin,
                "negatives_only": self.negatives_only,
            }
        )
        return config
