"""DRSH's recurrent scaling: a peephole LSTM attending over attribute embeddings, one step per bit.

frankenstan/DRSH (`train.py::init_params`, `train.py::lstm_simple`, `test.py`). The layer maps a
visual feature `x (B, D)` and an attribute matrix `A (B, S, E)` (the GloVe vectors of the image's
top-S concepts in vocabulary order; S = 10 in the original) to one scale in (0, 1) per bit.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_hashing import validation

MODES = ("faithful", "batched")

# Names of the original's parameters (train.py::init_params) that this layer owns, in that order.
# W_feat/b_feat belong to the DRSH model's code projection; W_att, b_att, W_de and b_de are
# created by the original but never enter its graph (kept in "faithful" mode only).
USED_WEIGHTS = (
    "W_in",
    "W_fea",
    "b_fea",
    "W_hid",
    "b",
    "W_cell",
    "W_output",
    "b_output",
    "W_ctx_1",
    "W_ctx_2",
    "W_ctx_3",
    "b_ctx",
)
CELL_NORM_WEIGHTS = ("gamma", "beta")
UNUSED_WEIGHTS = ("W_att", "b_att", "W_de", "b_de")


def split_inputs(
    inputs: dict[str, Any] | list[Any] | tuple[Any, ...], where: str = "RecurrentScaling"
) -> tuple[Any, Any]:
    """`(features, attributes)` from a `(features, attributes)` pair or a dict with those keys."""
    if isinstance(inputs, dict):
        missing = [key for key in ("features", "attributes") if key not in inputs]
        if missing:
            raise ValueError(
                f"{where}: the input dict needs keys 'features' and 'attributes', "
                f"found keys {sorted(inputs)}."
            )
        return inputs["features"], inputs["attributes"]
    if isinstance(inputs, (list, tuple)) and len(inputs) == 2:
        return inputs[0], inputs[1]
    raise ValueError(
        f"{where}: inputs must be (features, attributes) or a dict with those keys, "
        f"found {type(inputs).__name__}."
    )


@keras.saving.register_keras_serializable(package="keras_hashing")
class RecurrentScaling(keras.layers.Layer):
    """Per-bit scales from a peephole LSTM with slot-specific attention (DRSH).

    For each sample, with `x (D,)` and attribute rows `a_1..a_S (E,)`:

        [c_0 ; h_0] = x W_fea + b_fea                    (first H -> c_0, last H -> h_0)
        u_j = a_j W_ctx_3                                (one scalar per slot)
        for t = 1..steps:
            e   = W_ctx_1 * tanh(u + h W_ctx_2 + b_ctx);  alpha = softmax(e) over the S slots
            z   = sum_j alpha_j a_j
            g   = z W_in + b + h W_hid -> (g_i, g_f, g_c, g_o), H each
            i   = sigmoid(g_i + W_cell[0] * c);  f = sigmoid(g_f + W_cell[1] * c)
            c^  = f * c + i * tanh(g_c);  c = CELL_NORM(c^)
            o   = sigmoid(g_o + W_cell[2] * c);  h = o * tanh(c)
            s_t = sigmoid(h W_output + b_output)

    `CELL_NORM` depends on `mode`:

    * "faithful" (the original): in training, a batch normalisation over the batch axis,
      `gamma * (c^ - m) / (sqrt(mean((c^ - m)^2) + eps) + eps) + beta`, so that with the original
      batch of one the cell is exactly `beta` (and no gradient reaches the input/forget gates or
      the candidate). At inference, `gamma * c^ + beta` (the original's `test.py`, which drops the
      normalisation). The running statistics of the original are updated but never read, so they
      are not kept. The unused parameters `W_att, b_att, W_de, b_de` are created too, so that an
      original `.npz` checkpoint loads whole and the L2 decay sees the same parameter set.
    * "batched" (default; a documented deviation): no normalisation, `c = c^`, identical in
      training and inference, so every LSTM parameter learns; `gamma`, `beta` and the unused
      parameters are not created.

    The loop is unrolled statically over `steps` (the code length) with `keras.ops` only. The
    original reshapes its step-major `(steps, B, 1)` scales straight to `(B, steps)`, which is
    right for B = 1 only; here the scales are transposed properly for any batch.

    Args:
        steps: int, the number of LSTM steps = code length `K`.
        hidden_dim: int, default 512, the LSTM width `H`.
        mode: "batched" (default) or "faithful", see above.
        epsilon: float, default 1e-10, the batch-normalisation epsilon of the original.
        **kwargs: `keras.layers.Layer` arguments.

    Input: `(features, attributes)` or `{"features": ..., "attributes": ...}`: float `(B, D)` and
    `(B, S, E)`. D, S and E are read at build time (4096, 10, 300 in the original).

    Returns:
        float `(B, steps)` scales in (0, 1).

    Example:
    >>> layer = RecurrentScaling(steps=8, hidden_dim=16)
    >>> scales = layer((np.ones((2, 12), "float32"), np.ones((2, 10, 5), "float32")))
    >>> tuple(scales.shape)
    (2, 8)

    References:
        Fu, Bin, Wang, Wei, Chen, "Supervised Hashing with Recurrent Scaling", APWeb-WAIM 2019;
        code: github.com/frankenstan/DRSH.
    """

    def __init__(
        self,
        steps: int,
        hidden_dim: int = 512,
        mode: str = "batched",
        epsilon: float = 1e-10,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.steps = validation.positive_int("steps", steps, "RecurrentScaling")
        self.hidden_dim = validation.positive_int("hidden_dim", hidden_dim, "RecurrentScaling")
        self.mode = validation.one_of("mode", mode, MODES, "RecurrentScaling")
        self.epsilon = validation.nonnegative_number("epsilon", epsilon, "RecurrentScaling")

    def build(self, input_shape):
        feature_shape, attribute_shape = split_inputs(input_shape, self.name)
        feature_shape, attribute_shape = tuple(feature_shape), tuple(attribute_shape)
        if len(feature_shape) != 2 or feature_shape[-1] is None:
            raise ValueError(
                f"RecurrentScaling {self.name!r}: features must be (B, D) with a known D, "
                f"found shape {feature_shape}."
            )
        if len(attribute_shape) != 3 or None in attribute_shape[1:]:
            raise ValueError(
                f"RecurrentScaling {self.name!r}: attributes must be (B, S, E) with known "
                f"S and E, found shape {attribute_shape}."
            )
        self.feature_dim = int(feature_shape[-1])
        self.num_slots, self.attribute_dim = int(attribute_shape[1]), int(attribute_shape[2])
        H, E, S, D = self.hidden_dim, self.attribute_dim, self.num_slots, self.feature_dim
        glorot, zeros = keras.initializers.GlorotUniform(), keras.initializers.Zeros()
        # Shapes as in the original (biases kept 2-D where it has them) so checkpoints map 1:1.
        self.W_in = self.add_weight((E, 4 * H), glorot, name="W_in")
        self.W_fea = self.add_weight((D, 2 * H), glorot, name="W_fea")
        self.b_fea = self.add_weight((1, 2 * H), zeros, name="b_fea")
        # Keras-1 `orthogonal(scale=1.1)`: an orthogonal (H, 4H) matrix (orthonormal rows) x 1.1.
        self.W_hid = self.add_weight(
            (H, 4 * H), keras.initializers.Orthogonal(gain=1.1), name="W_hid"
        )
        self.b = self.add_weight((1, 4 * H), zeros, name="b")  # no forget-gate bias of 1
        self.W_cell = self.add_weight(
            (3, 1, H), keras.initializers.RandomUniform(-0.01, 0.01), name="W_cell"
        )
        self.W_output = self.add_weight((H, 1), glorot, name="W_output")
        self.b_output = self.add_weight((1,), zeros, name="b_output")
        self.W_ctx_1 = self.add_weight((1, S), glorot, name="W_ctx_1")
        self.W_ctx_2 = self.add_weight((H, S), glorot, name="W_ctx_2")
        self.W_ctx_3 = self.add_weight((E, 1), glorot, name="W_ctx_3")
        self.b_ctx = self.add_weight((1, S), zeros, name="b_ctx")
        if self.mode == "faithful":
            self.gamma = self.add_weight((H,), "ones", name="gamma")
            self.beta = self.add_weight((H,), zeros, name="beta")
            self.W_att = self.add_weight((H, E), glorot, name="W_att")
            self.b_att = self.add_weight((1, E), zeros, name="b_att")
            self.W_de = self.add_weight((H, H), glorot, name="W_de")
            self.b_de = self.add_weight((H,), zeros, name="b_de")
        self.built = True

    @property
    def original_weight_names(self) -> tuple[str, ...]:
        """Names of the original's parameters this layer holds (see `original_weights`)."""
        names = USED_WEIGHTS
        if self.mode == "faithful":
            names = names + CELL_NORM_WEIGHTS + UNUSED_WEIGHTS
        return names

    def original_weights(self) -> dict[str, keras.Variable]:
        """`{original name: variable}`, e.g. `{"W_in": ..., "W_hid": ...}`."""
        return {name: getattr(self, name) for name in self.original_weight_names}

    def _cell_norm(self, cell, training):
        if self.mode == "batched":
            return cell
        if not training:  # test.py: the normalisation is dropped, the affine part kept
            return self.gamma * cell + self.beta
        mean = ops.mean(cell, axis=0, keepdims=True)
        centred = cell - mean
        std = ops.sqrt(ops.mean(ops.square(centred) + self.epsilon, axis=0, keepdims=True))
        return self.gamma * centred / (std + self.epsilon) + self.beta

    def call(self, inputs, training=False):
        features, attributes = split_inputs(inputs, self.name)
        features = ops.cast(features, self.compute_dtype)
        attributes = ops.cast(attributes, self.compute_dtype)
        H = self.hidden_dim
        state = ops.matmul(features, self.W_fea) + self.b_fea
        cell, hidden = state[:, :H], state[:, H:]
        slot_scores = ops.squeeze(ops.matmul(attributes, self.W_ctx_3), axis=-1)  # (B, S)
        # z W_in = sum_j alpha_j (a_j W_in): project the S rows once instead of z at every step.
        projected = ops.matmul(attributes, self.W_in)  # (B, S, 4H)
        peephole_i, peephole_f, peephole_o = self.W_cell[0], self.W_cell[1], self.W_cell[2]
        hiddens = []
        for _ in range(self.steps):
            energy = self.W_ctx_1 * ops.tanh(
                slot_scores + ops.matmul(hidden, self.W_ctx_2) + self.b_ctx
            )
            alpha = ops.softmax(energy, axis=-1)
            gates = (
                ops.sum(alpha[:, :, None] * projected, axis=1)
                + self.b
                + ops.matmul(hidden, self.W_hid)
            )
            gate_i, gate_f, gate_c, gate_o = ops.split(gates, 4, axis=-1)
            input_gate = ops.sigmoid(gate_i + peephole_i * cell)
            forget_gate = ops.sigmoid(gate_f + peephole_f * cell)
            cell = self._cell_norm(forget_gate * cell + input_gate * ops.tanh(gate_c), training)
            output_gate = ops.sigmoid(gate_o + peephole_o * cell)
            hidden = output_gate * ops.tanh(cell)
            hiddens.append(hidden)
        hiddens = ops.stack(hiddens, axis=1)  # (B, steps, H), batch-major
        return ops.sigmoid(ops.squeeze(ops.matmul(hiddens, self.W_output), axis=-1) + self.b_output)

    def compute_output_shape(self, input_shape):
        feature_shape, _ = split_inputs(input_shape, self.name)
        return (feature_shape[0], self.steps)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "steps": self.steps,
                "hidden_dim": self.hidden_dim,
                "mode": self.mode,
                "epsilon": self.epsilon,
            }
        )
        return config
