"""DRSH on Fashion-MNIST: mAP@ALL of the batched mode against ITQ on the same features, and the
training speed of the faithful mode (batch 1) against the batched mode (batch 64), in one run.

    python benchmarks/bench_drsh.py                      # 16/32/64 bits, prints two tables
    python benchmarks/bench_drsh.py --bits 32 --epochs 2 # quicker

Protocol split (shared/benchmark_protocol.md): 5 000 training images, 1 000 queries, 69 000
database images, mAP@ALL by Hamming ranking (ties by database index), no selection on the
queries. Visual feature: the flattened pixels in [0, 1] less the training mean, rescaled to a mean
L2 norm of 4 096 (`--feature-norm`, chosen on a validation split; 784-d; ITQ sees the same
features and is scale-invariant). Attributes:
GloVe 6B 50-d vectors of the top-3 class names ranked by a LogisticRegression fitted on the
training images, stacked in vocabulary order (data/drsh/prepare_fashion_mnist.py). Triplets:
the original's rules on the training ids (positive: same class; negative: another class).

CIFAR-10 (`--dataset cifar10 --data-dir DIR`, DIR written by data/drsh/prepare_cifar10.py):

    python benchmarks/bench_drsh.py --dataset cifar10 --data-dir ~/data/drsh_cifar10 --bits 32

DeepHash lists (5 000 training images, 1 000 queries, 54 000 database images, mAP@ALL =
mAP@54000). Visual feature: the pooled 1 280-d ImageNet EfficientNet-Lite0 features (centre
crop), re-centred on the training ids and rescaled to `--feature-norm` here (CIFAR10_FEATURE_NORM
by default, chosen on a validation split); attributes: GloVe vectors of each image's top-k
ImageNet classes (the folder fixes k). `--validation N` holds out N training ids as queries
against the same database.
"""

import argparse
import os
import sys
import time

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for path in (_ROOT, os.path.join(_ROOT, "data", "drsh")):
    if path not in sys.path:
        sys.path.insert(0, path)


# Mean L2 norm of the centred pixel features (8.1 unscaled), chosen on a validation split
# (--validation 1000, 32 bits, 10 epochs; ITQ 0.498 there): x8 / x32 / x128 / x512 / x2048 gave
# DRSH mAP 0.531 / 0.550 / 0.564 / 0.578 / 0.567 (x128 with 20 epochs: 0.565). Unscaled, the
# absolute margin 2 with divisor 32 is out of reach for most of a short training and the run
# spends itself inflating W_feat (0.35 after 20 epochs); see data/drsh/prepare_fashion_mnist.py.
FEATURE_NORM = 4096.0
# Mean L2 norm of the centred ImageNet Lite0 features on CIFAR-10 (12.4 unscaled), chosen on a
# validation split (--validation 500, 32 bits; ITQ 0.323 there): norm 512 / 2048 / 8192 gave DRSH
# mAP 0.4485 / 0.4481 / 0.4373 after 10 epochs, and 512 with 20 epochs 0.4469.
CIFAR10_FEATURE_NORM = 512.0


