"""TorchAlexNet vs a NumPy forward of torchvision's AlexNet on random weights (§3.1, §4.1)."""

import keras
import numpy as np
import pytest

from keras_hashing.backbones import AdaptiveAveragePooling2D
from keras_hashing.backbones import TorchAlexNet
from keras_hashing.backbones import load_torchvision_alexnet_npz
from keras_hashing.backbones import torchvision_alexnet_to_keras
from keras_hashing.backbones import torchvision_preprocess
from tests.backbones.numpy_reference import adaptive_avg_pool_nchw
from tests.backbones.numpy_reference import torchvision_alexnet_fc7

TORCH_SHAPES = {
    "features.0": (64, 3, 11, 11),
    "features.3": (192, 64, 5, 5),
    "features.6": (384, 192, 3, 3),
    "features.8": (256, 384, 3, 3),
    "features.10": (256, 256, 3, 3),
    "classifier.1": (4096, 9216),
    "classifier.4": (4096, 4096),
    "classifier.6": (1000, 4096),
}


@pytest.fixture(scope="module")
def state_npz(tmp_path_factory):
    """A random torchvision AlexNet state dict (He-scaled), saved as the converter writes it."""
    rs = np.random.RandomState(0)
    state = {}
    for key, shape in TORCH_SHAPES.items():
        fan_in = int(np.prod(shape[1:]))
        state[f"module.{key}.weight"] = (rs.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(
            "float32"
        )
        state[f"module.{key}.bias"] = (rs.standard_normal(shape[0]) * 0.1).astype("float32")
    path = tmp_path_factory.mktemp("torch") / "alexnet.npz"
    np.savez(path, **state)
    return str(path), {k[len("module.") :]: v for k, v in state.items()}


@pytest.mark.parametrize(
    "size", [224, 163]
)  # 224: pool5 is 6x6; 163: pool5 4x4, averaged up to 6x6
def test_matches_the_numpy_torch_forward(state_npz, size):
    path, state = state_npz
    images = np.random.RandomState(size).randint(0, 256, (2, size, size, 3))
    x = torchvision_preprocess(images)
    backbone = TorchAlexNet(weights=path, input_shape=(size, size, 3))
    got = keras.ops.convert_to_numpy(backbone(x, training=False))
    want = torchvision_alexnet_fc7(x, state)
    assert got.shape == (2, 4096) and (want > 0).mean() > 0.2
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * np.abs(want).max())


def test_conversion_layouts_and_fc8(state_npz):
    path, state = state_npz
    layers, fc8 = load_torchvision_alexnet_npz(path)
    np.testing.assert_array_equal(
        layers["conv2"][0], state["features.3.weight"].transpose(2, 3, 1, 0)
    )
    np.testing.assert_array_equal(layers["fc7"][0], state["classifier.4.weight"].T)
    # fc6 row (h, w, c) is torch column c*36 + h*6 + w
    h, w, c = 2, 5, 100
    np.testing.assert_array_equal(
        layers["fc6"][0][h * 6 * 256 + w * 256 + c],
        state["classifier.1.weight"][:, c * 36 + h * 6 + w],
    )
    assert fc8[0].shape == (4096, 1000)
    no_fc8 = {k: v for k, v in state.items() if not k.startswith("classifier.6")}
    assert torchvision_alexnet_to_keras(no_fc8)[1] is None
    del no_fc8["features.8.bias"]
    with pytest.raises(
        ValueError, match=r"src: missing key 'features\.8\.weight' or 'features\.8\.bias'"
    ):
        torchvision_alexnet_to_keras(no_fc8, source="src")
    bad = dict(state, **{"features.0.weight": state["features.0.weight"][0]})
    with pytest.raises(ValueError, match=r"'features\.0\.weight' must be a 4-D OIHW kernel"):
        torchvision_alexnet_to_keras(bad)


def test_adaptive_average_pooling_matches_torch_bins():
    x = np.random.RandomState(1).normal(size=(2, 5, 7, 3)).astype("float32")
    for out in (6, 3, 2):
        got = keras.ops.convert_to_numpy(AdaptiveAveragePooling2D(out)(x))
        want = adaptive_avg_pool_nchw(x.transpose(0, 3, 1, 2), out).transpose(0, 2, 3, 1)
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    layer = AdaptiveAveragePooling2D((4, 2), name="p")
    assert AdaptiveAveragePooling2D.from_config(layer.get_config()).output_size == (4, 2)
    with pytest.raises(ValueError, match="output_size"):
        AdaptiveAveragePooling2D((0, 2))


def test_dropout_config_and_preprocess():
    backbone = TorchAlexNet(input_shape=(67, 67, 3), name="t")
    assert backbone.output_dim == 4096 and backbone.weight_names()[-1] == "fc7"
    x = np.random.RandomState(2).normal(size=(2, 67, 67, 3)).astype("float32")
    inference = keras.ops.convert_to_numpy(backbone(x))
    assert not np.allclose(keras.ops.convert_to_numpy(backbone(x, training=True)), inference)
    config = backbone.get_config()
    assert config == {
        "name": "t",
        "trainable": True,
        "include_dropout": True,
        "input_shape": [67, 67, 3],
    }
    assert TorchAlexNet.from_config(config).get_config() == config
    np.testing.assert_allclose(
        torchvision_preprocess(np.full((1, 1, 1, 3), 255.0))[0, 0, 0],
        (1 - np.array([0.485, 0.456, 0.406])) / np.array([0.229, 0.224, 0.225]),
        rtol=1e-6,
    )
    with pytest.raises(ValueError, match="input_shape"):
        TorchAlexNet(input_shape=(32, 32, 3))
