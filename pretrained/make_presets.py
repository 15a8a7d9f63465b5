"""Copies a trained run into a preset (`keras_hashing.recipes.presets`), with its check values.

The preset file is lossless (`keras_hashing.recipes.preset_file`): the loaded preset's outputs
must equal the trained model's. The check values are the preset's outputs on a few fixed inputs
(`sample_inputs`), which `tests/models/test_pretrained_files.py` compares against:
scikit-learn's two sample photos (centre square, resized to 224) for the CIFAR-10 presets, the
first four Fashion-MNIST query images of the protocol split for the Fashion-MNIST presets.

For a quantizer (DVSQ, DTQ) the check also records its codebook codes of those inputs (ICM,
seed 0).

`--float16` first rounds the fine-tuned ImageNet blocks to float16
(`preset_file.round_to_float16`), which halves what they take in the file. That makes another
model, a little way from the trained one: the script prints how far, and the rounded model's
retrieval figures are measured from the preset itself
(`benchmarks/bench_cifar10.py --evaluate <name>`), not copied from the training run.

Usage:
    python pretrained/make_presets.py --name dch_cifar10_32 --model runs/dch_32_..._test.keras
    python pretrained/make_presets.py --name dvsq_cifar10_32 --model models/lr_0.02_..._<d>.keras \\
        --float16
    python pretrained/make_presets.py --name dch_fashion_mnist_32 \\
        --model runs/dch_fashion_mnist/lr_0.05_..._fashion_mnist_<digest>.keras
"""

import argparse
import json
import os

import cv2
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def sample_photos(side: int = 224) -> np.ndarray:
    """scikit-learn's china.jpg and flower.jpg: centre square, bilinear resize, RGB float32."""
    from sklearn.datasets import load_sample_images

    photos = []
    for image in load_sample_images().images:
        height, width = image.shape[:2]
        square = min(height, width)
        top, left = (height - square) // 2, (width - square) // 2
        crop = image[top : top + square, left : left + square]
        photos.append(cv2.resize(crop, (side, side), interpolation=cv2.INTER_LINEAR))
    return np.stack(photos).astype(np.float32)


def fashion_mnist_queries(count: int = 4) -> np.ndarray:
    """The first `count` query images of the Fashion-MNIST protocol split, as network inputs."""
    from keras_hashing.data import load_fashion_mnist
    from keras_hashing.data.pipelines import fashion_mnist_inputs

    return fashion_mnist_inputs(load_fashion_mnist().query_images[:count])


def sample_inputs(name: str) -> np.ndarray:
    """The fixed inputs whose outputs a preset's `.check.json` records."""
    from keras_hashing.recipes.presets import PRESETS

    if "variant" not in PRESETS[name]:  # a Fashion-MNIST preset: no ImageNet trunk
        return fashion_mnist_queries()
    return sample_photos()


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--name", required=True, help="a key of keras_hashing PRESETS")
    parser.add_argument(
        "--model",
        required=True,
        help="the .keras model a run saved: for a CIFAR-10 preset the model on the cached maps "
        "(<run>.keras, not <run>.images.keras), for a Fashion-MNIST preset the whole model",
    )
    parser.add_argument(
        "--float16",
        action="store_true",
        help="round the fine-tuned ImageNet blocks to float16 first (CIFAR-10 presets): a "
        "smaller file, and a slightly different model, to evaluate with bench_cifar10.py "
        "--evaluate",
    )
    args = parser.parse_args(argv)
    import keras

    from keras_hashing.models import QuantizationModel
    from keras_hashing.recipes.cached_trunk import with_trunk
    from keras_hashing.recipes.preset_file import round_to_float16
    from keras_hashing.recipes.preset_file import save_preset_file
    from keras_hashing.recipes.presets import PRESETS
    from keras_hashing.recipes.presets import inference_copy
    from keras_hashing.recipes.presets import load_preset
    from keras_hashing.recipes.presets import preset_trunk
    from keras_hashing.recipes.presets import reference_weights

    entry = PRESETS[args.name]
    target = os.path.join(HERE, entry["file"])
    # Without its optimizer (and a quantizer without its per-training-item codes); a CIFAR-10
    # preset's fine-tuned blocks stored against the ImageNet weights they started from.
    trained = keras.models.load_model(args.model, compile=False)
    trunk = preset_trunk(args.name)
    reference = None if trunk is None else reference_weights(trunk)
    stored = inference_copy(trained, name=args.name)
    if args.float16:
        if reference is None:
            raise SystemExit(f"--float16: {args.name} has no ImageNet blocks to round.")
        print(f"rounded {len(round_to_float16(stored, reference))} fine-tuned weights to float16")
    save_preset_file(stored, target, reference)
    if trunk is not None:
        trained, stored = with_trunk(trained, trunk), with_trunk(stored, trunk)
    model = load_preset(args.name)
    inputs = sample_inputs(args.name)
    outputs = model.predict_outputs(inputs, batch_size=2)
    # The preset must be the model written, not just a model of the same shape: the trained
    # model itself, or with --float16 its rounded copy.
    np.testing.assert_allclose(outputs, stored.predict_outputs(inputs, batch_size=2), atol=1e-5)
    drift = np.abs(outputs - trained.predict_outputs(inputs, batch_size=2)).max()
    print(f"sample outputs within {drift:.2e} of the trained model's")
    check = {"sample_outputs": np.round(outputs, 6).tolist()}
    if isinstance(model, QuantizationModel):
        codes = model.encode_quantized(inputs, batch_size=2, seed=0)[1]
        np.testing.assert_array_equal(
            codes, stored.encode_quantized(inputs, batch_size=2, seed=0)[1]
        )
        check["sample_codes"] = codes.tolist()
    with open(os.path.join(HERE, f"{args.name}.check.json"), "w") as handle:
        json.dump(check, handle, indent=1)
    print(f"{target}: {os.path.getsize(target) / 1e6:.1f} MB; outputs {np.round(outputs, 3)}")


if __name__ == "__main__":
    main()
