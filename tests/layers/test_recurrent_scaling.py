"""RecurrentScaling against an explicit-loop NumPy oracle of drsh_dadh_dhn_djsrh.md §1.3-1.4."""

import keras
import numpy as np
import pytest

from keras_hashing.layers import RecurrentScaling
from tests.harness import run_layer_test

D, S, E, H, K = 6, 4, 5, 3, 4


def sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def oracle(params, x, A, steps, mode, training, eps=1e-10):
    """Per-sample loops over steps, slots, units (§1.4); BN over the batch in faithful training."""
    B = x.shape[0]
    c = np.zeros((B, H))
    h = np.zeros((B, H))
    for b in range(B):
        init = x[b] @ params["W_fea"] + params["b_fea"][0]
        c[b], h[b] = init[:H], init[H:]
    out = np.zeros((B, steps))
    for t in range(steps):
        c_hat = np.zeros((B, H))
        gates_o = np.zeros((B, H))
        for b in range(B):
            e = np.zeros(S)
            for j in range(S):
                u_j = A[b, j] @ params["W_ctx_3"][:, 0]
                e[j] = params["W_ctx_1"][0, j] * np.tanh(
                    u_j + h[b] @ params["W_ctx_2"][:, j] + params["b_ctx"][0, j]
                )
            alpha = np.exp(e) / np.exp(e).sum()
            z = sum(alpha[j] * A[b, j] for j in range(S))
            g = z @ params["W_in"] + params["b"][0] + h[b] @ params["W_hid"]
            gi, gf, gc, go = g[:H], g[H : 2 * H], g[2 * H : 3 * H], g[3 * H :]
            i = sigmoid(gi + params["W_cell"][0, 0] * c[b])
            f = sigmoid(gf + params["W_cell"][1, 0] * c[b])
            c_hat[b] = f * c[b] + i * np.tanh(gc)
            gates_o[b] = go
        if mode == "batched":
            c = c_hat
        elif not training:
            c = params["gamma"] * c_hat + params["beta"]
        else:
            m = c_hat.mean(axis=0)
            sd = np.sqrt(((c_hat - m) ** 2 + eps).mean(axis=0))
            c = params["gamma"] * (c_hat - m) / (sd + eps) + params["beta"]
        for b in range(B):
            o = sigmoid(gates_o[b] + params["W_cell"][2, 0] * c[b])
            h[b] = o * np.tanh(c[b])
            out[b, t] = sigmoid(h[b] @ params["W_output"][:, 0] + params["b_output"][0])
    return out


def make(mode, rng, randomize=True):
    layer = RecurrentScaling(K, H, mode=mode)
    layer.build(((None, D), (None, S, E)))
    params = {}
    for name, variable in layer.original_weights().items():
        value = (
            rng.normal(scale=0.5, size=variable.shape).astype("float32")
            if randomize
            else keras.ops.convert_to_numpy(variable)
        )
        variable.assign(value)
        params[name] = value.astype(np.float64)
    return layer, params


@pytest.mark.parametrize(
    "mode,training,batch",
    [
        ("batched", True, 3),
        ("batched", False, 2),
        ("faithful", True, 3),
        ("faithful", True, 1),
        ("faithful", False, 3),
    ],
)
def test_matches_numpy_oracle(mode, training, batch, rng):
    layer, params = make(mode, rng)
    x = rng.normal(size=(batch, D)).astype("float32")
    A = rng.normal(size=(batch, S, E)).astype("float32")
    got = keras.ops.convert_to_numpy(layer((x, A), training=training))
    want = oracle(params, x.astype(np.float64), A.astype(np.float64), K, mode, training)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert got.shape == (batch, K) and np.all((got > 0) & (got < 1))


def test_dict_input_and_output_shape(rng):
    layer, _ = make("batched", rng)
    x = rng.normal(size=(2, D)).astype("float32")
    A = rng.normal(size=(2, S, E)).astype("float32")
    a = keras.ops.convert_to_numpy(layer({"features": x, "attributes": A}))
    b = keras.ops.convert_to_numpy(layer((x, A)))
    np.testing.assert_array_equal(a, b)
    assert layer.compute_output_shape(((None, D), (None, S, E))) == (None, K)


