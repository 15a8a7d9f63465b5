"""Caffe-style VGG16/VGG19 on tiny random weights against a NumPy Caffe forward (DRSH §1.2)."""

import h5py
import keras
import numpy as np
import pytest

from keras_hashing.backbones import VGG16
from keras_hashing.backbones import VGG19
from keras_hashing.backbones import caffe_vgg_preprocess
from keras_hashing.backbones import caffe_vgg_to_keras
from keras_hashing.backbones import load_vgg_weights
from keras_hashing.backbones.weights import VGG_BLOCKS
from tests.backbones.numpy_reference import caffe_vgg_fc7

FILTERS = (2, 3, 4, 4, 5)
UNITS = 6
SIZE = 64  # pool5 is 2x2, so fc6's row order matters


def caffe_params(depth, seed=0):
    """Random Caffe-layout parameters: conv (out, in, 3, 3), inner products (out, in)."""
    rs = np.random.RandomState(seed)
    params, channels = {}, 3
    for block, (repeats, filters) in enumerate(zip(VGG_BLOCKS[depth], FILTERS), start=1):
        for i in range(1, repeats + 1):
            params[f"conv{block}_{i}"] = [
                rs.normal(0, np.sqrt(2 / (9 * channels)), (filters, channels, 3, 3)),
                rs.normal(0, 0.1, filters),
            ]
            channels = filters
    fc_in = channels * (SIZE // 32) ** 2
    params["fc6"] = [rs.normal(0, np.sqrt(2 / fc_in), (UNITS, fc_in)), rs.normal(0, 0.1, UNITS)]
    params["fc7"] = [rs.normal(0, np.sqrt(2 / UNITS), (UNITS, UNITS)), rs.normal(0, 0.1, UNITS)]
    params["fc8"] = [rs.normal(size=(10, UNITS)), np.zeros(10)]
    return {k: [np.asarray(a, "float32") for a in v] for k, v in params.items()}


def tiny(cls, **kwargs):
    return cls(input_shape=(SIZE, SIZE, 3), conv_filters=FILTERS, fc_units=UNITS, **kwargs)


@pytest.mark.parametrize("cls, depth", [(VGG16, 16), (VGG19, 19)])
def test_caffe_layout_npy_matches_the_caffe_forward(tmp_path, cls, depth):
    params = caffe_params(depth)
    path = str(tmp_path / "raw.npy")
    np.save(path, np.array(params, dtype=object), allow_pickle=True)
    backbone = tiny(cls, weights=path, weights_layout="caffe")
    images = caffe_vgg_preprocess(np.random.RandomState(1).randint(0, 256, (2, SIZE, SIZE, 3)))
    got = keras.ops.convert_to_numpy(backbone(images, training=False))
    want = caffe_vgg_fc7(images, params, VGG_BLOCKS[depth])
    assert (want > 0).any()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * np.abs(want).max())


