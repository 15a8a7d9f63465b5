"""AlexNet grouped convolution: `Conv2D(groups=2)` vs split-and-concatenate, CPU training step.

    python benchmarks/bench_grouped_conv.py                       # batch 32, 3 timed steps
    KERAS_BACKEND=jax python benchmarks/bench_grouped_conv.py --steps 5

Builds `keras_hashing.backbones.AlexNet(grouped_conv=...)` for each implementation with the same
weights plus a 32-bit tanh head, compiles a training step (SGD, mean-squared error to random
targets), runs one warm-up step, then times `--steps` steps of `train_on_batch` on random
227x227 crops. Prints images/s for both and the ratio groups/split.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import keras
    import numpy as np

    from keras_hashing.backbones import AlexNet

    rng = np.random.default_rng(args.seed)
    images = rng.normal(0, 50, (args.batch_size, 227, 227, 3)).astype("float32")
    targets = np.tanh(rng.normal(size=(args.batch_size, 32))).astype("float32")

    reference_weights = None
    rates = {}
    for implementation in ("groups", "split"):
        keras.utils.set_random_seed(args.seed)
        backbone = AlexNet(grouped_conv=implementation)
        if reference_weights is None:
            reference_weights = backbone.get_weights()
        else:
            backbone.set_weights(reference_weights)
        model = keras.Sequential([backbone, keras.layers.Dense(32, activation="tanh")])
        model.compile(optimizer=keras.optimizers.SGD(1e-4, momentum=0.9), loss="mse")
        model.train_on_batch(images, targets)  # compile / trace
        start = time.perf_counter()
        for _ in range(args.steps):
            model.train_on_batch(images, targets)
        seconds = time.perf_counter() - start
        rates[implementation] = args.steps * args.batch_size / seconds
        del model, backbone

    print(
        f"backend {keras.backend.backend()}, batch {args.batch_size}, {args.steps} timed steps, "
        f"{os.cpu_count()} CPU cores"
    )
    print(f"{'implementation':<16}{'images/s':>10}")
    for implementation, rate in rates.items():
        print(f"{implementation:<16}{rate:>10.2f}")
    print(f"ratio groups/split: {rates['groups'] / rates['split']:.3f}")


if __name__ == "__main__":
    main()
