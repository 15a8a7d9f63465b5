"""DADH model: the alternating step, the B-step (spec §2.3), decay, save/load and resumption."""

import os

import keras
import numpy as np
import pytest
from keras import ops

from keras_hashing.callbacks import DADHCodeUpdate
from keras_hashing.callbacks import DADHLearningRateDecay
from keras_hashing.callbacks import dadh_code_update
from keras_hashing.layers import TorchDense
from keras_hashing.models import DADH
from tests.harness import run_config_round_trip
from tests.harness import run_cross_modal_saving_test

N, IMAGE_DIM, TEXT_DIM, LABELS, BITS = 24, 10, 7, 3, 8


def tiny_data(seed=0):
    rng = np.random.default_rng(seed)
    classes = rng.integers(0, LABELS, N)
    labels = np.eye(LABELS, dtype="float32")[classes]
    images = rng.normal(size=(N, IMAGE_DIM)).astype("float32") + classes[:, None]
    texts = rng.normal(size=(N, TEXT_DIM)).astype("float32") - classes[:, None]
    return {"image": images, "text": texts, "index": np.arange(N)}, labels


def tiny_model(**kwargs):
    options = dict(
        image_dim=IMAGE_DIM,
        text_dim=TEXT_DIM,
        num_labels=LABELS,
        num_train=N,
        code_length=BITS,
        hidden_dim=32,
        learning_rate=1e-3,
        seed=3,
    )
    options.update(kwargs)
    model = DADH(**options)
    model.compile()
    return model


def test_fit_runs_the_alternating_step_and_encodes_signs():
    inputs, labels = tiny_data()
    model = tiny_model()
    before = [ops.convert_to_numpy(v).copy() for v in model.feature_discriminator.weights]
    history = model.fit(
        inputs, labels, batch_size=8, epochs=2, verbose=0, callbacks=[DADHCodeUpdate(labels)]
    ).history
    assert set(history) >= {
        "loss",
        "triplet_loss",
        "quantization_loss",
        "adversarial_loss",
        "feature_discriminator_loss",
        "hash_discriminator_loss",
    }
    assert all(np.isfinite(v).all() for v in history.values())
    assert int(model.optimizer.iterations.numpy()) == 6
    for group in ("generator", "feature_discriminator", "hash_discriminator"):
        assert float(model._adam_slots[group][0].numpy()) == 6.0  # one Adam step per batch each
    after = [ops.convert_to_numpy(v) for v in model.feature_discriminator.weights]
    assert any(not np.allclose(a, b) for a, b in zip(before, after))
    # Every training item's latest outputs are in the buffers (eval outputs differ: BN).
    assert np.all(np.abs(model.image_buffer.numpy()).sum(1) > 0)
    codes = model.encode_image(inputs["image"])
    assert codes.dtype == np.int8 and codes.shape == (N, BITS) and set(np.unique(codes)) <= {-1, 1}
    assert model.encode_text(inputs["text"]).shape == (N, BITS)


def test_buffers_hold_the_training_mode_outputs_of_the_batch():
    inputs, labels = tiny_data()
    model = tiny_model()
    data = ({k: v[:8] for k, v in inputs.items()}, labels[:8])
    trainable = [v.value for v in model.trainable_variables]
    non_trainable = [v.value for v in model.non_trainable_variables]
    expected = ops.convert_to_numpy(
        ops.tanh(model.image_hash(model.image_module(inputs["image"][:8], training=True)))
    )
    _, new_state, _ = model._alternating_update(trainable, non_trainable, data)
    position = [i for i, v in enumerate(model.non_trainable_variables) if v is model.image_buffer][
        0
    ]
    buffer = ops.convert_to_numpy(new_state[position])
    np.testing.assert_allclose(buffer[:8], expected, rtol=1e-5, atol=1e-6)
    assert not np.any(buffer[8:])


