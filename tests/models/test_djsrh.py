"""DJSRH model: loss against a NumPy oracle (spec §4.2), slope schedule, optimiser, save/load."""

import math

import keras
import numpy as np
import pytest
from keras import ops

from keras_hashing.callbacks import DJSRHSlopeSchedule
from keras_hashing.models import DJSRH
from tests.harness import run_config_round_trip
from tests.harness import run_cross_modal_saving_test

N, IMAGE_DIM, TEXT_DIM, BITS = 16, 10, 7, 8


def backbone(name="image_mlp"):
    return keras.Sequential(
        [
            keras.Input((IMAGE_DIM,)),
            keras.layers.Dense(12, activation="relu", name="fc6"),
            keras.layers.Dense(12, activation="relu", name="fc7"),
        ],
        name=name,
    )


def tiny_data(seed=0):
    rng = np.random.default_rng(seed)
    images = rng.random((N, IMAGE_DIM)).astype("float32")
    texts = (rng.random((N, TEXT_DIM)) < 0.5).astype("float32")
    return {"image": images, "text": texts}


def numpy_loss(model, inputs, beta, eta, mu, lambda1, lambda2, weight_decay):
    def unit(x):
        return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)

    fi, ft = unit(inputs["image"].astype("float64")), unit(inputs["text"].astype("float64"))
    joint = beta * (2 * fi @ fi.T - 1) + (1 - beta) * (2 * ft @ ft.T - 1)
    target = mu * ((1 - eta) * joint + eta * joint @ joint / len(joint))
    outputs = model(inputs, training=False)
    bi = unit(ops.convert_to_numpy(outputs["image"]).astype("float64"))
    bt = unit(ops.convert_to_numpy(outputs["text"]).astype("float64"))
    loss = (
        lambda1 * np.mean((bi @ bi.T - target) ** 2)
        + np.mean((bi @ bt.T - target) ** 2)
        + lambda2 * np.mean((bt @ bt.T - target) ** 2)
    )
    decay = (
        0.5
        * weight_decay
        * sum(
            np.sum(ops.convert_to_numpy(v).astype("float64") ** 2)
            for v in model.trainable_variables
        )
    )
    return loss, decay


def test_compute_loss_matches_the_numpy_oracle_with_raw_image_features():
    inputs = tiny_data()
    model = DJSRH(
        backbone(),
        TEXT_DIM,
        code_length=BITS,
        beta=0.6,
        lambda1=0.3,
        lambda2=0.2,
        text_hidden_dim=16,
        seed=1,
    )
    loss, decay = numpy_loss(model, inputs, 0.6, 0.4, 1.5, 0.3, 0.2, 5e-4)
    y_pred = model(inputs, training=False)
    found = float(model.compute_loss(x=inputs, y_pred=y_pred, training=True))
    np.testing.assert_allclose(found, loss + decay, rtol=1e-5)
    np.testing.assert_allclose(
        float(model.compute_loss(x=inputs, y_pred=y_pred, training=False)), loss, rtol=1e-5
    )


def test_frozen_feature_copy_is_separate_and_never_trained():
    inputs = tiny_data()
    features = backbone("feature_mlp")
    model = DJSRH(
        backbone(),
        TEXT_DIM,
        code_length=BITS,
        feature_backbone=features,
        text_hidden_dim=16,
        seed=2,
    )
    assert not features.trainable and not any(
        "feature_mlp" in v.path for v in model.trainable_variables
    )
    before = [ops.convert_to_numpy(v).copy() for v in features.weights]
    model.compile(optimizer=model.make_optimizer(0.01, 0.1))
    model.fit(inputs, batch_size=8, epochs=2, verbose=0)
    for a, b in zip(before, features.weights):
        np.testing.assert_array_equal(a, ops.convert_to_numpy(b))
    np.testing.assert_allclose(
        ops.convert_to_numpy(model.affinity_features(inputs["image"])),
        ops.convert_to_numpy(features(inputs["image"])),
        rtol=1e-6,
    )
    with pytest.raises(ValueError, match="separate copy"):
        same = backbone()
        DJSRH(same, TEXT_DIM, feature_backbone=same)


