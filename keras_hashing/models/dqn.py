"""DQN: Deep Quantization Network (thulab/DeepHash `model/dqn`), and the base of DVSQ and DTQ.

The quantization methods train the network on a pairwise (DQN), semantic (DVSQ) or triplet (DTQ)
loss plus a term pulling each output towards its codebook reconstruction. The codebook and the
per-sample codes are non-trainable state held by a `Codebook` layer and refitted in NumPy between
steps by `keras_hashing.callbacks.CodebookUpdate` / `TripletQuantizationUpdate`; the train step only
reads them, and writes each batch's outputs into the store the refits use (as `feed_batch_output`
does in thulab/DeepHash DeepHash/model/dqn/util.py).

Training batches carry dataset indices: `({"images": x, "indices": i}, labels)`
(`keras_hashing.data.indexed_dataset`). `predict`, `encode` and `quantize` take plain inputs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING
from typing import Any

import keras
import numpy as np
from keras import ops

from keras_hashing import validation
from keras_hashing._types import Dataset
from keras_hashing._types import Tensor
from keras_hashing.layers.codebook import Codebook
from keras_hashing.losses.quantization_losses import cosine_pairwise_loss
from keras_hashing.losses.quantization_losses import reconstruction_loss
from keras_hashing.models.base import HashingModel

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from keras_hashing.backbones.weights import DeepHashWeights


def _images(inputs: Any) -> Any:
    if isinstance(inputs, dict):
        if "images" not in inputs:
            raise ValueError(
                f"Dict inputs must hold 'images' (and 'indices' for training), "
                f"found keys {sorted(inputs)}."
            )
        return inputs["images"]
    return inputs


@keras.saving.register_keras_serializable(package="keras_hashing")
def require_num_train(model_name: str, num_train: int | None) -> None:
    """Raises unless `num_train` is given: the codebook keeps one code per training sample."""
    if num_train is None:
        raise ValueError(
            f"{model_name} needs `num_train`, the training-set size its codes are kept for."
        )


class QuantizationModel(HashingModel):
    """Shared base of DQN, DVSQ and DTQ: a `HashingModel` with a `Codebook`.

    Args:
        backbone: feature extractor.
        code_length: int, `D`, the width of the hash layer (the quantized dimension).
        num_train: int, the number of training samples whose codes are stored.
        num_codebooks: int, default 4 (`M`, the original's `n_subspace`).
        num_codewords: int, default 256 (`K`, `n_subcenter`).
        cq_lambda: float, weight of the quantization term.
        max_iter_update_b: int, default 3, ICM sweeps of a code update.
        code_batch_size: int, default 500, rows per ICM chunk.
        with_tanh, preprocessor, num_labels: see `HashingModel`.
        codebook_seed: int or None, seed of the placeholder codebook.
    """

    #: DQN re-fits k-means every round; DVSQ and DTQ only at the first round.
    refit_kmeans_every_round = False
    #: Whether a round ends with the ridge least-squares centre update (`update_centers`).
    least_squares_update = True

    _config_attributes = (
        "num_train",
        "num_codebooks",
        "num_codewords",
        "cq_lambda",
        "max_iter_update_b",
        "code_batch_size",
        "codebook_seed",
    )

    def __init__(
        self,
        backbone: keras.Model,
        code_length: int,
        num_train: int,
        num_codebooks: int = 4,
        num_codewords: int = 256,
        cq_lambda: float = 1e-4,
        max_iter_update_b: int = 3,
        code_batch_size: int = 500,
        with_tanh: bool = True,
        preprocessor: keras.layers.Layer | None = None,
        num_labels: int | None = None,
        codebook_seed: int | None = None,
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
        where = type(self).__name__
        self.cq_lambda = validation.nonnegative_number("cq_lambda", cq_lambda, where)
        self.max_iter_update_b = validation.positive_int(
            "max_iter_update_b", max_iter_update_b, where
        )
        self.code_batch_size = validation.positive_int("code_batch_size", code_batch_size, where)
        self.num_train = num_train
        self.codebook_seed = codebook_seed
        self.quantizer = Codebook(
            num_codebooks,
            num_codewords,
            self.code_length,
            num_samples=num_train,
            seed=codebook_seed,
            name="codebook",
        )
        self.num_codebooks = self.quantizer.num_codebooks
        self.num_codewords = self.quantizer.num_codewords
        self.num_train = self.quantizer.num_samples
        self.quantization_tracker = keras.metrics.Mean(name="cq_loss")

    # Inputs may be {"images", "indices"} dicts in training and plain arrays elsewhere.
    def build(self, input_shape):
        if isinstance(input_shape, dict):
            input_shape = input_shape["images"]
        super().build(input_shape)

    def call(self, inputs, training=False):
        return super().call(_images(inputs), training=training)

    def batch_indices(self, x: Tensor | Mapping[str, Tensor] | None) -> Tensor:
        """Dataset indices of a training batch; raises when the batch does not carry them."""
        if not isinstance(x, dict) or "indices" not in x:
            raise ValueError(
                f"{type(self).__name__} keeps a code per training sample, so training batches "
                "must be ({'images': x, 'indices': dataset_indices}, labels); build them with "
                "keras_hashing.data.indexed_dataset (or triplet_dataset for DTQ)."
            )
        return ops.cast(ops.reshape(x["indices"], (-1,)), "int32")

    def remember_outputs(
        self, x: Tensor | Mapping[str, Tensor] | None, y_pred: Tensor, training: bool
    ) -> Tensor:
        """Stores the batch's training-stage outputs (the original's `feed_batch_output`)."""
        indices = self.batch_indices(x)
        if training:
            self.quantizer.store_outputs(indices, y_pred)
        return indices

    def cq_weight(self) -> Tensor | float:
        """λ_t: 0 before the first code update and `cq_lambda` after (`DQN.train`, `904265c`)."""
        rounds = ops.cast(ops.minimum(self.quantizer.update_rounds, 1), "float32")
        return self.cq_lambda * rounds

    def batch_codes(self, indices: Tensor) -> Tensor:
        """One-hot `(B, M*K)` stored codes of the batch samples."""
        return self.quantizer.one_hot(self.quantizer.gather_codes(indices))

    def label_embeddings_for_icm(self) -> np.ndarray | None:
        """`(L, D)` matrix weighting ICM's cost (DVSQ), or None for the Euclidean cost."""
        return None

    # --- the original's .npy model file -------------------------------------------------
    def load_deephash_weights(self, path: str | os.PathLike[str]) -> DeepHashWeights:
        """As `HashingModel.load_deephash_weights`, plus the codebook `'C'` if the file has it."""
        weights = super().load_deephash_weights(path)
        if weights.codebook is not None:
            self.quantizer.set_codebook(weights.codebook)
        return weights

    def save_deephash_weights(self, path: str | os.PathLike[str]) -> str:
        """conv1..fc8 and the codebook `'C'`, as the quantizers' `save_model` writes them."""
        from keras_hashing.backbones.weights import save_alexnet_npy

        return save_alexnet_npy(
            path, self.get_deephash_weights(), codebook=self.quantizer.get_codebook()
        )

    # --- inference ----------------------------------------------------------------------
    def quantize_outputs(
        self,
        outputs: ArrayLike,
        codebook: ArrayLike | None = None,
        seed: int | None = None,
        verbose: int = 0,
    ) -> np.ndarray:
        """ICM codes `(N, M)` of NumPy outputs against the model's (or a given) codebook.

        Args:
            outputs: `(N, D)` outputs (from `predict`).
            codebook: optional `(M*K, D)` array; default the trained codebook (the original
                evaluates with a random one: `DQN.load_model` never restores `'C'`).
            seed: int or None, seed of ICM's codebook order.
            verbose: int, 1 shows a progress bar.

        Returns:
            int64 array `(N, M)`.
        """
        from keras_hashing.quantization.rounds import icm_codes

        codebook = self.quantizer.get_codebook() if codebook is None else codebook
        return icm_codes(
            np.asarray(outputs, np.float32),
            codebook,
            self.num_codebooks,
            self.num_codewords,
            self.max_iter_update_b,
            self.code_batch_size,
            rng=np.random.default_rng(seed),
            label_embeddings=self.label_embeddings_for_icm(),
            verbose=verbose,
        )

    def encode_quantized(
        self,
        inputs: ArrayLike | Mapping[str, ArrayLike] | Dataset,
        batch_size: int | None = None,
        seed: int | None = None,
        verbose: int = 0,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`(outputs, codes, reconstructions)` of inputs: raw outputs, `(N, M)` codes, `(N, D)`."""
        outputs = self.predict_outputs(inputs, batch_size=batch_size, verbose=verbose)
        if len(outputs) == 0:
            codes = np.zeros((0, self.num_codebooks), dtype=np.int64)
            return outputs, codes, np.zeros((0, self.code_length), dtype=np.float32)
        codes = self.quantize_outputs(outputs, seed=seed, verbose=verbose)
        return outputs, codes, self.quantizer.reconstruct_numpy(codes)


@keras.saving.register_keras_serializable(package="keras_hashing")
class DQN(QuantizationModel):
    """Deep Quantization Network.

    Loss: `mean_ij (2 s_ij - 1 - cos(z_i, z_j))^2 + λ_t mean_i ||z_i - C^T b_i||^2` (thulab/DeepHash
    DeepHash/model/dqn/dqn.py, `DQN.apply_loss_function`), with λ_t = 0 before the first code update
    and `cq_lambda` after. Each code-update round (`keras_hashing.callbacks.CodebookUpdate`) re-fits
    a block-diagonal k-means codebook from scratch and re-encodes with ICM: the original never calls
    its least-squares centre update, so DQN is plain product quantization (`DQN.train`, kept).

    Args:
        backbone: feature extractor (`AlexNet` or `SmallCNN`).
        code_length: int, default 300 (the script's `output_dim`).
        num_train: int, training-set size.
        num_codebooks: int, default 4. num_codewords: int, default 256.
        cq_lambda: float, default 1e-4 (`train_val.sh`).
        max_iter_update_b: int, default 3. code_batch_size: int, default 500.
        with_tanh: bool, default True. preprocessor, num_labels: see `HashingModel`.

    Example:
    >>> from keras_hashing.backbones import SmallCNN
    >>> model = DQN(SmallCNN(), code_length=32, num_train=5000, num_codebooks=4)
    >>> model.compile(optimizer="sgd")

    References:
        Cao, Long, Wang, Zhu, Wen, "Deep Quantization Network for Efficient Image Retrieval",
        AAAI 2016.
    """

    refit_kmeans_every_round = True
    least_squares_update = False

    def __init__(
        self,
        backbone: keras.Model,
        code_length: int = 300,
        num_train: int | None = None,
        num_codebooks: int = 4,
        num_codewords: int = 256,
        cq_lambda: float = 1e-4,
        max_iter_update_b: int = 3,
        code_batch_size: int = 500,
        with_tanh: bool = True,
        preprocessor: keras.layers.Layer | None = None,
        num_labels: int | None = None,
        **kwargs: Any,
    ) -> None:
        require_num_train("DQN", num_train)
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
        self.cosine_tracker = keras.metrics.Mean(name="cos_loss")

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
        cosine = cosine_pairwise_loss(y, y_pred)
        quantization = reconstruction_loss(
            y_pred, self.batch_codes(indices), self.quantizer.codebook
        )
        self.cosine_tracker.update_state(cosine)
        self.quantization_tracker.update_state(quantization)
        return cosine + self.cq_weight() * quantization
