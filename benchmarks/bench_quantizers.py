"""DQN, DVSQ and DTQ on the Fashion-MNIST protocol (SmallCNN) at 16/32/64 bits.

"Bits" of a quantizer are `M * log2(K)`: K = 256 and M = 2 / 4 / 8. Prints mAP@ALL by feature
(inner product on the real outputs), AQD and SQD (asymmetric and symmetric quantizer distances),
Hamming mAP@ALL of sign(outputs) for comparison with the hashing methods, and training time.
Hyperparameters are the originals' (optimiser, lr, decay, cq_lambda, batch sizes, margins)
except the iteration budget; the network is the Fashion-MNIST preset of the DCH runs
(`--backbone preset`: SmallCNN 32-64-128/512 with flips and 2-pixel shifts; `small` for
SmallCNN's defaults). No choice is made on the query set: tune with `--validation 1000` (1 000
training images held out as queries).

    python benchmarks/bench_quantizers.py                      # all three, 16/32/64 bits
    python benchmarks/bench_quantizers.py --methods dqn --bits 32 --iterations 500
    python benchmarks/bench_quantizers.py --methods dvsq --bits 32 --validation 1000

The recipe of the README table starts the preset SmallCNN from classification weights
(`benchmarks/pretrain_small_cnn.py`, the stand-in for the originals' ImageNet AlexNet) and keeps
each original's fine-tuning rate and schedule:

    python benchmarks/pretrain_small_cnn.py --out small_cnn.weights.h5
    python benchmarks/bench_quantizers.py --backbone-weights small_cnn.weights.h5 \
        --iterations 2000 --dtq-epochs 2

Validation split, 32 bits, AQD mAP@ALL: from scratch DQN 0.633 and DVSQ 0.747 (800 iterations),
DVSQ 0.770 (3 000 iterations, cosine decay), DTQ 0.750 (3 epochs); from the pretrained backbone
(weights made with `--validation 1000` too) DQN 0.857, DVSQ 0.839 (2 000 iterations), DTQ 0.869
(2 epochs). The classification features alone give 0.790 (cosine, 512 dimensions).
"""

import argparse
import time

import numpy as np

from keras_hashing.metrics import map_at_r
from keras_hashing.recipes.deephash.quantizers import FASHION_MNIST_GLOVE
from keras_hashing.recipes.deephash.quantizers import load_quantizer_data
from keras_hashing.recipes.deephash.quantizers import quantize_sets


def hamming_map(query, query_labels, database, database_labels):
    return map_at_r(np.sign(query), query_labels, np.sign(database), database_labels, len(database))


