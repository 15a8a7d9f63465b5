"""Readers and writers for the weight files the original methods use.

* thulab/DeepHash AlexNet: a `.npy` holding a pickled 0-d object array that wraps a dict
  `{layer: [W, b]}` (`reference_pretrain.npy`: conv1..fc7; a trained model adds `fc8` and, for
  the quantization methods, a bare codebook `'C'`). See DeepHash/architecture/__init__.py,
  `img_alexnet_layers`, and each model's `save_model` (e.g. DeepHash/model/dqn/dqn.py).
* Caffe VGG16/VGG19 (DRSH's fc7 features): a caffe-tensorflow style `.npy` dict, a raw Caffe
  dump converted with `caffe_vgg_to_keras`, or the Keras-applications `.h5` file.
* torchvision AlexNet (DHN_PyTorch, DJSRH): the state dict saved as `.npz` (torch layouts, torch
  keys) by `pretrained/convert_torchvision_alexnet.py`, converted here with NumPy.

Every error is a `ValueError` naming the file, the key, what was expected and what was found.
"""

from __future__ import annotations

import collections
import os
import re
from collections.abc import Mapping
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from keras_hashing import validation

ALEXNET_LAYERS = ("conv1", "conv2", "conv3", "conv4", "conv5", "fc6", "fc7")

# thulab/DeepHash `img_alexnet_layers`: HWIO kernels (grouped conv2/4/5 keep half the input
# channels) and (in, out) dense kernels, fc6 rows in NHWC (h, w, c) flatten order.
ALEXNET_SHAPES = {
    "conv1": [(11, 11, 3, 96), (96,)],
    "conv2": [(5, 5, 48, 256), (256,)],
    "conv3": [(3, 3, 256, 384), (384,)],
    "conv4": [(3, 3, 192, 384), (384,)],
    "conv5": [(3, 3, 192, 256), (256,)],
    "fc6": [(9216, 4096), (4096,)],
    "fc7": [(4096, 4096), (4096,)],
}

FC8_INPUTS = 4096  # fc7's width

VGG_BLOCKS = {16: (2, 2, 3, 3, 3), 19: (2, 2, 4, 4, 4)}

# torchvision.models.alexnet module indices -> our layer names.
TORCHVISION_ALEXNET_KEYS = {
    "features.0": "conv1",
    "features.3": "conv2",
    "features.6": "conv3",
    "features.8": "conv4",
    "features.10": "conv5",
    "classifier.1": "fc6",
    "classifier.4": "fc7",
    "classifier.6": "fc8",
}

# `{layer name: [W, b]}` in Keras layout (HWIO / `(in, out)` kernels), float32.
LayerWeights = dict[str, list[np.ndarray]]

DeepHashWeights = collections.namedtuple("DeepHashWeights", ["layers", "fc8", "codebook"])
DeepHashWeights.__doc__ = """What `load_alexnet_npy` returns.

Attributes:
    layers: `{name: [W, b]}` for conv1..fc7 (float32, the `ALEXNET_SHAPES` shapes).
    fc8: `[W (4096, D), b (D,)]` or None when the file has no `fc8` (a pretrained file).
    codebook: the `'C'` array `(M*K, D)` of DQN/DVSQ/DTQ saved models, or None.
"""


def vgg_layer_names(depth: int) -> list[str]:
    """The Caffe names of VGG's weight layers: `conv1_1`, ..., `conv5_3|4`, `fc6`, `fc7`."""
    validation.one_of("depth", depth, tuple(VGG_BLOCKS), "VGG")
    names = [f"conv{b + 1}_{i + 1}" for b, n in enumerate(VGG_BLOCKS[depth]) for i in range(n)]
    return names + ["fc6", "fc7"]


def _decode_key(key):
    return key.decode("utf-8") if isinstance(key, bytes) else str(key)


def _read_npy_dict(path):
    """The dict inside a pickled 0-d object `.npy`, with `bytes` keys decoded."""
    try:
        # encoding="bytes" reads Python-2 pickles (their str keys come back as bytes).
        data = np.load(path, allow_pickle=True, encoding="bytes")
    except FileNotFoundError:
        raise
    except Exception as error:  # not an .npy, or a damaged pickle
        raise ValueError(f"{path}: cannot be read as a NumPy .npy file ({error}).") from error
    if isinstance(data, np.ndarray) and data.dtype == object and data.shape == ():
        data = data.item()
    if not isinstance(data, dict):
        raise ValueError(
            f"{path}: expected a pickled dict {{layer: [W, b]}} in a 0-d object array, "
            f"found {type(data).__name__} {getattr(data, 'shape', '')}."
        )
    return {_decode_key(k): v for k, v in data.items()}


