"""`Codebook`: the quantizer state of DQN, DVSQ and DTQ, kept as non-trainable weights.

Everything the NumPy code/codebook updates need and everything a resumed run must get back
lives here, so it is saved with the model (`.keras`, `save_weights`, `BackupAndRestore`):

* `codebook` `(M*K, D)` float32: the stacked codebooks `C`, rows `m*K .. m*K+K-1` being codebook m;
* `codes` `(n, M)` int32: per training sample, the chosen codeword of each codebook, aligned with
  the dataset indices the training pipeline yields (the original's `(n, M*K)` one-hot matrix,
  stored compactly);
* `stored_outputs` `(n, D)` float32: the latest training-stage output of each sample, written by
  the train step, which k-means, ICM and the least-squares update are fitted to (the original's
  `feed_batch_output` store, e.g. DeepHash/model/dqn/util.py);
* `update_rounds` int32 scalar: how many code-update rounds have run (drives DQN/DVSQ's λ warm-up).
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import ops
from numpy.typing import ArrayLike

from keras_hashing import validation
from keras_hashing._types import Tensor


@keras.saving.register_keras_serializable(package="keras_hashing")
class Codebook(keras.layers.Layer):
    """M codebooks of K codewords over D dimensions, plus the per-sample code store.

    Calling the layer on `(B, M)` integer codes returns their reconstructions
    `sum_m C[m*K + k_m]`, shape `(B, D)`.

    Args:
        num_codebooks: int, `M`.
        num_codewords: int, `K`.
        dim: int, `D`, the output dimension being quantized.
        num_samples: int or None, default None. Size `n` of the training set whose codes and
            outputs are stored; None keeps no per-sample store (a codebook used for encoding only).
        seed: int or None. Seed of the uniform `[-1, 1]` placeholder codebook (`DQN.__init__`).
        **kwargs: `keras.layers.Layer` arguments.

    Example:
    >>> layer = Codebook(num_codebooks=2, num_codewords=4, dim=8, num_samples=10)
    >>> tuple(layer(np.zeros((3, 2), "int32")).shape)
    (3, 8)
    """

    def __init__(
        self,
        num_codebooks: int,
        num_codewords: int,
        dim: int,
        num_samples: int | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.num_codebooks = validation.positive_int("num_codebooks", num_codebooks, "Codebook")
        self.num_codewords = validation.positive_int("num_codewords", num_codewords, "Codebook")
        self.dim = validation.positive_int("dim", dim, "Codebook")
        self.num_samples = (
            None
            if num_samples is None
            else validation.positive_int("num_samples", num_samples, "Codebook")
        )
        self.seed = seed
        self.build()

    def build(self, input_shape=None):
        if self.built:
            return
        rows = self.num_codebooks * self.num_codewords
        self.codebook = self.add_weight(
            shape=(rows, self.dim),
            name="codebook",
            trainable=False,
            initializer=keras.initializers.RandomUniform(-1.0, 1.0, seed=self.seed),
        )
        self.update_rounds = self.add_weight(
            shape=(), name="update_rounds", dtype="int32", trainable=False, initializer="zeros"
        )
        if self.num_samples is not None:
            self.codes = self.add_weight(
                shape=(self.num_samples, self.num_codebooks),
                name="codes",
                dtype="int32",
                trainable=False,
                initializer="zeros",
            )
            self.stored_outputs = self.add_weight(
                shape=(self.num_samples, self.dim),
                name="stored_outputs",
                trainable=False,
                initializer="zeros",
            )
        self.built = True

    # --- graph-side helpers (keras.ops; used inside the train step) -------------------------
    def _offsets(self):
        return ops.arange(self.num_codebooks, dtype="int32") * self.num_codewords

    def call(self, codes):
        """Reconstructions `(B, D)` of `(B, M)` integer codes."""
        codes = ops.cast(codes, "int32")
        rows = ops.take(self.codebook, codes + self._offsets()[None, :], axis=0)  # (B, M, D)
        return ops.sum(rows, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.dim)

    def one_hot(self, codes: Tensor) -> Tensor:
        """The original's `(B, M*K)` one-hot-per-codebook matrix of `(B, M)` integer codes."""
        codes = ops.cast(codes, "int32") + self._offsets()[None, :]
        return ops.sum(ops.one_hot(codes, self.num_codebooks * self.num_codewords), axis=1)

    def _require_store(self):
        if self.num_samples is None:
            raise ValueError(
                f"Codebook {self.name!r} was built with num_samples=None and keeps "
                "no per-sample codes; pass num_samples (the training-set size)."
            )

    def gather_codes(self, sample_indices: Tensor) -> Tensor:
        """Stored `(B, M)` codes of the given dataset indices."""
        self._require_store()
        return ops.take(self.codes, ops.cast(sample_indices, "int32"), axis=0)

    def store_outputs(self, sample_indices: Tensor, outputs: Tensor) -> None:
        """Writes a batch of outputs into `stored_outputs` (a duplicate index: one write wins)."""
        self._require_store()
        indices = ops.reshape(ops.cast(sample_indices, "int32"), (-1, 1))
        updated = ops.scatter_update(
            self.stored_outputs, indices, ops.cast(ops.stop_gradient(outputs), "float32")
        )
        self.stored_outputs.assign(updated)

    # --- NumPy side (the code/codebook updates between steps) -------------------------------
    def get_codebook(self) -> np.ndarray:
        return np.asarray(ops.convert_to_numpy(self.codebook), dtype=np.float32)

    def set_codebook(self, codebook: ArrayLike) -> None:
        codebook = np.asarray(codebook, dtype=np.float32)
        expected = (self.num_codebooks * self.num_codewords, self.dim)
        if codebook.shape != expected:
            raise ValueError(
                f"Codebook {self.name!r}: expected a codebook of shape {expected}, "
                f"found {codebook.shape}."
            )
        self.codebook.assign(codebook)

    def get_codes(self) -> np.ndarray:
        self._require_store()
        return np.asarray(ops.convert_to_numpy(self.codes), dtype=np.int64)

    def set_codes(self, codes: ArrayLike) -> None:
        self._require_store()
        codes = np.asarray(codes)
        expected = (self.num_samples, self.num_codebooks)
        if codes.shape != expected:
            raise ValueError(
                f"Codebook {self.name!r}: expected codes of shape {expected} "
                f"(integer indices), found {codes.shape}."
            )
        if codes.size and (codes.min() < 0 or codes.max() >= self.num_codewords):
            raise ValueError(
                f"Codebook {self.name!r}: codes must lie in [0, {self.num_codewords}), "
                f"found range [{codes.min()}, {codes.max()}]."
            )
        self.codes.assign(codes.astype(np.int32))

    def get_stored_outputs(self) -> np.ndarray:
        self._require_store()
        return np.asarray(ops.convert_to_numpy(self.stored_outputs), dtype=np.float32)

    def set_stored_outputs(
        self, outputs: ArrayLike, sample_indices: ArrayLike | None = None
    ) -> None:
        self._require_store()
        outputs = np.asarray(outputs, dtype=np.float32)
        if sample_indices is None:
            if outputs.shape != (self.num_samples, self.dim):
                raise ValueError(
                    f"Codebook {self.name!r}: expected outputs of shape "
                    f"{(self.num_samples, self.dim)}, found {outputs.shape}."
                )
            self.stored_outputs.assign(outputs)
            return
        current = self.get_stored_outputs()
        current[np.asarray(sample_indices)] = outputs
        self.stored_outputs.assign(current)

    def get_rounds(self) -> int:
        return int(ops.convert_to_numpy(self.update_rounds))

    def set_rounds(self, value: int) -> None:
        self.update_rounds.assign(int(value))

    def reconstruct_numpy(self, codes: ArrayLike, codebook: ArrayLike | None = None) -> np.ndarray:
        """NumPy reconstructions of `(N, M)` integer codes (default: the current codebook)."""
        codebook = self.get_codebook() if codebook is None else np.asarray(codebook, np.float32)
        codes = (
            np.asarray(codes, dtype=np.int64) + np.arange(self.num_codebooks) * self.num_codewords
        )
        return codebook[codes].sum(axis=1)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_codebooks": self.num_codebooks,
                "num_codewords": self.num_codewords,
                "dim": self.dim,
                "num_samples": self.num_samples,
                "seed": self.seed,
            }
        )
        return config