def test_faithful_batch_one_cell_is_beta(rng):
    """For a batch of one the normalised cell is beta: i/f/c gate weights do not matter (§1.4)."""
    layer, params = make("faithful", rng)
    x = rng.normal(size=(1, D)).astype("float32")
    A = rng.normal(size=(1, S, E)).astype("float32")
    before = keras.ops.convert_to_numpy(layer((x, A), training=True))
    W_hid = params["W_hid"].copy()
    W_hid[:, : 3 * H] = rng.normal(size=(H, 3 * H))
    layer.W_hid.assign(W_hid.astype("float32"))
    after = keras.ops.convert_to_numpy(layer((x, A), training=True))
    np.testing.assert_allclose(before, after, rtol=1e-6)
    # ...but at inference (no normalisation) they do.
    changed = keras.ops.convert_to_numpy(layer((x, A), training=False))
    layer.W_hid.assign(params["W_hid"].astype("float32"))
    assert not np.allclose(changed, keras.ops.convert_to_numpy(layer((x, A), training=False)))


def test_initialisers_and_weight_sets(rng):
    layer = RecurrentScaling(K, 8, mode="faithful")
    layer.build(((None, D), (None, S, E)))
    w = layer.original_weights()
    assert set(w) == {
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
        "gamma",
        "beta",
        "W_att",
        "b_att",
        "W_de",
        "b_de",
    }
    shapes = {k: tuple(v.shape) for k, v in w.items()}
    assert (
        shapes["W_hid"] == (8, 32) and shapes["W_cell"] == (3, 1, 8) and shapes["b_fea"] == (1, 16)
    )
    assert shapes["W_ctx_1"] == (1, S) and shapes["W_ctx_3"] == (E, 1) and shapes["W_de"] == (8, 8)
    W_hid = keras.ops.convert_to_numpy(w["W_hid"])
    np.testing.assert_allclose(W_hid @ W_hid.T, 1.21 * np.eye(8), atol=1e-5)  # orthogonal, gain 1.1
    cell = keras.ops.convert_to_numpy(w["W_cell"])
    assert np.abs(cell).max() <= 0.01 and np.abs(cell).max() > 0
    limit = np.sqrt(6.0 / (E + 32))
    W_in = keras.ops.convert_to_numpy(w["W_in"])
    assert np.abs(W_in).max() <= limit and np.abs(W_in).max() > 0.5 * limit
    for name in ("b_fea", "b", "b_output", "b_ctx", "beta", "b_att", "b_de"):
        assert not np.any(keras.ops.convert_to_numpy(w[name]))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(w["gamma"]), np.ones(8))
    batched = RecurrentScaling(K, 8)
    batched.build(((None, D), (None, S, E)))
    assert "gamma" not in batched.original_weights() and len(batched.trainable_weights) == 12


@pytest.mark.parametrize("mode", ["batched", "faithful"])
def test_config_round_trip_and_saving(mode, rng):
    x = rng.normal(size=(3, D)).astype("float32")
    A = rng.normal(size=(3, S, E)).astype("float32")
    kwargs = {"steps": 7, "hidden_dim": 9, "mode": mode, "epsilon": 1e-6, "name": "rs"}
    restored = run_layer_test(RecurrentScaling, kwargs, input_data=(x, A))
    assert restored.steps == 7 and restored.mode == mode


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"steps": 0}, "steps"),
        ({"steps": 4, "hidden_dim": -1}, "hidden_dim"),
        ({"steps": 4, "mode": "other"}, "mode"),
        ({"steps": 4, "epsilon": -1.0}, "epsilon"),
    ],
)
def test_invalid_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        RecurrentScaling(**kwargs)


def test_bad_inputs():
    layer = RecurrentScaling(3, 4)
    with pytest.raises(ValueError, match="attributes must be"):
        layer.build(((None, D), (None, E)))
    with pytest.raises(ValueError, match="'features' and 'attributes'"):
        layer({"features": np.zeros((1, D), "float32")})