def _pair(path, key, value):
    """`[W, b]` from a `[W, b]` list/tuple/array or a caffe-tensorflow `{'weights', 'biases'}`."""
    if isinstance(value, dict):
        value = {_decode_key(k): v for k, v in value.items()}
        if "weights" in value and "biases" in value:
            return [np.asarray(value["weights"]), np.asarray(value["biases"])]
        raise ValueError(
            f"{path}: key '{key}' is a dict without 'weights' and 'biases', "
            f"found keys {sorted(value)}."
        )
    if isinstance(value, np.ndarray) and value.dtype != object:
        raise ValueError(
            f"{path}: key '{key}' must hold [W, b], found one array of shape {value.shape}."
        )
    try:
        pair = list(value)
    except TypeError:
        raise ValueError(
            f"{path}: key '{key}' must hold [W, b], found {type(value).__name__}."
        ) from None
    if len(pair) != 2:
        raise ValueError(f"{path}: key '{key}' must hold 2 arrays [W, b], found {len(pair)}.")
    return [np.asarray(pair[0]), np.asarray(pair[1])]


def _check_shape(path, key, label, array, expected):
    if tuple(array.shape) != tuple(expected):
        raise ValueError(
            f"{path}: key '{key}' {label} has the wrong shape: expected {tuple(expected)}, "
            f"found {tuple(array.shape)}."
        )


def _check_alexnet_layers(path, layers):
    checked = {}
    for key in ALEXNET_LAYERS:
        if key not in layers:
            shapes = ALEXNET_SHAPES[key]
            raise ValueError(
                f"{path}: missing key '{key}'; expected [W {shapes[0]}, b {shapes[1]}], "
                f"found keys {sorted(layers)}."
            )
        pair = _pair(path, key, layers[key])
        for label, array, shape in zip(("W", "b"), pair, ALEXNET_SHAPES[key]):
            _check_shape(path, key, label, array, shape)
        checked[key] = [a.astype("float32") for a in pair]
    return checked


def _check_fc8(path, value, in_dim=None):
    in_dim = FC8_INPUTS if in_dim is None else in_dim
    weight, bias = _pair(path, "fc8", value)
    if weight.ndim != 2 or weight.shape[0] != in_dim:
        raise ValueError(
            f"{path}: key 'fc8' W has the wrong shape: expected ({in_dim}, D), "
            f"found {weight.shape}."
        )
    _check_shape(path, "fc8", "b", bias, (weight.shape[1],))
    return [weight.astype("float32"), bias.astype("float32")]


def load_alexnet_npy(path: str | os.PathLike) -> DeepHashWeights:
    """Reads a thulab/DeepHash AlexNet weight file (`img_alexnet_layers`, `save_model`).

    The file is a pickled 0-d object array wrapping `{layer: [W, b]}`; Python-2 `bytes` keys are
    decoded. conv1..fc7 must be present with the `ALEXNET_SHAPES` shapes; `fc8` (a trained
    model's head) and `'C'` (a quantization model's codebook) are optional and returned
    separately. Other keys (`txt_fc1`, ...) are ignored, as the original does.

    Args:
        path: str, the `.npy` file (`reference_pretrain.npy` or a saved model).

    Returns:
        `DeepHashWeights(layers, fc8, codebook)`.

    Raises:
        ValueError: the file is not such a dict, a key is missing, or an array has another shape
            (the message names the file, the key, the expected and the found shape).

    Example:
    >>> weights = load_alexnet_npy("reference_pretrain.npy")  # doctest: +SKIP
    >>> weights.layers["conv1"][0].shape, weights.fc8  # doctest: +SKIP
    ((11, 11, 3, 96), None)
    """
    path = os.fspath(path)
    data = _read_npy_dict(path)
    layers = _check_alexnet_layers(path, data)
    fc8 = _check_fc8(path, data["fc8"]) if "fc8" in data else None
    codebook = None
    if "C" in data:
        codebook = np.asarray(data["C"], dtype="float32")
        if codebook.ndim != 2:
            raise ValueError(
                f"{path}: key 'C' must be a 2-D (M*K, D) array, found shape {codebook.shape}."
            )
        if fc8 is not None and codebook.shape[1] != fc8[0].shape[1]:
            raise ValueError(
                f"{path}: key 'C' must have D={fc8[0].shape[1]} columns (fc8's width), "
                f"found shape {codebook.shape}."
            )
    return DeepHashWeights(layers, fc8, codebook)