def test_b_step_matches_the_closed_form():
    rng = np.random.default_rng(1)
    labels = (rng.random((12, 4)) < 0.4).astype("float32")
    codes = np.sign(rng.normal(size=(12, 5))).astype("float32")
    h_i, h_t = rng.uniform(-1, 1, (2, 12, 5)).astype("float32")
    lamb, mu = 1.0, 0.3
    projection = np.linalg.inv(labels.T @ labels + lamb * np.eye(4)) @ labels.T @ codes
    expected = np.sign(labels @ projection + 0.5 * mu * (h_i + h_t))
    np.testing.assert_array_equal(dadh_code_update(labels, codes, h_i, h_t, lamb, mu), expected)
    # With the default mu the outputs only break ties: equal label rows get equal codes wherever
    # the ridge prediction is not (near) zero.
    labels[3] = labels[7] = np.array([1, 0, 1, 0], "float32")
    new = dadh_code_update(labels, codes, h_i, h_t, 1.0, 1e-5)
    ridge = labels @ np.linalg.solve(labels.T @ labels + np.eye(4), labels.T @ codes)
    clear = np.abs(ridge[3]) > 1e-3
    assert clear.any()
    np.testing.assert_array_equal(new[3][clear], new[7][clear])


def test_code_update_callback_writes_the_model_codes():
    inputs, labels = tiny_data()
    model = tiny_model()
    model.fit(inputs, labels, batch_size=8, epochs=1, verbose=0)
    expected = dadh_code_update(
        labels,
        model.codes.numpy(),
        model.image_buffer.numpy(),
        model.text_buffer.numpy(),
        model.lamb,
        model.mu,
    )
    callback = DADHCodeUpdate(labels)
    callback.set_model(model)
    callback.on_epoch_end(0)
    np.testing.assert_array_equal(model.codes.numpy(), expected)
    with pytest.raises(ValueError, match="train_labels"):
        bad = DADHCodeUpdate(labels[:5])
        bad.set_model(model)
        bad.on_epoch_end(0)
    clone = DADHCodeUpdate(**callback.get_config())
    np.testing.assert_array_equal(clone.train_labels, callback.train_labels)


def test_learning_rate_decays_after_epoch_zero_as_the_original():
    model = tiny_model(learning_rate=5e-5)
    decay = DADHLearningRateDecay()
    decay.set_model(model)
    rates = []
    for epoch in range(202):
        decay.on_epoch_end(epoch, {})
        rates.append(float(model.generator_learning_rate.numpy()))
    np.testing.assert_allclose(
        [rates[0], rates[99], rates[100], rates[200]], [4e-5, 4e-5, 3.2e-5, 2.56e-5], rtol=1e-5
    )
    fixed = DADHLearningRateDecay(**{**decay.get_config(), "at_epoch_zero": False})
    model.generator_learning_rate.assign(5e-5)
    fixed.set_model(model)
    fixed.on_epoch_end(0, {})
    assert float(model.generator_learning_rate.numpy()) == pytest.approx(5e-5)
    fixed.on_epoch_end(99, {})
    assert float(model.generator_learning_rate.numpy()) == pytest.approx(4e-5)


def test_faithful_constants_and_ndcg_rule():
    model = tiny_model(beta=1.0, gamma=2.0)
    assert model.effective_beta == pytest.approx(1.1) and model.kappa == pytest.approx(2.1)
    assert model.uses_ndcg_weights
    assert not tiny_model(alpha=5.0).uses_ndcg_weights
    clean = tiny_model(faithful_constants=False, alpha=5.0, ndcg_weights=True)
    assert clean.effective_beta == 1.0 and clean.kappa == 1.0 and clean.uses_ndcg_weights


def test_save_and_load_give_identical_codes_and_state(tmp_path):
    inputs, labels = tiny_data()
    model = tiny_model(dropout=True)
    model.fit(inputs, labels, batch_size=8, epochs=1, verbose=0, callbacks=[DADHCodeUpdate(labels)])
    restored = run_cross_modal_saving_test(model, inputs["image"], inputs["text"], tmp_path)
    assert isinstance(restored, DADH) and restored.dropout
    np.testing.assert_array_equal(restored.codes.numpy(), model.codes.numpy())
    np.testing.assert_array_equal(
        restored._adam_slots["generator"][1][0].numpy(),
        model._adam_slots["generator"][1][0].numpy(),
    )


