"""DRSH model: codes independent of the LSTM, loss parity, fit, save/load, checkpoints (spec §1)."""

import os

import keras
import numpy as np
import pytest

from keras_hashing.losses import drsh_binary_triplet_loss
from keras_hashing.losses import drsh_triplet_loss
from keras_hashing.models import DRSH
from keras_hashing.models.drsh import TRIPLET_KEYS
from keras_hashing.optimizers import DRSHAdam
from tests.harness import run_config_round_trip
from tests.harness import run_model_saving_test

D, S, E, H, K = 12, 4, 5, 8, 8


def triplets(rng, batch):
    return {
        key: rng.normal(size=(batch, D) if key.endswith("features") else (batch, S, E)).astype(
            "float32"
        )
        for key in TRIPLET_KEYS
    }


def model_for(mode="batched", **kwargs):
    return DRSH(K, H, mode=mode, feature_dim=D, attribute_shape=(S, E), **kwargs)


def test_bits_never_depend_on_the_lstm(rng):
    model = model_for()
    x = triplets(rng, 6)
    codes = model.encode(x)
    projection = keras.ops.convert_to_numpy(model.projection(x["features"]))
    np.testing.assert_array_equal(codes, np.where(projection >= 0, 1, -1))
    outputs = model.predict((x["features"], x["attributes"]), verbose=0)
    np.testing.assert_array_equal(np.where(outputs >= 0, 1, -1), codes)  # call's signs agree
    for variable in model.scaling.trainable_weights:  # any LSTM weights, any attributes
        variable.assign(rng.normal(scale=3.0, size=variable.shape).astype("float32"))
    other = dict(x, attributes=rng.normal(size=(6, S, E)).astype("float32"))
    np.testing.assert_array_equal(model.encode(other), codes)
    np.testing.assert_array_equal(model.encode(x["features"]), codes)
    np.testing.assert_array_equal(model.encode_bits(x), (codes > 0).astype(np.uint8))
    scales = keras.ops.convert_to_numpy(model.scales(x))
    np.testing.assert_allclose(
        model.predict(x, verbose=0), scales * projection, rtol=1e-5, atol=1e-6
    )


@pytest.mark.parametrize("mode,batch", [("batched", 3), ("faithful", 1)])
def test_compute_loss_matches_its_parts(mode, batch, rng):
    model = model_for(mode)
    x = triplets(rng, batch)
    codes = [
        keras.ops.convert_to_numpy(model((x[p + "features"], x[p + "attributes"]), training=True))
        for p in ("", "positive_", "negative_")
    ]
    l2 = (
        0.5
        * 1e-4
        * sum(float(np.sum(keras.ops.convert_to_numpy(w) ** 2)) for w in model.trainable_weights)
    )
    triplet = float(np.mean(keras.ops.convert_to_numpy(drsh_triplet_loss(*codes))))
    binary = float(np.mean(keras.ops.convert_to_numpy(drsh_binary_triplet_loss(*codes))))
    weight = 0.1 if mode == "faithful" else 0.0
    got = float(keras.ops.convert_to_numpy(model.compute_loss(x, None, None, training=True)))
    np.testing.assert_allclose(got, triplet + weight * binary + l2, rtol=1e-5)
    # The faithful model has the original's full parameter set, the unused matrices included.
    expected = 20 if mode == "faithful" else 14
    assert len(model.trainable_weights) == expected


@pytest.mark.parametrize("mode,batch", [("batched", 4), ("faithful", 1)])
def test_fit_reduces_loss_and_moves_the_projection(mode, batch, rng):
    model = model_for(mode)
    model.compile(optimizer=DRSHAdam() if mode == "faithful" else keras.optimizers.Adam(1e-2))
    x = triplets(rng, 8)
    x["positive_features"] = x["features"] + 0.1 * x["positive_features"]
    before = keras.ops.convert_to_numpy(model.code_layer.kernel).copy()
    history = model.fit(x, batch_size=batch, epochs=3, shuffle=False, verbose=0)
    assert {"loss", "triplet_loss", "binary_loss", "l2_loss"} <= set(history.history)
    assert not np.allclose(keras.ops.convert_to_numpy(model.code_layer.kernel), before)
    assert np.isfinite(history.history["loss"]).all()
    if mode == "batched":
        assert history.history["triplet_loss"][-1] < history.history["triplet_loss"][0]


def test_faithful_rejects_batches_other_than_one(rng):
    model = model_for("faithful")
    with pytest.raises(ValueError, match="batch size 1"):
        model.compute_loss(triplets(rng, 2), None, None)


def test_training_batch_needs_triplet_keys(rng):
    model = model_for()
    x = triplets(rng, 2)
    with pytest.raises(ValueError, match="negative_features"):
        model.compute_loss({"features": x["features"], "attributes": x["attributes"]}, None, None)


def test_save_load_and_config_round_trip(tmp_path, rng):
    model = model_for("faithful", margin=1.5, l2_decay=2e-4)
    x = triplets(rng, 5)
    loaded = run_model_saving_test(model, x, tmp_path)
    assert isinstance(loaded, DRSH) and loaded.mode == "faithful" and loaded.margin == 1.5
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    run_config_round_trip(model)


def test_lazy_build_from_first_call(rng):
    model = DRSH(K, H)
    x = triplets(rng, 2)
    model((x["features"], x["attributes"]))
    assert model.feature_dim == D and model.attribute_shape == (S, E)
    assert model.get_config()["feature_dim"] == D


def test_original_weights_round_trip(rng):
    model = model_for("faithful")
    params = {
        k: rng.normal(size=v.shape).astype("float32")
        for k, v in model.get_original_weights().items()
    }
    assert {"W_feat", "b_feat", "W_de", "gamma"} <= set(params)
    model.set_original_weights(params)
    for name, value in model.get_original_weights().items():
        np.testing.assert_array_equal(value, params[name])
    with pytest.raises(ValueError, match="W_hid"):
        model.set_original_weights({k: v for k, v in params.items() if k != "W_hid"})
    bad = dict(params, W_feat=np.zeros((D + 1, K), "float32"))
    with pytest.raises(ValueError, match="W_feat"):
        model.set_original_weights(bad)


def test_invalid_arguments():
    with pytest.raises(ValueError, match="mode"):
        DRSH(8, mode="fast")
    with pytest.raises(ValueError, match="attribute_shape"):
        DRSH(8, feature_dim=4)
    with pytest.raises(ValueError, match="divisor"):
        DRSH(8, divisor=0.0)
    with pytest.raises(ValueError, match="steps"):
        DRSH(0)
    with pytest.raises(ValueError, match="features"):
        model_for().encode(np.zeros((2, D + 1), "float32"))


def test_resumes_from_backup(tmp_path, rng):
    model = model_for()
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    x = triplets(rng, 4)
    backup = os.path.join(tmp_path, "backup")

    class Interrupt(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        model.fit(
            x,
            batch_size=2,
            epochs=4,
            verbose=0,
            callbacks=[keras.callbacks.BackupAndRestore(backup), Interrupt()],
        )
    resumed = model_for()
    resumed.compile(optimizer=keras.optimizers.Adam(1e-3))
    history = resumed.fit(
        x, batch_size=2, epochs=4, verbose=0, callbacks=[keras.callbacks.BackupAndRestore(backup)]
    )
    assert len(history.history["loss"]) == 2  # epochs 3 and 4 only
    assert int(keras.ops.convert_to_numpy(resumed.optimizer.iterations)) == 8
