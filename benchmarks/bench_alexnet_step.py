"""DCH on the CaffeNet AlexNet: the library's training step and ten-view encoding vs the original.

    python benchmarks/bench_alexnet_step.py --original-src /tmp/DeepHash [--steps 15] [--encode 3]
        [--dtype-policy mixed_bfloat16]

Both run in this process on the same random weights (conv1..fc8 written once to a thulab/DeepHash
`.npy` file that each side loads), the same thread count and the same batches:

* the library: `keras_hashing.models.DCH(AlexNet(), 64 bits, preprocessor=CaffeCrop())` compiled
  with `deephash_optimizer` (TF1 momentum with the x1/x2/x10/x20 multipliers), stepped with
  `train_on_batch` on uint8 256x256 images (what `keras_hashing.data` yields), and encoded with
  `predict` (ten 227 crops per image, averaged);
* the original: thulab/DeepHash `DeepHash/model/dch/dch.py::DCH` built from a copy of the
  repository whose path `--original-src` names (nothing of it is kept in this project), its TF1
  graph run in a `tf.compat.v1.Session` on the float32 batches its placeholder takes:
  `train_op` + `loss` for a step, the `stage = 1` output for encoding.

The original is imported with four small shims for TensorFlow 2 / NumPy 2, applied only to its
modules: `tensorflow` is `tf.compat.v1` (graph mode inside a private `tf.Graph`), where
`tf.div`/`tf.log` still exist; the session's `ConfigProto` gets the thread counts; `np.float`
is `float`; and `np.load` passes `allow_pickle=True` (its default changed in NumPy 1.16.3, after
the original was written).

Calls alternate between the two sides and the median of each is kept. Prints images/s, the ratio
library/original (above 1: the library is faster) and the same ratio of CPU time (all threads of
the process), which a machine shared with other jobs disturbs less than wall time. Without
`--original-src` it says so and exits.
"""

import argparse
import os
import sys
import tempfile
import time
import types

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

BITS = 64
LABELS = 10


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--original-src",
        default=None,
        help="a checkout of github.com/thulab/DeepHash (the folder holding DeepHash/)",
    )
    parser.add_argument("--batch-size", type=int, default=32)
    # 15: with 5, the median still held some of the library's slower first steps after the
    # warm-up call and read 0.90x where 15 steps read 1.01-1.02x on the same machine.
    parser.add_argument("--steps", type=int, default=15, help="timed training steps per side")
    parser.add_argument("--encode", type=int, default=3, help="timed ten-view encoding batches")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--dtype-policy",
        default="float32",
        help="the library side's Keras dtype policy: float32 (the original's arithmetic) or "
        "mixed_bfloat16 (bfloat16 convolutions and matrix products, float32 weights, LRN and "
        "hash layer; fast on CPUs with AVX512_BF16 or AMX). The original stays float32.",
    )
    return parser.parse_args(argv)


def random_weights(rng):
    """conv1..fc8 with the original's shapes: He-scaled normals keep activations finite."""
    import numpy as np

    from keras_hashing.backbones.weights import ALEXNET_SHAPES

    weights = {}
    shapes = dict(ALEXNET_SHAPES, fc8=[(4096, BITS), (BITS,)])
    for name, (kernel_shape, bias_shape) in shapes.items():
        fan_in = int(np.prod(kernel_shape[:-1]))
        kernel = rng.normal(0, np.sqrt(2.0 / fan_in), kernel_shape).astype("float32")
        weights[name] = [kernel, np.full(bias_shape, 0.1, "float32")]
    weights["fc8"][0] *= 0.1  # keeps tanh away from saturation
    return weights


def import_original(source, threads):
    """thulab/DeepHash's DCH class, its modules seeing the TF1 API through the shims."""
    import numpy as np
    import tensorflow as tf

    package = os.path.join(os.path.abspath(source), "DeepHash")
    if not os.path.isfile(os.path.join(package, "model", "dch", "dch.py")):
        raise SystemExit(
            f"--original-src {source}: expected a thulab/DeepHash checkout with "
            f"DeepHash/model/dch/dch.py, found no such file under {package}."
        )
    compat = tf.compat.v1

    class TF1(types.ModuleType):
        """`import tensorflow as tf` in the original's modules: the TF1 API of TensorFlow 2."""

        def __getattr__(self, name):
            return getattr(compat, name)

        @staticmethod
        def ConfigProto(**kwargs):  # noqa: N802 - the TF1 name
            kwargs.setdefault("intra_op_parallelism_threads", threads)
            kwargs.setdefault("inter_op_parallelism_threads", threads)
            return compat.ConfigProto(**kwargs)

    class NumPy(types.ModuleType):
        """Their `np`: `np.float` (removed in NumPy 1.24) and `np.load` of pickled dicts."""

        float = float

        def __getattr__(self, name):
            return getattr(np, name)

        @staticmethod
        def load(*args, **kwargs):
            return np.load(*args, allow_pickle=True, **kwargs)

    import matplotlib.pyplot  # noqa: F401 - imported before the swap below, never through it

    saved = sys.modules["tensorflow"]
    sys.path.insert(0, package)
    sys.modules["tensorflow"] = TF1("tensorflow")
    try:
        from model.dch.dch import DCH as OriginalDCH
    finally:
        sys.modules["tensorflow"] = saved
        sys.path.remove(package)
    numpy_shim = NumPy("numpy")
    for module in list(sys.modules.values()):
        if getattr(module, "__file__", None) and module.__file__.startswith(package):
            if getattr(module, "np", None) is np:
                module.np = numpy_shim
    return OriginalDCH