def test_training_resumes_exactly_from_a_saved_model(tmp_path):
    inputs, labels = tiny_data()
    straight = tiny_model()
    straight.fit(inputs, labels, batch_size=8, epochs=2, verbose=0, shuffle=False)
    first = tiny_model()
    first.fit(inputs, labels, batch_size=8, epochs=1, verbose=0, shuffle=False)
    path = os.path.join(tmp_path, "half.keras")
    first.save(path)
    resumed = keras.models.load_model(path)
    resumed.compile()
    resumed.fit(inputs, labels, batch_size=8, epochs=1, verbose=0, shuffle=False)
    # The biases right before a batch norm get no gradient but weight decay and round-off, which
    # Adam rescales to full steps: they (and their slots) are noise in PyTorch as here.
    pairs = [
        (a, b)
        for a, b in zip(
            straight.trainable_weights + [straight.codes, straight.image_buffer],
            resumed.trainable_weights + [resumed.codes, resumed.image_buffer],
        )
        if "linear_" not in a.path or not a.path.endswith("bias")
    ]
    assert len(pairs) > 20
    mismatched = [
        a.path
        for a, b in pairs
        if not np.allclose(ops.convert_to_numpy(a), ops.convert_to_numpy(b), rtol=1e-3, atol=1e-4)
    ]
    assert mismatched == [], mismatched


def test_get_config_round_trips():
    model = tiny_model(
        dropout=True,
        alpha=7.0,
        margin=0.3,
        ndcg_weights=False,
        second_text_pass=False,
        faithful_constants=False,
    )
    clone = run_config_round_trip(model)
    for name in (
        "image_dim",
        "text_dim",
        "num_labels",
        "num_train",
        "code_length",
        "hidden_dim",
        "dropout",
        "alpha",
        "margin",
        "ndcg_weights",
        "second_text_pass",
        "faithful_constants",
        "learning_rate",
        "seed",
    ):
        assert getattr(clone, name) == getattr(model, name), name


def test_torch_dense_initialisation_range():
    layer = TorchDense(300, seed=0)
    layer.build((None, 100))
    for weight in (layer.kernel, layer.bias):
        values = ops.convert_to_numpy(weight)
        assert np.abs(values).max() <= 0.1 and np.abs(values).max() > 0.09


def test_validation_errors():
    with pytest.raises(ValueError, match="code_length"):
        DADH(code_length=0)
    with pytest.raises(ValueError, match="hidden_dim"):
        DADH(hidden_dim=30)
    with pytest.raises(ValueError, match="ndcg_weights"):
        DADH(ndcg_weights="yes", hidden_dim=32, image_dim=4, text_dim=4, num_train=4)
    model = tiny_model()
    with pytest.raises(ValueError, match="own PyTorch-style Adam"):
        model.compile(optimizer="adam")
    inputs, labels = tiny_data()
    with pytest.raises(ValueError, match="num_labels"):
        model.fit(inputs, labels[:, :2], batch_size=8, epochs=1, verbose=0)
    model = tiny_model()  # under JAX a step that raised leaves the variables detached
    with pytest.raises(ValueError, match="index"):
        model.fit(
            {"image": inputs["image"], "text": inputs["text"]},
            labels,
            batch_size=8,
            epochs=1,
            verbose=0,
        )


def test_batch_norm_running_variance_is_pytorch_unbiased():
    # Zjut-MultimediaPlus/DADH uses nn.BatchNorm1d, whose running variance takes the unbiased
    # batch variance: the eval outputs then match PyTorch's (0.8% off at batch 128 before).
    model = tiny_model()
    module = model.image_module
    x = np.random.default_rng(0).normal(size=(16, model.image_dim)).astype("float32")
    linear = keras.ops.convert_to_numpy(module.get_layer("linear_0")(x))
    module(x, training=True)
    batch_norm = module.get_layer("batch_norm_0")
    expected = 0.9 * 1.0 + 0.1 * linear.var(axis=0, ddof=1)
    np.testing.assert_allclose(batch_norm.moving_variance.numpy(), expected, rtol=1e-5)


def test_encode_before_any_training():
    # Under JAX the seed-state copy once shared its buffer with the seed generator, and the
    # first `predict` failed ("Attempt to donate the same buffer twice").
    model = tiny_model()
    codes = model.encode_image(np.zeros((2, IMAGE_DIM), "float32"))
    assert codes.shape == (2, BITS)