def save_alexnet_npy(
    path: str | os.PathLike,
    layer_weights: Mapping[str, Sequence[ArrayLike] | ArrayLike],
    codebook: ArrayLike | None = None,
) -> str:
    """Writes `{layer: [W, b]}` (and `'C'`) in the thulab/DeepHash `.npy` format.

    Args:
        path: str, the output `.npy` file.
        layer_weights: mapping with conv1..fc7 (the `ALEXNET_SHAPES` shapes) and optionally
            `fc8`; a `'C'` entry is taken as the codebook.
        codebook: optional `(M*K, D)` array stored bare under `'C'` (DQN, DVSQ, DTQ).

    Returns:
        The path written.

    Example:
    >>> save_alexnet_npy("model.npy", {**backbone.get_layer_weights(),
    ...                               "fc8": head.get_weights()})  # doctest: +SKIP
    """
    path = os.fspath(path)
    layer_weights = {_decode_key(k): v for k, v in dict(layer_weights).items()}
    if codebook is None and "C" in layer_weights:
        codebook = layer_weights["C"]
    data = {k: list(v) for k, v in _check_alexnet_layers(path, layer_weights).items()}
    if "fc8" in layer_weights:
        data["fc8"] = _check_fc8(path, layer_weights["fc8"])
    if codebook is not None:
        codebook = np.asarray(codebook, dtype="float32")
        if codebook.ndim != 2:
            raise ValueError(
                f"{path}: codebook 'C' must be 2-D (M*K, D), found shape {codebook.shape}."
            )
        data["C"] = codebook
    # Written under a temporary name and renamed: an interrupted save never leaves a torn file.
    temporary = f"{path}.tmp-{os.getpid()}"
    with open(temporary, "wb") as handle:
        np.save(handle, np.array(data, dtype=object), allow_pickle=True)
    os.replace(temporary, path)
    return path


def chw_rows_to_hwc(kernel: ArrayLike, channels: int, height: int, width: int) -> np.ndarray:
    """Permutes a dense kernel `(C*H*W, out)` fed by an NCHW flatten to an NHWC-flatten kernel.

    PyTorch and Caffe flatten `(C, H, W)`; Keras (channels_last) flattens `(H, W, C)`. Row
    `c*H*W + h*W + w` of the input becomes row `h*W*C + w*C + c`.
    """
    kernel = np.asarray(kernel)
    out = kernel.shape[1]
    if kernel.shape[0] != channels * height * width:
        raise ValueError(
            f"dense kernel with {kernel.shape[0]} input rows cannot be read as (C={channels}, "
            f"H={height}, W={width}) = {channels * height * width} rows."
        )
    return kernel.reshape(channels, height, width, out).transpose(1, 2, 0, 3).reshape(-1, out)


def _oihw_to_hwio(weight):
    return np.ascontiguousarray(np.asarray(weight).transpose(2, 3, 1, 0))


