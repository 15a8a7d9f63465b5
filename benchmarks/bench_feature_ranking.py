"""Speed of mAP@ALL by feature (`map_at_r`): chunks of queries on every core vs on one thread.

Ranking real-valued outputs has no counting shortcut: each query's database row is sorted
(NumPy's stable argsort, ties by database index). `keras_hashing.metrics` ranks chunks of
queries side by side on threads (`_core.map_chunks`; NumPy's sorts and indexing release the
GIL). This times `map_at_r` on 1 000 queries x 69 000 database items (the Fashion-MNIST protocol
sizes), 32-d random outputs and 10 random classes from a seeded generator, with
`KERAS_HASHING_METRIC_THREADS=1` (the reference: one thread) and unset (one thread per core,
at most 8), interleaved `--repeats` times, keeping each one's best time. BLAS runs on one thread
in both. The two values are asserted equal.

    python benchmarks/bench_feature_ranking.py [--queries 1000] [--database 69000] [--dim 32]
"""

import os

# One BLAS thread, set before NumPy loads: the comparison is of the chunk threads alone.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

THREADS = "KERAS_HASHING_METRIC_THREADS"


def timed(function, threads):
    if threads is None:
        os.environ.pop(THREADS, None)
    else:
        os.environ[THREADS] = str(threads)
    start = time.perf_counter()
    value = function()
    return time.perf_counter() - start, value


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--database", type=int, default=69000)
    parser.add_argument("--dim", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    from keras_hashing.metrics import map_at_r

    rng = np.random.default_rng(0)
    query = rng.normal(size=(args.queries, args.dim)).astype(np.float32)
    database = rng.normal(size=(args.database, args.dim)).astype(np.float32)
    # Outputs that lean towards their class, so the mAP is not that of a random ranking.
    classes = rng.normal(size=(10, args.dim)).astype(np.float32)
    query_classes = rng.integers(0, 10, args.queries)
    database_classes = rng.integers(0, 10, args.database)
    query += classes[query_classes]
    database += classes[database_classes]
    query_labels = np.eye(10, dtype=np.float32)[query_classes]
    database_labels = np.eye(10, dtype=np.float32)[database_classes]

    def run():
        return map_at_r(query, query_labels, database, database_labels, None, verbose=False)

    best = {1: float("inf"), None: float("inf")}
    values = {}
    for _ in range(args.repeats):
        for threads in best:
            seconds, values[threads] = timed(run, threads)
            best[threads] = min(best[threads], seconds)
    os.environ.pop(THREADS, None)
    assert values[1] == values[None], values
    from keras_hashing.metrics._core import metric_threads

    cores = metric_threads()
    print(
        f"map_at_r, {args.queries} x {args.database}, {args.dim}-d outputs, mAP@ALL "
        f"{values[None]:.4f} (equal on both)"
    )
    print(f"one thread:        {best[1]:.2f} s")
    print(f"{cores} threads:         {best[None]:.2f} s  ({best[1] / best[None]:.2f}x)")


if __name__ == "__main__":
    main()
