"""Speed of mAP@ALL: the vectorised keras_hashing.metrics.map_after_sign vs a per-query loop.

1 000 queries x 69 000 database items (the Fashion-MNIST protocol sizes) at 64 bits, random
+-1 codes and 10 random classes from a seeded generator. The loop computes one query's Hamming
row, sorts the whole row with NumPy's stable argsort (ties by database index, the same rule as
the library's default) and takes the AP; the two values are asserted equal. One run each.

    python benchmarks/bench_evaluation.py [--queries 1000] [--database 69000] [--bits 64]
"""

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def loop_map(query, query_labels, database, database_labels):
    bits = query.shape[1]
    positions = np.arange(1, len(database) + 1, dtype=np.float64)
    aps = []
    for i in range(len(query)):
        hamming = 0.5 * (bits - database @ query[i])
        order = np.argsort(hamming, kind="stable")
        relevant = (database_labels[order] @ query_labels[i]) > 0
        hits = np.cumsum(relevant)
        if hits[-1]:
            aps.append(np.sum(hits / positions * relevant) / hits[-1])
    return float(np.mean(aps))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--database", type=int, default=69000)
    parser.add_argument("--bits", type=int, default=64)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    from keras_hashing.metrics import map_after_sign

    rng = np.random.default_rng(args.seed)
    query = rng.choice(np.array([-1.0, 1.0], np.float32), (args.queries, args.bits))
    database = rng.choice(np.array([-1.0, 1.0], np.float32), (args.database, args.bits))
    query_labels = np.eye(args.classes, dtype=np.float32)[
        rng.integers(0, args.classes, args.queries)
    ]
    database_labels = np.eye(args.classes, dtype=np.float32)[
        rng.integers(0, args.classes, args.database)
    ]

    start = time.perf_counter()
    library = map_after_sign(query, query_labels, database, database_labels, None, verbose=False)
    library_seconds = time.perf_counter() - start
    start = time.perf_counter()
    loop = loop_map(query, query_labels, database, database_labels)
    loop_seconds = time.perf_counter() - start
    np.testing.assert_allclose(library, loop, rtol=1e-12)

    print(
        f"mAP@ALL, {args.queries} queries x {args.database} items, {args.bits} bits, "
        f"{args.classes} classes (value {library:.6f} on both)"
    )
    print(f"{'routine':<42}{'seconds':>10}")
    print(f"{'keras_hashing.metrics.map_after_sign':<42}{library_seconds:>10.3f}")
    print(f"{'per-query loop, stable argsort of the row':<42}{loop_seconds:>10.3f}")
    print(f"{'ratio (loop / library)':<42}{loop_seconds / library_seconds:>10.1f}")
    return library_seconds, loop_seconds


if __name__ == "__main__":
    main()
