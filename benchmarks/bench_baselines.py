"""LSH, PCAH and ITQ on the Fashion-MNIST protocol at 16/32/64 bits, beside the yardsticks.

    python benchmarks/bench_baselines.py                  # the full table (about 2 min, 2 cores)
    python benchmarks/bench_baselines.py --bits 32 --methods itq --threads 1

Protocol (shared/benchmark_protocol.md): raw pixels scaled to [0, 1] and flattened (784), each
baseline fitted on the 5 000 training images, 1 000 queries against the 69 000 database items;
mAP@ALL (R = 69 000) over Hamming ranking with ties broken by database index (stable sort),
relevance = same label. Also mAP@1000, precision and recall within Hamming radius 2, fit time
and encoding throughput. The reported mAP@ALL comes from `keras_hashing.metrics.map_after_sign`
(with --private-map, or if it is missing, from the small vectorised `_map_at_r` below); the
library's mAP@ALL and radius-2 precision/recall are checked against the private ones to 1e-5.
"""

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# shared/benchmark_protocol.md, "Yardsticks measured on this split".
YARDSTICKS = {
    "lsh": {16: 0.268, 32: 0.373, 64: 0.396},
    "pcah": {16: 0.304, 32: 0.267, 64: 0.236},
    "itq": {16: 0.457, 32: 0.478, 64: 0.484},
}


def _hamming_order(query_codes, database_codes):
    """Distances (Q, N) and the stable Hamming ranking (ties by database index) of +-1 codes."""
    bits = query_codes.shape[1]
    dots = query_codes.astype(np.float32) @ database_codes.astype(np.float32).T
    distances = np.rint((bits - dots) / 2).astype(np.int64)
    return distances, np.argsort(distances, axis=1, kind="stable")


def _map_at_r(query_codes, query_labels, database_codes, database_labels, R, batch_size=100):
    """mAP@R as thulab/DeepHash defines it (spec deephash.md §7.2), Hamming ranking with ties by
    index: AP over the top R normalised by the relevant items among them; queries with none
    are skipped."""
    aps = []
    for start in range(0, len(query_codes), batch_size):
        stop = start + batch_size
        _, order = _hamming_order(query_codes[start:stop], database_codes)
        top = order[:, :R]
        relevant = query_labels[start:stop] @ database_labels.T > 0
        relevant = np.take_along_axis(relevant, top, axis=1).astype(np.float64)
        hits = np.cumsum(relevant, axis=1)
        precision = hits / np.arange(1, top.shape[1] + 1)
        counts = relevant.sum(axis=1)
        keep = counts > 0
        aps.append((precision * relevant).sum(axis=1)[keep] / counts[keep])
    return float(np.mean(np.concatenate(aps)))


def _radius_precision_recall(
    query_codes, query_labels, database_codes, database_labels, radius=2, batch_size=100
):
    """Mean precision and recall of the items within Hamming `radius` (spec §7.5: a query that
    retrieves nothing scores 0 and is counted)."""
    precisions, recalls = [], []
    for start in range(0, len(query_codes), batch_size):
        stop = start + batch_size
        bits = query_codes.shape[1]
        dots = query_codes[start:stop].astype(np.float32) @ database_codes.astype(np.float32).T
        inside = np.rint((bits - dots) / 2) <= radius
        relevant = query_labels[start:stop] @ database_labels.T > 0
        retrieved = inside.sum(axis=1)
        hits = (inside & relevant).sum(axis=1)
        precisions.append(np.where(retrieved > 0, hits / np.maximum(retrieved, 1), 0.0))
        recalls.append(np.where(retrieved > 0, hits / relevant.sum(axis=1), 0.0))
    return float(np.mean(np.concatenate(precisions))), float(np.mean(np.concatenate(recalls)))


