"""Iterative quantization (ITQ): PCA followed by a learnt rotation that reduces sign error."""

from __future__ import annotations

import numpy as np

from keras_hashing import validation
from keras_hashing.baselines.base import LinearHashing
from keras_hashing.baselines.base import top_principal_directions

__all__ = ["ITQ"]


class ITQ(LinearHashing):
    """Iterative quantization of Gong and Lazebnik: `sign((x - mean) V R)`.

    `V` (D, bits) holds the top principal directions (as in `PCAH`). `R` (bits, bits) starts as
    the left singular vectors of a `standard_normal((bits, bits))` draw of
    `numpy.random.default_rng(seed)` and is refined by `n_iter` alternations that minimise the
    quantization loss `||B - V_x R||_F^2` over `B in {-1,+1}` and orthogonal `R`:
    `B = sign(V_x R)`, then `R = S_hat S^T` from the SVD `S Omega S_hat^T = B^T V_x` (the
    orthogonal Procrustes solution). The loss never increases.

    Attributes (after `fit`):
        pca_components_: float64 (D, bits), the principal directions `V`.
        rotation_: float64 (bits, bits), the learnt orthogonal rotation `R`.
        objective_history_: float64 (n_iter + 1,), the loss with `B = sign(V_x R)` at the start
            and after each rotation update.

    Args:
        code_length: int, the number of bits (at most the feature dimension).
        n_iter: int, default 50, rotation updates (the paper's setting).
        seed: int or None, default 0, for the initial random rotation.

    Example:
        >>> x = np.random.default_rng(0).normal(size=(100, 16))
        >>> itq = ITQ(8, n_iter=10).fit(x)
        >>> itq.encode(x[:2]).shape
        (2, 8)

    References:
        Gong and Lazebnik, "Iterative quantization: a Procrustean approach to learning binary
        codes", CVPR 2011.
    """

    name = "itq"

    def __init__(self, code_length: int, n_iter: int = 50, seed: int | None = 0):
        super().__init__(code_length)
        self.n_iter = validation.nonnegative_int("n_iter", n_iter, "ITQ")
        self.seed = None if seed is None else validation.integer("seed", seed, "ITQ")
        self.pca_components_ = None
        self.rotation_ = None
        self.objective_history_ = None

    @staticmethod
    def _sign(values):
        return np.where(values >= 0, 1.0, -1.0)

    def _fit(self, centred):
        bits = self.code_length
        components = top_principal_directions(centred, bits)
        projected = centred @ components
        rng = np.random.default_rng(self.seed)
        rotation, _, _ = np.linalg.svd(rng.standard_normal((bits, bits)))
        rotated = projected @ rotation
        codes = self._sign(rotated)
        history = [float(np.sum((codes - rotated) ** 2))]
        for _ in range(self.n_iter):
            # Procrustes: argmax_R tr(R^T V^T B) over orthogonal R is S_hat S^T.
            left, _, right_t = np.linalg.svd(codes.T @ projected)
            rotation = right_t.T @ left.T
            rotated = projected @ rotation
            codes = self._sign(rotated)
            history.append(float(np.sum((codes - rotated) ** 2)))
        self.pca_components_ = components
        self.rotation_ = rotation
        self.objective_history_ = np.asarray(history)
        return components @ rotation

    def get_config(self):
        return {"code_length": self.code_length, "n_iter": self.n_iter, "seed": self.seed}

    def _extra_state(self):
        return {
            "pca_components": self.pca_components_,
            "rotation": self.rotation_,
            "objective_history": self.objective_history_,
        }

    def _set_extra_state(self, state):
        self.pca_components_ = state.get("pca_components")
        self.rotation_ = state.get("rotation")
        self.objective_history_ = state.get("objective_history")