def parse(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="fashion_mnist", choices=["fashion_mnist", "cifar10"])
    parser.add_argument(
        "--data-dir",
        default=None,
        help="cifar10: the folder written by data/drsh/prepare_cifar10.py",
    )
    parser.add_argument("--bits", type=int, nargs="+", default=[16, 32, 64])
    parser.add_argument(
        "--hidden-dim",
        type=int,
        default=64,
        help="LSTM width for the quality runs (the original's 512 is used for the speed rows)",
    )
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument(
        "--epochs", type=int, default=10, help="passes over the 5 000 training anchors"
    )
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument(
        "--feature-norm",
        type=float,
        default=None,
        help="mean L2 norm the centred features are scaled to (0: unscaled; default "
        f"{FEATURE_NORM:g} for fashion_mnist, CIFAR10_FEATURE_NORM for cifar10)",
    )
    parser.add_argument(
        "--validation",
        type=int,
        default=0,
        help="hold out this many training images as queries (tuning; never tune on the queries)",
    )
    parser.add_argument(
        "--top-k", type=int, default=3, help="fashion_mnist (cifar10: the data folder fixes it)"
    )
    parser.add_argument("--speed-bits", type=int, default=32)
    parser.add_argument(
        "--speed-steps", type=int, default=20, help="0 skips the training-speed table"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.dataset == "cifar10" and not args.data_dir:
        parser.error("--dataset cifar10 needs --data-dir (data/drsh/prepare_cifar10.py --out-dir)")
    if args.feature_norm is None:
        default = FEATURE_NORM if args.dataset == "fashion_mnist" else CIFAR10_FEATURE_NORM
        args.feature_norm = default or 0.0
    return args


def load_prepared(data_dir, feature_norm=None, validation=0, seed=0):
    """The arrays of a prepared DRSH folder, features re-centred and rescaled on its training ids.

    Args:
        data_dir: a folder written by `keras_hashing.data.drsh.write_drsh_files` with a database.
        feature_norm: float or None: the mean L2 norm of the centred training features (None or
            0: the centring alone). The folder's own centring and scale do not matter: centring
            and rescaling to a norm undo any earlier affine map of this form.
        validation: int, default 0: hold out this many training ids (uniformly at random,
            `numpy.random.default_rng(seed)`) as the queries; the protocol's queries are dropped
            and the held-out ids leave the database if it has them.

    Returns:
        dict as `prepare_fashion_mnist.build_arrays` (`class_names`, `feature_mean`,
        `feature_scale` and `<part>_ids/_features/_attributes/_labels` for train, query,
        database).
    """
    import numpy as np

    from keras_hashing.data.drsh import feature_normalisation
    from keras_hashing.data.drsh import read_drsh_files

    arrays = read_drsh_files(data_dir)
    if "database_ids" not in arrays:
        raise ValueError(f"{data_dir} has no databaseid.npy; the benchmark needs a database.")
    fields = ("ids", "features", "attributes", "labels")

    def take(part, rows):
        return {
            f"{part}_{k}": (
                [arrays[f"{part}_ids"][r] for r in rows]
                if k == "ids"
                else arrays[f"{part}_{k}"][rows]
            )
            for k in fields
        }

    if validation:
        num_train = len(arrays["train_ids"])
        if not 0 < validation < num_train:
            raise ValueError(
                f"--validation must be in 1..{num_train - 1} for {num_train} training ids, "
                f"found {validation}."
            )
        held = np.sort(np.random.default_rng(seed).choice(num_train, validation, replace=False))
        kept = np.setdiff1d(np.arange(num_train), held)
        held_ids = {arrays["train_ids"][r] for r in held}
        in_database = [r for r, key in enumerate(arrays["database_ids"]) if key not in held_ids]
        arrays.update(
            {
                **{k.replace("train_", "query_", 1): v for k, v in take("train", held).items()},
                **take("database", np.asarray(in_database, np.int64)),
                **take("train", kept),
            }
        )
    mean, scale = feature_normalisation(arrays["train_features"], feature_norm or None)
    for part in ("train", "query", "database"):
        arrays[f"{part}_features"] = (arrays[f"{part}_features"] - mean) * scale
    arrays["feature_mean"], arrays["feature_scale"] = mean, scale
    return arrays


def train_drsh(arrays, bits, args, mode="batched", hidden_dim=None, batch_size=None, steps=None):
    import keras

    from keras_hashing.data.drsh import ArrayEntries
    from keras_hashing.data.drsh import DRSHTripletSampler
    from keras_hashing.data.drsh import Membership
    from keras_hashing.data.drsh import drsh_triplet_dataset
    from keras_hashing.models import DRSH
    from keras_hashing.optimizers import DRSHAdam

    keras.utils.set_random_seed(args.seed)
    batch_size = batch_size or args.batch_size
    ids = arrays["train_ids"]
    features = ArrayEntries(ids, arrays["train_features"], "feature array")
    attributes = ArrayEntries(ids, arrays["train_attributes"], "attribute array")
    membership = Membership.from_labels(ids, arrays["train_labels"], arrays["class_names"])
    sampler = DRSHTripletSampler(membership, ids, arrays["query_ids"], seed=args.seed)
    dataset = drsh_triplet_dataset(features, attributes, sampler, batch_size)
    model = DRSH(
        bits,
        hidden_dim or args.hidden_dim,
        mode=mode,
        feature_dim=features.shape[0],
        attribute_shape=attributes.shape,
    )
    model.compile(
        optimizer=DRSHAdam() if mode == "faithful" else keras.optimizers.Adam(args.lr, epsilon=1e-8)
    )
    if steps is None:
        steps_per_epoch = len(ids) // batch_size
        start = time.time()
        model.fit(dataset, steps_per_epoch=steps_per_epoch, epochs=args.epochs, verbose=0)
        return model, time.time() - start, steps_per_epoch * args.epochs
    model.fit(dataset, steps_per_epoch=3, epochs=1, verbose=0)  # compile and warm up
    start = time.time()
    model.fit(dataset, steps_per_epoch=steps, epochs=1, verbose=0)
    return model, time.time() - start, steps


def main(argv=None):
    args = parse(argv)
    import warnings

    from prepare_fashion_mnist import build_arrays

    warnings.filterwarnings("ignore")
    start = time.time()
    if args.dataset == "cifar10":
        arrays = load_prepared(
            os.path.expanduser(args.data_dir), args.feature_norm, args.validation, args.seed
        )
        print(
            f"features and attributes read in {time.time() - start:.0f} s "
            f"({len(arrays['train_ids'])} train, {len(arrays['query_ids'])} queries, "
            f"{len(arrays['database_ids'])} database)"
        )
        return run_tables(args, arrays)
    split = None
    if args.validation:
        from keras_hashing.data import load_fashion_mnist

        split = load_fashion_mnist().validation_split(
            args.validation, seed=args.seed, database="database"
        )
    arrays = build_arrays(
        split, top_k=args.top_k, seed=args.seed, feature_norm=args.feature_norm or None
    )
    elapsed = time.time() - start
    accuracy = (
        arrays["classifier"].predict(
            arrays["query_features"] / arrays["feature_scale"] + arrays["feature_mean"]
        )
        == arrays["query_labels"].argmax(1)
    ).mean()
    print(
        f"features and attributes ready in {elapsed:.0f} s "
        f"(classifier query accuracy "
        f"{accuracy:.3f})"
    )
    return run_tables(args, arrays)


def run_tables(args, arrays):
    """Trains and evaluates every bit length, prints the quality and speed tables."""
    import numpy as np

    from keras_hashing.baselines import ITQ
    from keras_hashing.metrics import map_after_sign

    R = len(arrays["database_ids"])
    rows = []
    for bits in args.bits:
        itq = ITQ(bits, seed=args.seed).fit(arrays["train_features"])
        itq_map = map_after_sign(
            itq.encode(arrays["query_features"]),
            arrays["query_labels"],
            itq.encode(arrays["database_features"]),
            arrays["database_labels"],
            R,
        )
        model, seconds, steps = train_drsh(arrays, bits, args)
        t0 = time.time()
        database_codes = model.encode(arrays["database_features"])
        encode_rate = len(database_codes) / max(time.time() - t0, 1e-9)
        drsh_map = map_after_sign(
            model.encode(arrays["query_features"]),
            arrays["query_labels"],
            database_codes,
            arrays["database_labels"],
            R,
        )
        rows.append((bits, itq_map, drsh_map, seconds, steps, encode_rate))
        print(
            f"{bits} bits: ITQ {itq_map:.4f}  DRSH {drsh_map:.4f}  "
            f"({steps} steps in {seconds:.0f} s)",
            flush=True,
        )
    print()
    if args.dataset == "cifar10":
        num_slots, num_words = arrays["train_attributes"].shape[1:]
        split = "validation" if args.validation else "test"
        norm = np.linalg.norm(arrays["train_features"], axis=1).mean()
        print(
            f"CIFAR-10 mAP@ALL (R={R}, {len(arrays['query_ids'])} {split} queries), ImageNet "
            f"Lite0 pooled {arrays['train_features'].shape[1]}-d (mean norm {norm:.4g}), "
            f"attributes top-{num_slots} ImageNet classes x {num_words}-d GloVe, DRSH batched: "
            f"hidden {args.hidden_dim}, batch {args.batch_size}, Adam {args.lr}, "
            f"{args.epochs} epochs of {len(arrays['train_ids'])} triplets"
        )
    else:
        print(
            f"Fashion-MNIST mAP@ALL (R={R}), pixels 784-d (norm {args.feature_norm:g}), "
            f"DRSH batched: hidden {args.hidden_dim}, "
            f"batch {args.batch_size}, Adam {args.lr}, {args.epochs} epochs of 5 000 triplets"
        )
    print("| bits | ITQ | DRSH (batched) | DRSH train s | steps | encode img/s |")
    print("|---|---|---|---|---|---|")
    for bits, itq_map, drsh_map, seconds, steps, rate in rows:
        print(f"| {bits} | {itq_map:.4f} | {drsh_map:.4f} | {seconds:.0f} | {steps} | {rate:.0f} |")

    speed = []
    if not args.speed_steps:
        return rows, speed
    for mode, batch in (("faithful", 1), ("batched", 64)):
        _, seconds, steps = train_drsh(
            arrays,
            args.speed_bits,
            args,
            mode=mode,
            hidden_dim=512,
            batch_size=batch,
            steps=args.speed_steps,
        )
        speed.append((mode, batch, steps / seconds, steps * batch / seconds))
    print()
    print(
        f"Training speed, {args.speed_bits} bits, hidden 512 (the original's), {args.speed_steps} "
        f"timed steps after warm-up, backend {__import__('keras').backend.backend()}"
    )
    print("| mode | batch | steps/s | triplets/s |")
    print("|---|---|---|---|")
    for mode, batch, steps_per_s, triplets_per_s in speed:
        print(f"| {mode} | {batch} | {steps_per_s:.2f} | {triplets_per_s:.1f} |")
    return rows, speed


if __name__ == "__main__":
    main()