def _library_metrics():
    try:
        from keras_hashing.metrics import map_after_sign
        from keras_hashing.metrics import precision_recall_at_radius
    except ImportError:
        return None, None
    return map_after_sign, precision_recall_at_radius


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bits", default="16,32,64")
    parser.add_argument("--methods", default="lsh,pcah,itq")
    parser.add_argument("--seed", type=int, default=0, help="seed of LSH and ITQ")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument(
        "--private-map",
        action="store_true",
        help="use the benchmark's own mAP even if keras_hashing.metrics has one",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=0,
        help="> 0: limit BLAS/OpenMP threads (threadpoolctl); on a busy machine "
        "1 avoids oversubscription, which makes the tiny ITQ loop crawl",
    )
    args = parser.parse_args()
    if args.threads > 0:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=args.threads)

    from keras_hashing import baselines
    from keras_hashing.data.fashion_mnist import load_fashion_mnist

    split = load_fashion_mnist(args.data_dir)
    train = split.train_images.reshape(len(split.train_images), -1).astype(np.float32) / 255.0
    query = split.query_images.reshape(len(split.query_images), -1).astype(np.float32) / 255.0
    database = (
        split.database_images.reshape(len(split.database_images), -1).astype(np.float32) / 255.0
    )
    R = len(database)
    library_map, library_radius = (None, None) if args.private_map else _library_metrics()
    map_source = (
        "keras_hashing.metrics.map_after_sign"
        if library_map is not None
        else "benchmarks/bench_baselines.py::_map_at_r (private)"
    )
    print(
        f"Fashion-MNIST protocol: train {len(train)}, query {len(query)}, database {R}; "
        f"mAP from {map_source}"
    )

    header = (
        f"{'method':<6}{'bits':>5}{'mAP@ALL':>9}{'yardstick':>10}{'diff':>8}"
        f"{'mAP@1000':>10}{'P@r2':>8}{'R@r2':>8}{'fit s':>8}{'enc img/s':>11}"
    )
    print(header)
    print("-" * len(header))
    worst = 0.0
    for method in args.methods.split(","):
        for bits in [int(b) for b in args.bits.split(",")]:
            kwargs = {} if method == "pcah" else {"seed": args.seed}
            start = time.perf_counter()
            hasher = baselines.get(method, bits, **kwargs).fit(train)
            fit_seconds = time.perf_counter() - start
            start = time.perf_counter()
            database_codes = hasher.encode(database)
            encode_rate = len(database) / (time.perf_counter() - start)
            query_codes = hasher.encode(query)

            private = _map_at_r(
                query_codes, split.query_labels, database_codes, split.database_labels, R
            )
            if library_map is not None:
                map_all = float(
                    library_map(
                        query_codes,
                        split.query_labels,
                        database_codes,
                        split.database_labels,
                        R,
                        tie_break="index",
                        verbose=False,
                    )
                )
                if abs(map_all - private) > 1e-5:
                    raise RuntimeError(
                        f"{method} {bits}: map_after_sign {map_all:.6f} differs "
                        f"from the private mAP {private:.6f}."
                    )
            else:
                map_all = private
            map_1000 = _map_at_r(
                query_codes, split.query_labels, database_codes, split.database_labels, 1000
            )
            precision, recall = _radius_precision_recall(
                query_codes, split.query_labels, database_codes, split.database_labels
            )
            if library_radius is not None:
                lib_precision, lib_recall, _ = library_radius(
                    query_codes,
                    split.query_labels,
                    database_codes,
                    split.database_labels,
                    radius=2,
                    verbose=False,
                )
                if max(abs(lib_precision - precision), abs(lib_recall - recall)) > 1e-6:
                    raise RuntimeError(
                        f"{method} {bits}: precision_recall_at_radius disagrees "
                        f"with the private computation."
                    )
            yardstick = YARDSTICKS.get(method, {}).get(bits)
            diff = "" if yardstick is None else f"{map_all - yardstick:+.3f}"
            if yardstick is not None:
                worst = max(worst, abs(map_all - yardstick))
            print(
                f"{method.upper():<6}{bits:>5}{map_all:>9.4f}"
                f"{'' if yardstick is None else f'{yardstick:.3f}':>10}{diff:>8}"
                f"{map_1000:>10.4f}{precision:>8.4f}{recall:>8.4f}{fit_seconds:>8.2f}"
                f"{encode_rate:>11.0f}"
            )
    print(f"largest |mAP@ALL - yardstick| = {worst:.4f}")


if __name__ == "__main__":
    main()
