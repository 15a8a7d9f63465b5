"""SmallCNN: the 28x28 grayscale backbone of the Fashion-MNIST runs."""

import keras
import numpy as np
import pytest

from keras_hashing.backbones import SmallCNN


def test_shapes_dropout_and_training_step():
    backbone = SmallCNN()
    assert backbone.output_dim == 256
    x = np.random.RandomState(0).uniform(0, 1, (8, 28, 28, 1)).astype("float32")
    features = keras.ops.convert_to_numpy(backbone(x))
    assert features.shape == (8, 256) and features.min() >= 0
    assert not np.allclose(keras.ops.convert_to_numpy(backbone(x, training=True)), features)
    trainable = SmallCNN(dropout=0.0)
    model = keras.Sequential([trainable, keras.layers.Dense(4)])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    targets = np.sign(np.random.RandomState(1).normal(size=(8, 4))).astype("float32")

    def batch_loss():  # batch-norm batch statistics, as in the training step
        outputs = keras.ops.convert_to_numpy(model(x, training=True))
        return float(np.mean((outputs - targets) ** 2))

    before = batch_loss()
    for _ in range(40):
        model.train_on_batch(x, targets)
    assert batch_loss() < 0.5 * before  # it can fit a tiny batch


def test_get_config_round_trip_and_validation():
    backbone = SmallCNN(
        input_shape=(32, 32, 3), filters=(8, 8, 16), units=64, dropout=0.0, name="s"
    )
    config = backbone.get_config()
    assert config == {
        "name": "s",
        "trainable": True,
        "input_shape": [32, 32, 3],
        "filters": [8, 8, 16],
        "units": 64,
        "dropout": 0.0,
        "weight_decay": 0.0,
    }
    clone = SmallCNN.from_config(config)
    assert clone.get_config() == config and clone.output_dim == 64
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(backbone))
    assert isinstance(restored, SmallCNN)
    x = np.random.RandomState(2).uniform(size=(2, 32, 32, 3)).astype("float32")
    clone.set_weights(backbone.get_weights())
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(clone(x)), keras.ops.convert_to_numpy(backbone(x)), rtol=1e-6
    )
    for kwargs in (
        {"filters": ()},
        {"units": 0},
        {"dropout": 1.0},
        {"weight_decay": -1e-4},
        {"input_shape": (4, 4, 1), "filters": (8, 8, 8)},
    ):
        with pytest.raises(ValueError, match="SmallCNN"):
            SmallCNN(**kwargs)


def test_weight_decay_penalises_every_kernel():
    backbone = SmallCNN(filters=(4, 8), units=16, weight_decay=1e-3)
    assert backbone.get_config()["weight_decay"] == 1e-3
    kernels = [w for w in backbone.trainable_weights if "kernel" in w.path]
    assert len(kernels) == 3  # conv1, conv2, fc
    expected = 1e-3 * sum(float(np.sum(keras.ops.convert_to_numpy(w) ** 2)) for w in kernels)
    backbone(np.zeros((1, 28, 28, 1), "float32"))
    assert len(backbone.losses) == 3
    np.testing.assert_allclose(
        sum(float(keras.ops.convert_to_numpy(v)) for v in backbone.losses), expected, rtol=1e-5
    )
    assert not SmallCNN(filters=(4,), units=8).losses


def test_weight_decay_trains_under_fit():
    # The penalties reach `fit`'s loss on every backend (JAX once refused to stack them).
    from keras_hashing.models import DCH

    keras.utils.set_random_seed(0)
    model = DCH(SmallCNN(filters=(4,), units=8, weight_decay=1e-2), 8, num_labels=3)
    model.compile(optimizer=keras.optimizers.SGD(0.01))
    images = np.random.default_rng(0).random((8, 28, 28, 1)).astype("float32")
    labels = np.eye(3, dtype="float32")[np.arange(8) % 3]
    loss = model.fit(images, labels, batch_size=8, epochs=1, verbose=0).history["loss"][0]
    outputs = model(images, training=False)
    penalty = sum(float(keras.ops.convert_to_numpy(v)) for v in model.losses)
    assert penalty > 0.0 and np.isfinite(loss)
    total = float(keras.ops.convert_to_numpy(model.compute_loss(images, labels, outputs)))
    bare = float(keras.ops.convert_to_numpy(model.hashing_loss(images, labels, outputs)))
    np.testing.assert_allclose(total - bare, penalty, rtol=1e-4)