def test_tensorflow_layout_npy_and_keras_h5_load_the_same_weights(tmp_path):
    params = caffe_params(16, seed=3)
    layers, fc8 = caffe_vgg_to_keras(params, depth=16)
    assert fc8[0].shape == (UNITS, 10)
    # caffe-tensorflow style: {'weights', 'biases'} dicts with bytes keys
    npy = str(tmp_path / "vgg16.npy")
    np.save(
        npy,
        np.array(
            {k.encode(): {"weights": w, "biases": b} for k, (w, b) in layers.items()}, dtype=object
        ),
        allow_pickle=True,
    )
    # keras.applications' Keras-2 layout: layer_names / weight_names attributes, block names
    h5 = str(tmp_path / "vgg16_weights_tf_dim_ordering_tf_kernels.h5")
    keras_names = {f"conv{b}_{i}": f"block{b}_conv{i}" for b in range(1, 6) for i in range(1, 4)}
    keras_names.update({"fc6": "fc1", "fc7": "fc2"})
    with h5py.File(h5, "w") as f:
        names = ["input_1"] + [keras_names[k] for k in layers] + ["predictions"]
        f.attrs["layer_names"] = [n.encode() for n in names]
        f.create_group("input_1").attrs["weight_names"] = []
        for caffe_name, (w, b) in list(layers.items()) + [("predictions", fc8)]:
            name = keras_names.get(caffe_name, caffe_name)
            group = f.create_group(name)
            group.attrs["weight_names"] = [f"{name}/kernel:0".encode(), f"{name}/bias:0".encode()]
            group.create_dataset(f"{name}/kernel:0", data=w)
            group.create_dataset(f"{name}/bias:0", data=b)
    images = np.random.RandomState(4).normal(0, 50, (1, SIZE, SIZE, 3)).astype("float32")
    want = caffe_vgg_fc7(images, params, VGG_BLOCKS[16])
    for path in (npy, h5):
        got = keras.ops.convert_to_numpy(tiny(VGG16, weights=path)(images))
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * np.abs(want).max())
    assert load_vgg_weights(h5)[1][0].shape == (UNITS, 10)


def test_errors_name_the_file_key_and_shapes(tmp_path):
    layers, _ = caffe_vgg_to_keras(caffe_params(16), depth=16)
    path = str(tmp_path / "notop.npy")
    np.save(
        path,
        np.array({k: v for k, v in layers.items() if k != "fc7"}, dtype=object),
        allow_pickle=True,
    )
    with pytest.raises(ValueError, match=r"notop\.npy: missing key 'fc7' for VGG16"):
        load_vgg_weights(path)
    with pytest.raises(ValueError, match=r"missing key 'conv3_4' for VGG19"):
        load_vgg_weights(path, depth=19)
    path = str(tmp_path / "wide.npy")
    np.save(path, np.array(layers, dtype=object), allow_pickle=True)
    with pytest.raises(
        ValueError,
        match=r"wide\.npy: key 'conv1_1' W has the wrong shape for vgg16: "
        r"expected \(3, 3, 3, 7\), found \(3, 3, 3, 2\)",
    ):
        VGG16(
            input_shape=(SIZE, SIZE, 3), conv_filters=(7, 3, 4, 4, 5), fc_units=UNITS, weights=path
        )
    with pytest.raises(ValueError, match=r"\.txt"):
        load_vgg_weights(str(tmp_path / "weights.txt"))
    with pytest.raises(ValueError, match="layout"):
        load_vgg_weights(path, layout="theano")
    with pytest.raises(ValueError, match="depth"):
        load_vgg_weights(path, depth=11)


def test_get_config_dropout_and_names():
    backbone = tiny(VGG19, name="v")
    assert backbone.output_dim == UNITS and len(backbone.weight_names()) == 18
    assert backbone.weight_names()[-3:] == ["conv5_4", "fc6", "fc7"]
    config = backbone.get_config()
    clone = VGG19.from_config(config)
    assert clone.get_config() == config and config["conv_filters"] == list(FILTERS)
    x = np.random.RandomState(5).normal(0, 50, (2, SIZE, SIZE, 3)).astype("float32")
    assert not np.allclose(
        keras.ops.convert_to_numpy(backbone(x, training=True)),
        keras.ops.convert_to_numpy(backbone(x)),
    )
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(backbone))
    assert isinstance(restored, VGG19)
    np.testing.assert_allclose(
        caffe_vgg_preprocess(np.array([[[[10, 20, 30]]]]))[0, 0, 0], [30 - 104, 20 - 117, 10 - 123]
    )
    with pytest.raises(ValueError, match="conv_filters"):
        VGG16(conv_filters=(1, 2))


def test_full_size_vgg16_once():
    backbone = VGG16()
    assert backbone.count_params() == 134_260_544  # VGG16 without fc8
    out = backbone(np.zeros((1, 224, 224, 3), "float32"))
    assert tuple(out.shape) == (1, 4096)
