"""AlexNet (CaffeNet order) against thulab/DeepHash's golden outputs (spec deephash.md §12.6)."""

import keras
import numpy as np
import pytest

from keras_hashing.backbones import AlexNet
from keras_hashing.backbones import GroupedConv2D
from keras_hashing.backbones import load_alexnet_npy
from keras_hashing.backbones import save_alexnet_npy
from keras_hashing.backbones.weights import ALEXNET_LAYERS
from keras_hashing.backbones.weights import ALEXNET_SHAPES
from keras_hashing.layers.caffe_crop import CaffeCrop

# §12.6, evaluation-stage (10-crop mean) outputs for D = 8.
GOLDEN_LINEAR = np.array(
    [
        [1.244415, -4.696973, -4.963347, -0.573063, -0.777652, 0.051631, -0.213331, 0.388902],
        [0.789922, -4.662114, -4.890955, -0.678471, -0.312271, 0.405878, -0.601266, 0.066177],
    ]
)
GOLDEN_TANH = np.array(
    [
        [0.825490, -0.999750, -0.999834, -0.459402, -0.582626, 0.050640, -0.180325, 0.265543],
        [0.602971, -0.999674, -0.999835, -0.461539, -0.238713, 0.332669, -0.471999, 0.044303],
    ]
)


def fixture_weights():
    """§12.6 weights: He-scaled normals for conv1..fc7 (W then b), fc8 = N(0, 0.001^2), b = 0."""
    rs = np.random.RandomState(2024)
    layers = {}
    for name in ALEXNET_LAYERS:
        shape, (out,) = ALEXNET_SHAPES[name]
        weight = (rs.standard_normal(shape) * np.sqrt(2.0 / np.prod(shape[:-1]))).astype("float32")
        bias = (rs.standard_normal(out) * 0.01).astype("float32")
        layers[name] = [weight, bias]
    layers["fc8"] = [
        (rs.standard_normal((4096, 8)) * 0.001).astype("float32"),
        np.zeros(8, "float32"),
    ]
    return layers


def fixture_images():
    """§12.6 images: RandomState(7) uint8, every 8th pixel repeated 8x8 back to 256x256 (BGR)."""
    images = np.random.RandomState(7).randint(0, 256, (2, 256, 256, 3)).astype("uint8")
    return np.repeat(np.repeat(images[:, ::8, ::8, :], 8, axis=1), 8, axis=2)


@pytest.fixture(scope="module")
def weight_file(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("alexnet") / "fixture.npy")
    save_alexnet_npy(path, fixture_weights())
    return path


def evaluation_outputs(backbone, fc8, images, with_tanh):
    """The original's evaluation stage: 10 crops, fc8 (+ tanh), mean over the crops (§3.4)."""
    crop = CaffeCrop()
    head = keras.layers.Dense(8)
    head.build((None, 4096))
    head.set_weights(fc8)
    outputs = head(backbone(crop(images, training=False), training=False))
    if with_tanh:
        outputs = keras.ops.tanh(outputs)
    outputs = keras.ops.reshape(outputs, (crop.num_views, -1, 8))
    return keras.ops.convert_to_numpy(keras.ops.mean(outputs, axis=0))


def test_section_12_6_golden_outputs(weight_file):
    loaded = load_alexnet_npy(weight_file)
    backbone = AlexNet(weights=weight_file)
    images = fixture_images()
    # rtol 1e-5 as everywhere; atol 1e-5 because near-zero outputs (0.051631) carry the absolute
    # float32 error of 9216-wide sums: 2e-6 under JAX (the spec's figure), 5e-6 with TF's oneDNN
    # convolutions, plus the 5e-7 rounding of the printed 6-decimal goldens.
    np.testing.assert_allclose(
        evaluation_outputs(backbone, loaded.fc8, images, False), GOLDEN_LINEAR, rtol=1e-5, atol=1e-5
    )
    np.testing.assert_allclose(
        evaluation_outputs(backbone, loaded.fc8, images, True), GOLDEN_TANH, rtol=1e-5, atol=1e-5
    )


@pytest.mark.slow  # two full AlexNets and the grouped path, which TF XLA-compiles per call
def test_split_grouped_conv_matches_groups_and_loads_the_same_file(weight_file):
    images = fixture_images()
    crops = CaffeCrop()(images, training=False)[:2]
    grouped = AlexNet(weights=weight_file, grouped_conv="groups")
    split = AlexNet(weights=weight_file, grouped_conv="split")
    a = keras.ops.convert_to_numpy(grouped(crops))
    b = keras.ops.convert_to_numpy(split(crops))
    # Different convolution kernels (XLA vs oneDNN under TF) round differently; 1e-5 of the scale.
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5 * np.abs(b).max())
    assert (
        grouped.get_layer("conv2").kernel.shape
        == split.get_layer("conv2").kernel.shape
        == (5, 5, 48, 256)
    )


def test_layers_shapes_dropout_and_get_config():
    backbone = AlexNet(name="net")
    assert backbone.output_dim == 4096
    assert backbone.weight_names() == list(ALEXNET_LAYERS)
    assert backbone.expected_weight_shapes() == ALEXNET_SHAPES
    x = np.random.RandomState(0).normal(0, 30, (1, 227, 227, 3)).astype("float32")
    inference = keras.ops.convert_to_numpy(backbone(x, training=False))
    np.testing.assert_array_equal(inference, keras.ops.convert_to_numpy(backbone(x)))
    training = keras.ops.convert_to_numpy(backbone(x, training=True))
    assert not np.allclose(training, inference)
    assert np.mean(training[inference > 0] == 0) > 0.3  # about half the active units dropped

    config = backbone.get_config()
    assert config == {
        "name": "net",
        "trainable": True,
        "include_dropout": True,
        "grouped_conv": backbone.grouped_conv,
    }
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(backbone))
    assert isinstance(restored, AlexNet) and restored.name == "net"

    no_dropout = AlexNet.from_config({**config, "include_dropout": False})
    no_dropout.set_weights(backbone.get_weights())
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(no_dropout(x, training=True)), inference, rtol=1e-5, atol=1e-5
    )
    assert no_dropout.get_config() == {**config, "include_dropout": False}


def test_invalid_grouped_conv_raises():
    with pytest.raises(ValueError, match="grouped_conv"):
        AlexNet(grouped_conv="depthwise")


def test_grouped_conv2d_layer_round_trip_and_split_semantics():
    layer = GroupedConv2D(6, 3, groups=3, padding="same", implementation="split", name="g")
    x = np.random.RandomState(1).normal(size=(1, 5, 5, 6)).astype("float32")
    out = keras.ops.convert_to_numpy(layer(x))
    kernel, bias = (keras.ops.convert_to_numpy(w) for w in layer.weights)
    # group g sees input channels 2g..2g+1 and owns output channels 2g..2g+1
    for g in range(3):
        single = keras.layers.Conv2D(2, 3, padding="same")
        single.build((1, 5, 5, 2))
        single.set_weights([kernel[..., 2 * g : 2 * g + 2], bias[2 * g : 2 * g + 2]])
        expected = keras.ops.convert_to_numpy(single(x[..., 2 * g : 2 * g + 2]))
        np.testing.assert_allclose(out[..., 2 * g : 2 * g + 2], expected, rtol=1e-5, atol=1e-5)
    clone = GroupedConv2D.from_config(layer.get_config())
    assert clone.implementation == "split" and clone.groups == 3
    with pytest.raises(ValueError, match="implementation"):
        GroupedConv2D(4, 3, groups=2, implementation="loop")