def test_fit_with_the_slope_schedule_and_two_learning_rates():
    inputs = tiny_data()
    model = DJSRH(backbone(), TEXT_DIM, code_length=BITS, text_hidden_dim=16, seed=3)
    optimizer = model.make_optimizer(0.001, 0.01)
    model.compile(optimizer=optimizer)
    history = model.fit(
        inputs, batch_size=8, epochs=3, verbose=0, callbacks=[DJSRHSlopeSchedule()]
    ).history
    assert set(history) >= {"loss", "loss1", "loss2", "loss3", "reconstruction_loss"}
    assert all(np.isfinite(history["loss"]))
    assert float(model.slope.numpy()) == pytest.approx(math.sqrt(3.0))
    text = [v for v in model.trainable_variables if v.path.startswith("djsrh_text")]
    image = [v for v in model.trainable_variables if not v.path.startswith("djsrh_text")]
    assert text and image
    assert all(optimizer.multiplier_for(v) == pytest.approx(10.0) for v in text)
    assert all(optimizer.multiplier_for(v) == 1.0 for v in image)
    codes = model.encode_image(inputs["image"])
    hidden = ops.convert_to_numpy(model.image_hidden(inputs["image"]))
    np.testing.assert_array_equal(
        codes, np.where(hidden >= 0, 1, -1)
    )  # the slope does not change signs
    assert model.encode_text(inputs["text"]).dtype == np.int8
    batches = [inputs["text"][:8], inputs["text"][8:]]
    np.testing.assert_array_equal(model.encode_text(batches), model.encode_text(inputs["text"]))


def test_trainable_image_layers_freeze_the_rest():
    model = DJSRH(
        backbone(), TEXT_DIM, code_length=BITS, trainable_image_layers=["fc7"], text_hidden_dim=16
    )
    paths = [v.path for v in model.trainable_variables]
    assert any("fc7" in p for p in paths) and not any("fc6" in p for p in paths)
    assert any("djsrh_image_hash" in p for p in paths)


def test_save_load_and_config_round_trip(tmp_path):
    inputs = tiny_data()
    model = DJSRH(
        backbone(),
        TEXT_DIM,
        code_length=BITS,
        feature_backbone=backbone("feature_mlp"),
        beta=0.3,
        lambda1=0.3,
        lambda2=0.3,
        text_hidden_dim=16,
        affinity_normalizer=32,
        seed=4,
    )
    model.compile(optimizer=model.make_optimizer(0.01, 0.01))
    model.fit(inputs, batch_size=8, epochs=1, verbose=0, callbacks=[DJSRHSlopeSchedule()])
    restored = run_cross_modal_saving_test(model, inputs["image"], inputs["text"], tmp_path)
    assert isinstance(restored, DJSRH)
    clone = run_config_round_trip(model)
    for name in (
        "text_dim",
        "code_length",
        "beta",
        "eta",
        "mu",
        "lambda1",
        "lambda2",
        "weight_decay",
        "text_hidden_dim",
        "affinity_normalizer",
        "seed",
    ):
        assert getattr(clone, name) == getattr(model, name), name
    assert clone.feature_backbone.name == "feature_mlp" and not clone.feature_backbone.trainable


def test_validation_errors():
    with pytest.raises(ValueError, match="beta"):
        DJSRH(backbone(), TEXT_DIM, beta=1.5)
    with pytest.raises(ValueError, match="text_dim"):
        DJSRH(backbone(), 0)
    model = DJSRH(backbone(), TEXT_DIM, code_length=BITS, text_hidden_dim=16)
    model.compile(optimizer=model.make_optimizer())
    inputs = tiny_data()
    with pytest.raises(ValueError, match="text_dim"):
        model.compute_loss(
            x={"image": inputs["image"], "text": np.ones((N, TEXT_DIM + 1), "float32")},
            y_pred=model(inputs),
        )
    with pytest.raises(ValueError, match="'image'"):
        model(np.ones((2, IMAGE_DIM), "float32"))