def torchvision_alexnet_to_keras(
    state_dict: Mapping[str, ArrayLike],
    source: str = "state_dict",
    pool_size: tuple[int, int] = (6, 6),
) -> tuple[LayerWeights, list[np.ndarray] | None]:
    """Converts a torchvision AlexNet state dict (NumPy arrays) to `{name: [W, b]}` in Keras layout.

    Conv weights go OIHW -> HWIO, linear weights `(out, in)` -> `(in, out)`, and fc6's rows are
    permuted from torchvision's `(C, H, W)` flatten of the 256x6x6 pooled map to Keras' `(H, W, C)`.
    Keys may carry a `module.` (DataParallel) or any other prefix before `features.`/`classifier.`.

    Args:
        state_dict: mapping `{"features.0.weight": array, ...}`.
        source: str, named in errors (the file).
        pool_size: (H, W) of the adaptive average pool, default (6, 6).

    Returns:
        `(layers, fc8)`: conv1..fc7 as `{name: [W, b]}`, and `classifier.6` (the ImageNet
        1000-way layer) as `[W (4096, 1000), b]` or None.
    """
    arrays = {}
    for key, value in state_dict.items():
        key = _decode_key(key)
        match = re.search(r"((?:features|classifier)\.\d+)\.(weight|bias)$", key)
        if match and match.group(1) in TORCHVISION_ALEXNET_KEYS:
            arrays[(TORCHVISION_ALEXNET_KEYS[match.group(1)], match.group(2))] = np.asarray(value)
    torch_key = {v: k for k, v in TORCHVISION_ALEXNET_KEYS.items()}
    layers, fc8 = {}, None
    for name in list(ALEXNET_LAYERS) + ["fc8"]:
        if (name, "weight") not in arrays or (name, "bias") not in arrays:
            if name == "fc8":
                break
            raise ValueError(
                f"{source}: missing key '{torch_key[name]}.weight' or '{torch_key[name]}.bias' "
                f"(torchvision AlexNet {name}); found keys "
                f"{sorted(_decode_key(k) for k in state_dict)}."
            )
        weight, bias = arrays[(name, "weight")], arrays[(name, "bias")]
        if name.startswith("conv"):
            if weight.ndim != 4:
                raise ValueError(
                    f"{source}: key '{torch_key[name]}.weight' must be a 4-D OIHW kernel, "
                    f"found shape {weight.shape}."
                )
            weight = _oihw_to_hwio(weight)
        else:
            if weight.ndim != 2:
                raise ValueError(
                    f"{source}: key '{torch_key[name]}.weight' must be a 2-D (out, in) matrix, "
                    f"found shape {weight.shape}."
                )
            weight = np.ascontiguousarray(weight.T)
            if name == "fc6":
                channels = layers["conv5"][0].shape[-1]
                weight = chw_rows_to_hwc(weight, channels, *pool_size)
        pair = [weight.astype("float32"), bias.astype("float32")]
        if name == "fc8":
            fc8 = pair
        else:
            layers[name] = pair
    return layers, fc8


