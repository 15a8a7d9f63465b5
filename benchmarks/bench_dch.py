"""DCH on the Fashion-MNIST protocol at 16/32/64 bits, beside the LSH/PCAH/ITQ yardsticks.

    python benchmarks/bench_dch.py                 # the full table (about 30 min on 2 CPU cores)
    python benchmarks/bench_dch.py --bits 32 --iter-num 200   # a quick look

Protocol (shared/benchmark_protocol.md): 5 000 training images, 1 000 queries, 69 000 database
items; mAP@ALL over Hamming ranking with ties by database index. Nothing is selected on the
query set: the Fashion-MNIST recipe (`keras_hashing.models.presets`: SmallCNN 32-64-128/512 with
weight decay 5e-4, random flip, 2-pixel shifts and 10-pixel Cutout, ten inference views, gamma
40; lr 0.05 (0.02 below 32 bits) decayed x0.1 after 6 000 of 8 000 iterations, batch 128) was
chosen with `--validation 1000`, which holds 1 000 training images out as queries against the
protocol database less them. The original's defaults (lr 0.005, gamma 20, 2 000 iterations) are for
fine-tuning a pretrained AlexNet.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bits", default="16,32,64")
    parser.add_argument("--iter-num", type=int, default=8000)
    parser.add_argument(
        "--lr",
        type=float,
        default=None,
        help="default: the preset's (0.02 below 32 bits, else 0.05)",
    )
    parser.add_argument("--decay-step", type=int, default=6000)
    parser.add_argument(
        "--lr-schedule",
        choices=("step", "cosine"),
        default="step",
        help="step: x0.1 at --decay-step; cosine: a half cosine to 0 over --iter-num",
    )
    parser.add_argument(
        "--cutout", type=int, default=None, help="Cutout square side (default: the preset's)"
    )
    parser.add_argument(
        "--validation",
        type=int,
        default=0,
        help="hold this many training images out as queries (model selection)",
    )
    parser.add_argument("--gamma", type=float, default=40.0)
    parser.add_argument(
        "--inference-views",
        type=int,
        default=10,
        choices=(1, 2, 10),
        help="10: mean output over corner/centre crops and mirrors (the 10-crop analogue); "
        "2: the image and its mirror",
    )
    parser.add_argument("--q-lambda", type=float, default=0.0)
    parser.add_argument("--filters", default=None, help="SmallCNN filters, e.g. 32,64,128")
    parser.add_argument("--units", type=int, default=None, help="SmallCNN feature width")
    parser.add_argument("--weight-decay", type=float, default=None, help="SmallCNN L2 weight decay")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-baselines", action="store_true")
    parser.add_argument(
        "--backbone-weights",
        default=None,
        help="start the preset SmallCNN from this .weights.h5 (benchmarks/pretrain_small_cnn.py)",
    )
    parser.add_argument(
        "--dtype-policy",
        default="float32",
        help="Keras dtype policy of the model: float32, or mixed_bfloat16 (bfloat16 "
        "convolutions, float32 weights and hash layer)",
    )
    args = parser.parse_args()

    import keras

    keras.config.set_dtype_policy(args.dtype_policy)

    from keras_hashing import baselines
    from keras_hashing.callbacks import StopAtStep
    from keras_hashing.data.registry import load_retrieval_data
    from keras_hashing.metrics import map_after_sign
    from keras_hashing.metrics import precision_recall_at_radius
    from keras_hashing.models.presets import FASHION_MNIST_CUTOUT
    from keras_hashing.models.presets import fashion_mnist_dch
    from keras_hashing.models.presets import fashion_mnist_dch_learning_rate
    from keras_hashing.optimizers import deephash_optimizer

    data = load_retrieval_data(
        "fashion_mnist",
        batch_size=args.batch_size,
        val_batch_size=1000,
        seed=args.seed,
        validation=args.validation or None,
    )
    rows = []
    for bits in [int(b) for b in args.bits.split(",")]:
        keras.utils.set_random_seed(args.seed)
        backbone = {}
        if args.filters:
            backbone["filters"] = tuple(int(f) for f in args.filters.split(","))
        if args.units:
            backbone["units"] = args.units
        if args.weight_decay is not None:
            backbone["weight_decay"] = args.weight_decay
        model = fashion_mnist_dch(
            bits,
            gamma=args.gamma,
            q_lambda=args.q_lambda,
            seed=args.seed,
            backbone=backbone,
            inference_views=args.inference_views,
            cutout=FASHION_MNIST_CUTOUT if args.cutout is None else args.cutout,
            backbone_weights=args.backbone_weights,
        )
        lr = fashion_mnist_dch_learning_rate(bits) if args.lr is None else args.lr
        model.compile(
            optimizer=deephash_optimizer(
                lr, args.decay_step, 0.1, schedule=args.lr_schedule, total_steps=args.iter_num
            )
        )
        steps = data.num_train // args.batch_size
        epochs = -(-args.iter_num // steps)
        start = time.time()
        model.fit(
            data.train.repeat(),
            steps_per_epoch=steps,
            epochs=epochs,
            verbose=0,
            callbacks=[StopAtStep(args.iter_num)],
        )
        train_seconds = time.time() - start
        start = time.time()
        database = model.predict(data.database, verbose=0)
        encode_rate = len(database) / (time.time() - start)
        query = model.predict(data.query, verbose=0)
        rows.append(
            _row(
                f"DCH {bits}",
                query,
                database,
                data,
                map_after_sign,
                precision_recall_at_radius,
                train_seconds,
                encode_rate,
            )
        )
        print(f"DCH {bits} bits: mAP@ALL {rows[-1][1]:.4f}", flush=True)  # long runs: show progress
    if not args.no_baselines and not args.validation:
        from keras_hashing.data.fashion_mnist import load_fashion_mnist

        split = load_fashion_mnist()

        def pixels(images):
            return images.reshape(len(images), -1).astype("float32") / 255.0

        for name in ("LSH", "PCAH", "ITQ"):
            for bits in [int(b) for b in args.bits.split(",")]:
                start = time.time()
                method = (
                    baselines.get(name, bits, seed=0)
                    if name != "PCAH"
                    else baselines.get(name, bits)
                )
                method.fit(pixels(split.train_images))
                train_seconds = time.time() - start
                start = time.time()
                database = method.encode(pixels(split.database_images)).astype("float32")
                encode_rate = len(database) / (time.time() - start)
                query = method.encode(pixels(split.query_images)).astype("float32")
                rows.append(
                    _row(
                        f"{name} {bits}",
                        query,
                        database,
                        data,
                        map_after_sign,
                        precision_recall_at_radius,
                        train_seconds,
                        encode_rate,
                    )
                )
    header = (
        f"{'method':<10} {'mAP@ALL':>8} {'mAP@1000':>9} {'P@r<=2':>7} {'train s':>8} "
        f"{'enc img/s':>10}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row[0]:<10} {row[1]:8.4f} {row[2]:9.4f} {row[3]:7.4f} {row[4]:8.1f} {row[5]:10.0f}"
        )


def _row(
    name,
    query,
    database,
    data,
    map_after_sign,
    precision_recall_at_radius,
    train_seconds,
    encode_rate,
):
    args = (query, data.query_labels, database, data.database_labels)
    map_all = map_after_sign(*args, len(database))
    map_1000 = map_after_sign(*args, 1000)
    precision, _, _ = precision_recall_at_radius(*args, radius=2)
    return (name, map_all, map_1000, precision, train_seconds, encode_rate)


if __name__ == "__main__":
    main()
