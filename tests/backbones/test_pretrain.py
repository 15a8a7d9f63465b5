"""Classification pretraining of a backbone (the stand-in for ImageNet weights)."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_hashing.backbones import SmallCNN
from keras_hashing.backbones import pretrain_classifier
from keras_hashing.layers import RandomFlipCrop


def _two_class_batches(n=64, batch=16):
    # Class 0 is dark, class 1 bright: a linear head on any sane backbone separates them.
    rng = np.random.default_rng(0)
    labels = np.arange(n) % 2
    images = rng.random((n, 12, 12, 1)).astype("float32") * 0.2 + labels[:, None, None, None] * 0.8
    one_hot = np.eye(2, dtype="float32")[labels]
    return tf.data.Dataset.from_tensor_slices((images, one_hot)).batch(batch), images, labels


def test_pretraining_updates_the_backbone_and_learns_the_classes():
    keras.utils.set_random_seed(0)
    train, images, labels = _two_class_batches()
    backbone = SmallCNN(input_shape=(12, 12, 1), filters=(4,), units=8, dropout=0.0)
    before = [w.copy() for w in backbone.get_weights()]
    history = pretrain_classifier(
        backbone,
        train,
        2,
        steps=38,
        steps_per_epoch=4,
        learning_rate=0.05,
        preprocessor=RandomFlipCrop(padding=1, seed=0),
    )
    # 38 steps exactly: nine whole epochs of 4, then a tenth stopped after 2.
    assert len(history.history["accuracy"]) == 10
    assert int(keras.ops.convert_to_numpy(history.model.optimizer.iterations)) == 38
    assert history.history["accuracy"][-2] > 0.9
    conv_before, conv_after = before[0], backbone.get_layer("conv1").kernel.numpy()
    assert not np.allclose(conv_before, conv_after)
    # The head is dropped: the backbone still maps images to its own features.
    assert keras.ops.convert_to_numpy(backbone(images[:3])).shape == (3, 8)


def test_pretrained_weights_reach_the_preset(tmp_path):
    from keras_hashing.models import DHN
    from keras_hashing.models.presets import fashion_mnist_backbone
    from keras_hashing.models.presets import fashion_mnist_model

    source = fashion_mnist_backbone(filters=(4,), units=8)
    path = str(tmp_path / "small.weights.h5")
    source.save_weights(path)
    model = fashion_mnist_model(
        DHN, 8, backbone={"filters": (4,), "units": 8}, backbone_weights=path
    )
    for a, b in zip(source.get_weights(), model.backbone.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"steps": 0}, "steps"),
        ({"num_labels": 1}, "num_labels"),
        ({"preprocessor": RandomFlipCrop(padding=1, inference_views=10)}, "one view"),
    ],
)
def test_bad_arguments_are_rejected(kwargs, message):
    train, _, _ = _two_class_batches()
    backbone = SmallCNN(input_shape=(12, 12, 1), filters=(4,), units=8)
    arguments = {"num_labels": 2, "steps": 4, **kwargs}
    with pytest.raises(ValueError, match=message):
        pretrain_classifier(backbone, train, **arguments)
