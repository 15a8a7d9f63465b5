"""ICM encoding throughput: `keras_hashing.quantization.icm_encode` against a per-sample loop.

    python benchmarks/bench_icm.py                       # M=4, K=256, D=64, 20 000 outputs
    python benchmarks/bench_icm.py --num 5000 --label-dim 10
    python benchmarks/bench_icm.py --threads 1             # one BLAS thread (busy machines)

Both encoders run the same ICM (spec deephash.md §5.3: codes start empty, `--sweeps` sweeps
over the codebooks in orders drawn from `numpy.random.default_rng(seed)`, ties to the lowest
codeword) on random outputs and a random dense codebook (the additive quantizer DVSQ/DTQ hold
after their first least-squares update). The reference is the obvious NumPy implementation:
for each sweep and codebook, a Python loop over samples computing `||r - C_m[k]||^2` for all
`k`. The codes must be identical; the table gives codes per second and the speed-up.
"""

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def loop_icm(outputs, codebook, num_codebooks, num_codewords, sweeps, seed, label_embeddings=None):
    """Per-codebook loop over samples, each sample's K distances at once (float64)."""
    rng = np.random.default_rng(seed)
    orders = [rng.permutation(num_codebooks) for _ in range(sweeps)]
    outputs = np.asarray(outputs, np.float64)
    blocks = np.asarray(codebook, np.float64).reshape(num_codebooks, num_codewords, -1)
    weights = None if label_embeddings is None else np.asarray(label_embeddings, np.float64)
    indices = np.zeros((len(outputs), num_codebooks), np.int64)
    assigned = np.zeros(num_codebooks, bool)
    for order in orders:
        for m in order:
            others = [j for j in range(num_codebooks) if j != m and assigned[j]]
            for i in range(len(outputs)):
                residual = outputs[i].copy()
                for j in others:
                    residual -= blocks[j, indices[i, j]]
                diff = residual - blocks[m]
                if weights is not None:
                    diff = diff @ weights.T
                indices[i, m] = np.argmin(np.einsum("kd,kd->k", diff, diff))
            assigned[m] = True
    return indices


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num", type=int, default=20000)
    parser.add_argument("--num-codebooks", type=int, default=4)
    parser.add_argument("--num-codewords", type=int, default=256)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--sweeps", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument(
        "--label-dim",
        type=int,
        default=0,
        help="> 0: DVSQ's ||V r||^2 cost with a random (label-dim, dim) V",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--threads",
        type=int,
        default=0,
        help="> 0: limit BLAS/OpenMP threads (threadpoolctl); on a busy machine "
        "1 avoids oversubscription",
    )
    args = parser.parse_args()
    if args.threads > 0:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=args.threads)

    from keras_hashing.quantization import icm_encode

    rng = np.random.default_rng(args.seed)
    M, K, D = args.num_codebooks, args.num_codewords, args.dim
    outputs = np.tanh(rng.normal(size=(args.num, D))).astype(np.float32)
    codebook = (rng.normal(size=(M * K, D)) / np.sqrt(M)).astype(np.float32)
    weights = (
        rng.normal(size=(args.label_dim, D)).astype(np.float32) if args.label_dim > 0 else None
    )

    start = time.perf_counter()
    fast = icm_encode(
        outputs,
        codebook,
        M,
        K,
        sweeps=args.sweeps,
        seed=args.seed,
        label_embeddings=weights,
        batch_size=args.batch_size,
        return_indices=True,
    )
    fast_seconds = time.perf_counter() - start
    start = time.perf_counter()
    slow = loop_icm(outputs, codebook, M, K, args.sweeps, args.seed, weights)
    slow_seconds = time.perf_counter() - start
    mismatches = int(np.sum(np.any(fast != slow, axis=1)))
    if mismatches:
        raise AssertionError(f"{mismatches} of {args.num} codes differ between the encoders.")

    cost = "||V r||^2" if weights is not None else "||r||^2"
    print(
        f"ICM, N={args.num}, M={M}, K={K}, D={D}, sweeps={args.sweeps}, cost {cost}, "
        f"chunks of {args.batch_size}, BLAS threads {args.threads or 'default'}; "
        f"codes identical"
    )
    print(f"{'encoder':<44}{'seconds':>9}{'codes/s':>12}")
    print(
        f"{'keras_hashing.quantization.icm_encode':<44}{fast_seconds:>9.2f}"
        f"{args.num / fast_seconds:>12.0f}"
    )
    print(
        f"{'per-codebook NumPy loop over samples':<44}{slow_seconds:>9.2f}"
        f"{args.num / slow_seconds:>12.0f}"
    )
    print(f"speed-up: {slow_seconds / fast_seconds:.1f}x")


if __name__ == "__main__":
    main()
