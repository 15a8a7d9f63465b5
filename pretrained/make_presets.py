"""Copies a trained run of `benchmarks/bench_cifar10.py` into a preset, with its check values.

The check values are the preset's outputs on scikit-learn's two sample photos (centre square,
resized to 224), which `tests/models/test_pretrained_files.py` compares against.

Usage:
    python pretrained/make_presets.py --name dch_cifar10_32 \\
        --weights ~/cache/dch_32_seed0_..._test.weights.h5
"""

import argparse
import json
import os
import shutil

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


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--name", required=True, help="a key of keras_hashing PRESETS")
    parser.add_argument("--weights", required=True, help="a run's .weights.h5")
    args = parser.parse_args(argv)
    from keras_hashing.recipes.presets import PRESETS
    from keras_hashing.recipes.presets import load_preset

    target = os.path.join(HERE, PRESETS[args.name]["file"])
    shutil.copyfile(args.weights, target)
    model = load_preset(args.name)
    outputs = model.predict_outputs(sample_photos(), batch_size=2)
    with open(os.path.join(HERE, f"{args.name}.check.json"), "w") as handle:
        json.dump({"sample_photo_outputs": np.round(outputs, 6).tolist()}, handle, indent=1)
    print(f"{target}: {os.path.getsize(target) / 1e6:.1f} MB; outputs {np.round(outputs, 3)}")


if __name__ == "__main__":
    main()
