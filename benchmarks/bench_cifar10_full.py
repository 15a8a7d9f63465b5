"""CIFAR-10 with the whole ImageNet EfficientNet-Lite0 fine-tuned from the images (a GPU run).

The originals update every layer from the images on every step; `bench_cifar10.py` freezes
the lower blocks so that a CPU can do it. This script is the same benchmark without that
departure, for a machine with an accelerator: the same lists (`data/cifar10/prepare.py`), the
same image pipeline as the cache (OpenCV bilinear resize to 256, random 224 crops and
left-right flips for training, the centre crop for queries and database items), the same
model classes, losses, optimiser (TF1 momentum with the x10/x20 multipliers on the hash layer)
and report. It needs no TensorFlow: run it under `KERAS_BACKEND=jax` on a GPU.

Decoded images are held in memory (about 9 GB for the 60 000 at 224 px); each training batch
is drawn from a fresh permutation of the training images, as the original's data provider
does, with new crops and flips every time.

Usage:
    python data/cifar10/prepare.py --archive cifar10-images.tar.gz --out /tmp/cifar10
    KERAS_BACKEND=jax python benchmarks/bench_cifar10_full.py --list-dir /tmp/cifar10 \\
        --methods dch,dhn --bits 32 --out full.json [--budget-seconds 480]
"""

import argparse
import os
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from bench_cifar10 import METHODS
from bench_cifar10 import _load_results
from bench_cifar10 import _report
from bench_cifar10 import _save_results


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--list-dir", required=True, help="folder of the CIFAR-10 list files")
    parser.add_argument("--variant", default="lite0", help="EfficientNet-Lite variant")
    parser.add_argument("--methods", default="dch", help="comma-separated: " + ",".join(METHODS))
    parser.add_argument("--bits", default="32", help="comma-separated code lengths")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=None, help="default: the original's")
    parser.add_argument("--batch-size", type=int, default=None, help="default: the original's")
    parser.add_argument("--validation", action="store_true",
                        help="train on val_train.txt, search val_test.txt (not the queries)")
    parser.add_argument("--limit", type=int, default=None,
                        help="first N images of each list only (a smoke test)")
    parser.add_argument("--budget-seconds", type=float, default=None,
                        help="skip a run that the measured step time says would end after this")
    parser.add_argument("--weights-dir", default=None,
                        help="save each trained model's weights here (float16 .npz)")
    parser.add_argument("--out", default="bench_cifar10_full.json", help="results (JSON)")
    return parser.parse_args(argv)


def load_split(list_path, resize_size, crop_size=None, limit=None, threads=16):
    """uint8 RGB images of a list (resized; centre-cropped to `crop_size` when given), labels."""
    import cv2

    from keras_hashing.data.list_files import load_image
    from keras_hashing.data.list_files import read_image_list

    paths, labels = read_image_list(list_path)
    if limit:
        paths, labels = paths[:limit], labels[:limit]
    side = crop_size or resize_size
    offset = (resize_size - side) // 2
    images = np.empty((len(paths), side, side, 3), np.uint8)

    def read(row):
        image = load_image(paths[row], resize_size)
        if image is None:
            raise ValueError(f"cannot read image {paths[row]} ({list_path}, line {row + 1})")
        image = image[offset : offset + side, offset : offset + side]
        images[row] = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(read, range(len(paths))))
    return images, np.asarray(labels, np.float32)


def training_batches(images, labels, batch_size, crop_size, seed):
    """Endless `(crops, labels)` batches: epochs of a fresh permutation, random crops and flips.

    A last partial batch of an epoch is dropped (the model's pairwise losses want full ones).
    """
    if len(images) < batch_size:
        raise ValueError(f"{len(images)} training images cannot fill a batch of {batch_size}.")
    rng = np.random.default_rng(seed)
    margin = images.shape[1] - crop_size
    while True:
        order = rng.permutation(len(images))
        for start in range(0, len(order) - batch_size + 1, batch_size):
            rows = order[start : start + batch_size]
            tops = rng.integers(0, margin + 1, len(rows))
            lefts = rng.integers(0, margin + 1, len(rows))
            flips = rng.random(len(rows)) < 0.5
            crops = np.empty((len(rows), crop_size, crop_size, 3), np.uint8)
            for i, (row, top, left, flip) in enumerate(zip(rows, tops, lefts, flips)):
                crop = images[row, top : top + crop_size, left : left + crop_size]
                crops[i] = crop[:, ::-1] if flip else crop
            yield crops, labels[rows]


def predict_outputs(model, images, batch_size=500):
    """The model's continuous outputs for uint8 images, batch by batch (no float copy of all)."""
    parts = [
        np.asarray(model.predict_on_batch(images[start : start + batch_size]))
        for start in range(0, len(images), batch_size)
    ]
    return np.concatenate(parts)