def run(method, bits, data, args):
    import keras

    from keras_hashing.backbones import SmallCNN
    from keras_hashing.callbacks import CodebookUpdate
    from keras_hashing.callbacks import TripletQuantizationUpdate
    from keras_hashing.callbacks import update_period
    from keras_hashing.data import TripletSampler
    from keras_hashing.data import indexed_dataset
    from keras_hashing.data import label_embeddings
    from keras_hashing.data import triplet_dataset
    from keras_hashing.models import DQN
    from keras_hashing.models import DTQ
    from keras_hashing.models import DVSQ
    from keras_hashing.models.presets import fashion_mnist_backbone
    from keras_hashing.models.presets import fashion_mnist_preprocessor
    from keras_hashing.optimizers import deephash_optimizer
    from keras_hashing.recipes import fit_variable_epochs

    keras.utils.set_random_seed(args.seed)

    def backbone_and_augmentation():
        # "preset": the DCH Fashion-MNIST recipe (SmallCNN 32-64-128/512, flips and 2-pixel
        # shifts); "small": SmallCNN's defaults without augmentation.
        if args.backbone == "small":
            return {"backbone": SmallCNN()}
        return {
            "backbone": fashion_mnist_backbone(weights=args.backbone_weights),
            "preprocessor": fashion_mnist_preprocessor(
                seed=args.seed, inference_views=args.inference_views, cutout=args.cutout
            ),
        }

    M, K = bits // 8, 256
    n = data.num_train
    if method in ("dqn", "dvsq"):
        if method == "dqn":
            model = DQN(
                **backbone_and_augmentation(),
                code_length=args.dqn_dim,
                num_train=n,
                num_codebooks=M,
                num_codewords=K,
                cq_lambda=1e-4,
                num_labels=10,
            )
            lr = 0.002
        else:
            V = label_embeddings(data.class_names, FASHION_MNIST_GLOVE, file_format="glove")
            model = DVSQ(
                **backbone_and_augmentation(),
                label_embeddings=V,
                num_train=n,
                num_codebooks=M,
                num_codewords=K,
                cq_lambda=1e-4,
            )
            lr = 0.02
        model.build((None, 28, 28, 1))
        optimizer = deephash_optimizer(
            lr * args.lr_scale,
            500,
            0.5,
            schedule=args.lr_schedule,
            total_steps=args.iterations,
        )
        model.compile(optimizer=optimizer)
        steps = n // 256
        start = time.time()
        model.fit(
            indexed_dataset(
                data.train_inputs, data.train_labels, 256, shuffle_seed=args.seed
            ).repeat(),
            steps_per_epoch=steps,
            epochs=max(1, args.iterations // steps),
            verbose=0,
            callbacks=[CodebookUpdate(update_period(n, 256), seed=args.seed, verbose=0)],
        )
        seconds = time.time() - start
        sets = quantize_sets(model, data, seed=args.seed)
    else:
        model = DTQ(
            **backbone_and_augmentation(),
            code_length=64,
            num_train=n,
            num_codebooks=M,
            num_codewords=K,
            cq_lambda=0.0,
            triplet_margin=30.0,
            num_labels=10,
        )
        model.build((None, 28, 28, 1))
        model.compile(optimizer=deephash_optimizer(3e-5 * args.lr_scale, 10000, 0.1))
        sampler = TripletSampler(
            data.train_inputs,
            data.train_labels,
            128,
            margin=30.0,
            strategy="margin",
            n_part=20,
            threshold=64000,
            seed=args.seed,
        )
        start = time.time()
        # One fit per epoch: every epoch trains on all its mined batches (one `fit` call would
        # cap later epochs at the first epoch's batch count).
        history = fit_variable_epochs(
            model,
            triplet_dataset(sampler),
            args.dtq_epochs,
            [TripletQuantizationUpdate(sampler, seed=args.seed, verbose=0)],
            verbose=0,
        )
        print(f"DTQ triplets per epoch: {history.get('num_triplets')}", flush=True)
        seconds = time.time() - start
        sets = quantize_sets(model, data, seed=args.seed, database_codebook_fit=True)
    report = sets.report(data, data.top_k)
    report["hamming"] = hamming_map(
        sets.query_outputs, data.query_labels, sets.database_outputs, data.database_labels
    )
    report["seconds"] = seconds
    report["steps"] = int(keras.ops.convert_to_numpy(model.optimizer.iterations))
    return report


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", nargs="+", default=["dqn", "dvsq", "dtq"])
    parser.add_argument("--bits", nargs="+", type=int, default=[16, 32, 64])
    parser.add_argument(
        "--iterations", type=int, default=800, help="DQN/DVSQ steps (original 5000)"
    )
    parser.add_argument("--dtq-epochs", type=int, default=3, help="DTQ epochs (original 100)")
    parser.add_argument("--dqn-dim", type=int, default=300)
    parser.add_argument("--lr-scale", type=float, default=1.0)
    parser.add_argument(
        "--lr-schedule",
        choices=("step", "cosine"),
        default="step",
        help="DQN/DVSQ: step = the originals' x0.5 every 500 steps; cosine: a half cosine to 0 "
        "over --iterations",
    )
    parser.add_argument(
        "--backbone",
        choices=("preset", "small"),
        default="preset",
        help="preset: the DCH Fashion-MNIST recipe (keras_hashing.models.presets); small: "
        "SmallCNN defaults, no augmentation",
    )
    parser.add_argument(
        "--backbone-weights",
        default=None,
        help="preset only: start SmallCNN from this .weights.h5 file "
        "(benchmarks/pretrain_small_cnn.py; use the file made with the same --validation)",
    )
    parser.add_argument(
        "--inference-views",
        type=int,
        choices=(1, 10),
        default=1,
        help="preset only: 10 encodes each image as the mean over ten crops and mirrors",
    )
    parser.add_argument(
        "--cutout",
        type=int,
        default=None,
        help="preset only: side of the Cutout square (default: the preset's; 0: none)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--validation",
        type=int,
        default=0,
        help="hold out this many training images as queries (tuning; never tune on the queries)",
    )
    args = parser.parse_args(argv)
    if args.cutout is None:
        from keras_hashing.models.presets import FASHION_MNIST_CUTOUT

        args.cutout = FASHION_MNIST_CUTOUT
    data = load_quantizer_data(
        "fashion_mnist", None, 100, args.seed, validation=args.validation or None
    )
    print(
        f"train {data.num_train}, query {len(data.query)}, "
        f"database {len(data.database)}, R = {data.top_k}"
    )
    header = (
        f"{'method':6} {'bits':>4} {'M':>2} {'by feature':>10} {'AQD':>7} {'SQD':>7} "
        f"{'sign':>7} {'steps':>6} {'train s':>8}"
    )
    print(header)
    for method in args.methods:
        for bits in args.bits:
            r = run(method, bits, data, args)
            print(
                f"{method:6} {bits:>4} {bits // 8:>2} {r['i2i_nocq']:>10.4f} {r['i2i_AQD']:>7.4f} "
                f"{r['i2i_SQD']:>7.4f} {r['hamming']:>7.4f} {r['steps']:>6} {r['seconds']:>8.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