def build_original(OriginalDCH, weights_file, batch_size, workdir):
    import tensorflow as tf

    config = types.SimpleNamespace(
        lr=0.005,
        q_lambda=0.0,
        gamma=20.0,
        dataset="bench",
        save_dir=workdir,
        log_dir=workdir,
        img_model="alexnet",
        batch_size=batch_size,
        val_batch_size=batch_size,
        output_dim=BITS,
        label_dim=LABELS,
        model_weights=weights_file,
        with_tanh=True,
        decay_step=10000,
        decay_factor=0.5,
        finetune_all=True,
    )
    graph = tf.Graph()
    with graph.as_default():
        model = OriginalDCH(config)
    return model


def build_library(weights_file, batch_size):
    from keras_hashing.backbones import AlexNet
    from keras_hashing.backbones.weights import load_alexnet_npy
    from keras_hashing.layers import CaffeCrop
    from keras_hashing.models import DCH
    from keras_hashing.optimizers import deephash_optimizer

    model = DCH(AlexNet(), code_length=BITS, gamma=20.0, preprocessor=CaffeCrop(seed=0))
    model.build((None, 256, 256, 3))
    model.set_deephash_weights(load_alexnet_npy(weights_file), source=weights_file)
    model.compile(optimizer=deephash_optimizer(0.005, 10000, 0.5))
    return model


def main(argv=None):
    args = parse_args(argv)
    if args.original_src is None:
        print(
            "bench_alexnet_step: no --original-src given, nothing to compare against. Pass a "
            "checkout of https://github.com/thulab/DeepHash (git clone it anywhere), e.g. "
            "--original-src /tmp/DeepHash."
        )
        return None
    import numpy as np
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    import keras

    from keras_hashing.backbones.weights import save_alexnet_npy

    keras.utils.set_random_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    batch = args.batch_size
    images = rng.integers(0, 256, (batch, 256, 256, 3), dtype=np.uint8)
    labels = np.eye(LABELS, dtype="float32")[rng.integers(0, LABELS, batch)]
    workdir = tempfile.mkdtemp(prefix="bench_alexnet_step_")
    weights_file = os.path.join(workdir, "random_weights.npy")
    save_alexnet_npy(weights_file, random_weights(rng))

    OriginalDCH = import_original(args.original_src, args.threads)
    original = build_original(OriginalDCH, weights_file, batch, workdir)
    keras.config.set_dtype_policy(args.dtype_policy)
    library = build_library(weights_file, batch)

    # The original's placeholder is float32; the library takes the uint8 images as they come.
    original_feed = {original.img: images.astype("float32"), original.img_label: labels}
    encode_feed = dict(original_feed)
    encode_feed[original.stage] = 1

    def original_step():
        original.sess.run([original.train_op, original.loss], feed_dict=original_feed)

    def library_step():
        library.train_on_batch(images, labels)

    def original_encode():
        return original.sess.run(original.img_last_layer, feed_dict=encode_feed)

    def library_encode():
        return library.predict_on_batch(images)

    # Encoding first (untrained, identical weights): both must give the same codes' inputs,
    # to float32 round-off; under a mixed policy, the difference is printed.
    library_outputs, original_outputs = library_encode(), original_encode()
    if args.dtype_policy == "float32":
        np.testing.assert_allclose(library_outputs, original_outputs, rtol=1e-3, atol=1e-4)
    else:
        difference = np.abs(library_outputs - original_outputs)
        print(
            f"{args.dtype_policy}: ten-view outputs differ from the original's by at most "
            f"{difference.max():.4f} (mean {difference.mean():.4f})"
        )
    wall, cpu = {}, {}
    for name, pairs, count in (
        ("encode", (("library", library_encode), ("original", original_encode)), args.encode),
        ("step", (("library", library_step), ("original", original_step)), args.steps),
    ):
        for _, function in pairs:  # warm-up: tracing, graph optimisation, memory pools
            function()
        for _ in range(count):
            for side, function in pairs:
                start, start_cpu = time.perf_counter(), time.process_time()
                function()
                wall.setdefault((name, side), []).append(time.perf_counter() - start)
                cpu.setdefault((name, side), []).append(time.process_time() - start_cpu)
    median = {key: float(np.median(value)) for key, value in wall.items()}
    median_cpu = {key: float(np.median(value)) for key, value in cpu.items()}

    print(
        f"DCH {BITS} bits, CaffeNet AlexNet, batch {batch} of 256x256 images (227 crops), random "
        f"weights, {args.threads} threads, backend {keras.backend.backend()}, library dtype "
        f"policy {args.dtype_policy} (original float32), median of "
        f"{args.steps} steps / {args.encode} encoding batches, sides alternating"
    )
    print(f"{'':<30}{'library':>9}{'original':>10}{'ratio':>8}{'CPU-time ratio':>16}")
    for name, label in (
        ("step", "training step (images/s)"),
        ("encode", "ten-view encoding (img/s)"),
    ):
        ours = batch / median[(name, "library")]
        theirs = batch / median[(name, "original")]
        by_cpu = median_cpu[(name, "original")] / median_cpu[(name, "library")]
        print(f"{label:<30}{ours:>9.2f}{theirs:>10.2f}{ours / theirs:>7.2f}x{by_cpu:>15.2f}x")
    return median


if __name__ == "__main__":
    main()