def build_model(method, variant, bits, image_size):
    import keras

    from keras_hashing import models
    from keras_hashing.backbones import EfficientNetLite
    from keras_hashing.backbones.efficientnet_lite import INPUT_MEAN
    from keras_hashing.backbones.efficientnet_lite import INPUT_STD

    backbone = EfficientNetLite(variant, weights="imagenet",
                                input_shape=(image_size, image_size, 3))
    preprocessor = keras.Sequential(
        [
            keras.Input((image_size, image_size, 3)),
            keras.layers.Rescaling(1.0 / INPUT_STD, offset=-INPUT_MEAN / INPUT_STD),
        ],
        name="scaling",
    )
    model_class = {"dch": models.DCH, "dhn": models.DHN}[method]
    return model_class(backbone, bits, num_labels=10, preprocessor=preprocessor, name=method,
                       **METHODS[method]["args"])


def run(args, data, method, bits, results, key, started):
    import keras

    from keras_hashing.callbacks import IterationProgress
    from keras_hashing.callbacks.training import NonFiniteLossError
    from keras_hashing.optimizers import deephash_optimizer

    defaults = METHODS[method]
    steps = args.steps or defaults["steps"]
    batch_size = args.batch_size or defaults["batch_size"]
    keras.utils.set_random_seed(args.seed)
    (train_images, train_labels), query, database = data
    model = build_model(method, args.variant, bits, 224)
    model.compile(optimizer=deephash_optimizer(defaults["lr"], defaults["decay_step"],
                                               defaults["decay_factor"]))
    batches = training_batches(train_images, train_labels, batch_size, 224, args.seed)
    # A short first fit compiles the step and times it, so the budget check can skip a run.
    warmup = min(20, steps)
    start = time.time()
    try:
        model.fit(batches, steps_per_epoch=warmup, epochs=1, verbose=0, shuffle=False)
    except NonFiniteLossError as error:
        results[key] = {"diverged": str(error), "method": method, "bits": bits}
        _save_results(args.out, results)
        print(key, "diverged:", error, flush=True)
        return
    compile_seconds = time.time() - start
    start = time.time()
    model.fit(batches, steps_per_epoch=warmup, epochs=1, verbose=0, shuffle=False)
    step_seconds = (time.time() - start) / warmup
    remaining = steps - 2 * warmup
    expected = remaining * step_seconds + 60
    if args.budget_seconds and time.time() - started + expected > args.budget_seconds:
        print(f"{key}: skipped, {expected:.0f} s expected at {step_seconds * 1000:.0f} ms/step "
              f"exceeds the budget")
        return
    start = time.time()
    if remaining > 0:
        model.fit(batches, steps_per_epoch=remaining, epochs=1, verbose=0, shuffle=False,
                  callbacks=[IterationProgress(steps)])
    train_seconds = time.time() - start + step_seconds * 2 * warmup
    start = time.time()
    database_outputs = predict_outputs(model, database[0])
    encode_seconds = time.time() - start
    query_outputs = predict_outputs(model, query[0])
    report = _report(query_outputs, query[1], database_outputs, database[1])
    report.update(
        method=method, bits=bits, seed=args.seed, steps=steps, lr=defaults["lr"],
        batch_size=batch_size, validation=args.validation, whole_network=True,
        train_seconds=train_seconds, step_ms=1000 * step_seconds,
        compile_seconds=compile_seconds, images_per_second=len(database[0]) / encode_seconds,
        backend=keras.backend.backend(), **defaults["args"],
    )
    if args.weights_dir:
        os.makedirs(args.weights_dir, exist_ok=True)
        arrays = {f"w{i:03d}": keras.ops.convert_to_numpy(w).astype(np.float16)
                  for i, w in enumerate(model.weights)}
        np.savez(os.path.join(args.weights_dir, f"{key}.npz"), **arrays)
    results[key] = report
    _save_results(args.out, results)
    print(key, {k: v for k, v in report.items() if not isinstance(v, (list, dict))}, flush=True)


def main(argv=None):
    args = parse_args(argv)
    # float32 matrix products as the originals had them, not TF32 (JAX's default on a GPU).
    os.environ.setdefault("JAX_DEFAULT_MATMUL_PRECISION", "highest")
    started = time.time()
    results = _load_results(args.out)
    train_list, query_list = "train.txt", "test.txt"
    if args.validation:
        train_list, query_list = "val_train.txt", "val_test.txt"
    start = time.time()
    data = (
        load_split(os.path.join(args.list_dir, train_list), 256, limit=args.limit),
        load_split(os.path.join(args.list_dir, query_list), 256, 224, limit=args.limit),
        load_split(os.path.join(args.list_dir, "database.txt"), 256, 224, limit=args.limit),
    )
    print(f"{sum(len(part[0]) for part in data)} images decoded in {time.time() - start:.0f} s",
          flush=True)
    for method in [m for m in args.methods.split(",") if m]:
        for bits in [int(b) for b in args.bits.split(",")]:
            key = f"{method}_{bits}_seed{args.seed}_full_{args.steps or 'default'}"
            key += "_validation" if args.validation else "_test"
            if key in results:
                print(f"{key}: done, skipped")
                continue
            run(args, data, method, bits, results, key, started)
    for key, value in results.items():
        if "diverged" in value:
            continue
        print(f"{key:45s} mAP@54000 {value['i2i_after_sign']:.4f} "
              f"mAP@1000 {value['map_at_1000']:.4f} P@r2 {value['i2i_prec_radius_2']:.3f} "
              f"R@r2 {value['i2i_recall_radius_2']:.3f} train {value['train_seconds']:.0f} s")


if __name__ == "__main__":
    main()