def load_torchvision_alexnet_npz(
    path: str | os.PathLike,
) -> tuple[LayerWeights, list[np.ndarray] | None]:
    """Reads a torchvision AlexNet state dict saved as `.npz` and converts it to Keras layout.

    Args:
        path: str, an `.npz` written by `pretrained/convert_torchvision_alexnet.py` (torch keys
            and layouts, e.g. `features.0.weight` of shape (64, 3, 11, 11)).

    Returns:
        `(layers, fc8)` as `torchvision_alexnet_to_keras`.
    """
    path = os.fspath(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            state = {k: data[k] for k in data.files}
    except FileNotFoundError:
        raise
    except Exception as error:
        raise ValueError(f"{path}: cannot be read as a NumPy .npz archive ({error}).") from error
    return torchvision_alexnet_to_keras(state, source=path)


def caffe_vgg_to_keras(
    params: Mapping[str, Sequence[ArrayLike] | Mapping[str, ArrayLike]],
    depth: int = 16,
    source: str = "params",
) -> tuple[LayerWeights, list[np.ndarray] | None]:
    """Converts raw Caffe VGG parameters (`net.params` as NumPy) to Keras-layout `{name: [W, b]}`.

    Caffe stores conv kernels `(out, in, kh, kw)`, inner products `(out, in)`, and flattens pool5
    as `(C, H, W)`; the result has HWIO kernels, `(in, out)` dense kernels and fc6 rows in NHWC
    order. No kernel flip is needed: Caffe and Keras both compute cross-correlations.

    Args:
        params: mapping `{"conv1_1": [W, b], ..., "fc7": [W, b]}` (an `fc8` entry is kept).
        depth: 16 or 19.
        source: str, named in errors.

    Returns:
        `(layers, fc8)`.
    """
    params = {_decode_key(k): v for k, v in params.items()}
    names = vgg_layer_names(depth)
    layers = {}
    for name in names:
        if name not in params:
            raise ValueError(
                f"{source}: missing key '{name}' for Caffe VGG{depth}; found keys {sorted(params)}."
            )
        weight, bias = _pair(source, name, params[name])
        if name.startswith("conv"):
            if weight.ndim != 4:
                raise ValueError(
                    f"{source}: key '{name}' W must be a 4-D Caffe kernel (out, in, kh, kw), "
                    f"found {weight.shape}."
                )
            weight = _oihw_to_hwio(weight)
        else:
            weight = np.asarray(weight).reshape(weight.shape[0], -1).T
            if name == "fc6":
                channels = layers[names[names.index("fc6") - 1]][0].shape[-1]
                side = int(round((weight.shape[0] / channels) ** 0.5))
                weight = chw_rows_to_hwc(weight, channels, side, side)
        layers[name] = [
            np.ascontiguousarray(weight, dtype="float32"),
            np.asarray(bias, "float32").reshape(-1),
        ]
    fc8 = None
    if "fc8" in params:
        weight, bias = _pair(source, "fc8", params["fc8"])
        fc8 = [
            np.ascontiguousarray(np.asarray(weight).reshape(weight.shape[0], -1).T, "float32"),
            np.asarray(bias, "float32").reshape(-1),
        ]
    return layers, fc8


# keras.applications layer names -> Caffe names.
_KERAS_APP_NAMES = {"fc1": "fc6", "fc2": "fc7", "predictions": "fc8"}


def _keras_app_name(name):
    match = re.fullmatch(r"block(\d)_conv(\d)", name)
    if match:
        return f"conv{match.group(1)}_{match.group(2)}"
    return _KERAS_APP_NAMES.get(name, name)


def _read_legacy_h5(path):
    import h5py

    layers = {}
    try:
        handle = h5py.File(path, "r")
    except FileNotFoundError:
        raise
    except Exception as error:
        raise ValueError(f"{path}: cannot be read as an HDF5 file ({error}).") from error
    with handle:
        root = handle["model_weights"] if "model_weights" in handle else handle
        if "layer_names" not in root.attrs:
            raise ValueError(
                f"{path}: expected a Keras-2 style weight file (attribute 'layer_names', e.g. "
                f"keras.applications' vgg16_weights_tf_dim_ordering_tf_kernels.h5), found groups "
                f"{sorted(root.keys())}."
            )
        for layer in root.attrs["layer_names"]:
            layer = _decode_key(layer)
            group = root[layer]
            weight_names = [_decode_key(n) for n in group.attrs.get("weight_names", [])]
            if not weight_names:
                continue
            layers[_keras_app_name(layer)] = [np.asarray(group[n][()]) for n in weight_names]
    return layers


def load_vgg_weights(
    path: str | os.PathLike, depth: int = 16, layout: str = "tensorflow"
) -> tuple[LayerWeights, list[np.ndarray] | None]:
    """Reads VGG16/VGG19 weights for `keras_hashing.backbones.VGG16` / `VGG19`.

    Supported files:

    * `.npy`, a pickled dict keyed by Caffe layer names (`conv1_1` ... `fc7`, optional `fc8`),
      each `[W, b]` or `{'weights': W, 'biases': b}`. With `layout="tensorflow"` (default; what
      caffe-tensorflow writes, e.g. the widely shared `vgg16.npy`/`vgg19.npy`) kernels are HWIO,
      dense kernels `(in, out)` and fc6's rows in NHWC order. With `layout="caffe"` the arrays
      are Caffe's own (`net.params` dumped by `pretrained/convert_caffe_vgg.py --raw`) and are
      converted by `caffe_vgg_to_keras`.
    * `.h5`, the Keras-2 weight layout of `keras.applications` (`vgg16_weights_tf_dim_ordering_
      tf_kernels.h5`, converted from the same Caffe models): `block1_conv1`..`fc2` are renamed
      to Caffe names. The "notop" files lack fc6/fc7 and are refused by the model.

    Shapes are checked when the model takes the weights (`set_layer_weights`).

    Args:
        path: str, the file.
        depth: 16 or 19.
        layout: "tensorflow" or "caffe" (`.npy` only).

    Returns:
        `(layers, fc8)`: `{name: [W, b]}` for conv1_1..fc7 and `[W, b]` of fc8 or None.
    """
    path = os.fspath(path)
    names = vgg_layer_names(depth)
    validation.one_of("layout", layout, ("tensorflow", "caffe"), "load_vgg_weights")
    if path.endswith((".h5", ".hdf5")):
        raw = _read_legacy_h5(path)
    elif path.endswith(".npy"):
        raw = _read_npy_dict(path)
        if layout == "caffe":
            return caffe_vgg_to_keras(raw, depth=depth, source=path)
    else:
        raise ValueError(
            f"{path}: VGG weights must be a .npy dict or a Keras .h5 file, found extension "
            f"{os.path.splitext(path)[1] or '(none)'}."
        )
    layers = {}
    for name in names:
        if name not in raw:
            raise ValueError(
                f"{path}: missing key '{name}' for VGG{depth} (fc6/fc7 are absent from 'notop' "
                f"files); found keys {sorted(raw)}."
            )
        layers[name] = _pair(path, name, raw[name])
    fc8 = _pair(path, "fc8", raw["fc8"]) if "fc8" in raw else None
    return layers, fc8
