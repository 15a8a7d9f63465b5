"""What the Fashion-MNIST input pipeline costs the main job's training step, in one process.

The same preset DCH model (SmallCNN, flip + shifts + Cutout in the model) trains `--steps`
updates twice, with the main job's callbacks: once from the real pipeline
(`load_retrieval_data("fashion_mnist").train`, shuffled gathers from memory), once from one
batch held in memory and repeated, which costs no input work at all. The pipeline's share of
the step is `1 - reference / real`; the main job needs it at most 15%.

    python benchmarks/bench_input_pipeline.py --steps 300
"""

import argparse
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def _time_steps(model, dataset, steps, callbacks):
    start = time.perf_counter()
    model.fit(dataset, steps_per_epoch=steps, epochs=1, verbose=0, callbacks=callbacks)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=300, help="timed updates per pipeline")
    parser.add_argument("--warmup", type=int, default=30, help="untimed updates first")
    parser.add_argument("--batch-size", type=int, default=128, help="training batch size")
    args = parser.parse_args()

    import keras
    import tensorflow as tf

    from keras_hashing.callbacks import IterationProgress
    from keras_hashing.callbacks import StopAtStep
    from keras_hashing.data.registry import load_retrieval_data
    from keras_hashing.models.presets import fashion_mnist_dch
    from keras_hashing.optimizers import deephash_optimizer

    data = load_retrieval_data("fashion_mnist", batch_size=args.batch_size, seed=0)
    real = data.train.repeat()
    one_batch = next(iter(data.train))
    cached = tf.data.Dataset.from_tensors(one_batch).repeat()
    rows = []
    for name, dataset in (("real pipeline", real), ("one cached batch", cached)):
        keras.utils.set_random_seed(0)
        model = fashion_mnist_dch(32, seed=0)
        model.compile(optimizer=deephash_optimizer(0.05, 6000, 0.1))
        total = args.warmup + args.steps
        callbacks = [StopAtStep(10**9), IterationProgress(total, every=10**9)]
        _time_steps(model, dataset, args.warmup, callbacks)
        seconds = _time_steps(model, dataset, args.steps, callbacks)
        rows.append((name, 1000.0 * seconds / args.steps))
    print(f"\nDCH 32 bits, preset SmallCNN, batch {args.batch_size}, {args.steps} timed steps")
    print(f"{'input':<18} {'ms/step':>8}")
    for name, ms in rows:
        print(f"{name:<18} {ms:>8.1f}")
    share = 1.0 - rows[1][1] / rows[0][1]
    print(f"input pipeline share of the step: {100.0 * share:.1f}% (target <= 15%)")


if __name__ == "__main__":
    main()
