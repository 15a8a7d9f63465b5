"""The numba kernel of `keras_hashing.metrics._counting`, in a module of its own.

Importing this module imports numba, so `_counting` imports it on first use only. The kernel and
its `popcount` intrinsic live at module level so that `cache=True` works: numba keys its on-disk
cache by the function's module and qualified name, and a kernel built inside a function was
compiled again in every new process (about 7 s on 2 cores before the first metric).
"""

import numba
import numpy as np
from numba import types
from numba.extending import intrinsic


@intrinsic
def popcount(typingctx, word):
    # LLVM's ctpop becomes the CPU's POPCNT instruction on the host target. The count is
    # typed int64 so that sums of counts stay integers (int64 + uint64 is float64 in numba).
    if word != types.uint64:
        return None

    def codegen(context, builder, signature, args):
        return builder.ctpop(args[0])

    return types.int64(types.uint64), codegen


@numba.njit(cache=True, nogil=True)
def rank_by_hamming_kernel(
    query_signs,
    database_signs,
    query_nonzero,
    database_nonzero,
    query_labels,
    database_labels,
    bits,
    with_zeros,
    cutoff,
    counts,
    hits,
    sums,
):
    num_database, num_words = database_signs.shape
    num_label_words = database_labels.shape[1]
    num_keys = counts.shape[1]
    keys = np.empty(num_database, np.int32)
    relevant = np.empty(num_database, np.bool_)
    next_position = np.empty(num_keys, np.int64)
    next_rank = np.empty(num_keys, np.int64)
    kept_hits = np.empty(num_keys, np.int64)
    kept_sums = np.empty(num_keys, np.float64)
    for i in range(query_signs.shape[0]):
        # Pass 1: every item's key and relevance, then how many items share each key. The
        # one-word cases (codes up to 64 bits, up to 64 labels) get loops LLVM vectorises.
        if with_zeros:
            for j in range(num_database):
                both = 0
                differ = 0
                for w in range(num_words):
                    nonzero = query_nonzero[i, w] & database_nonzero[j, w]
                    both += popcount(nonzero)
                    differ += popcount(nonzero & (query_signs[i, w] ^ database_signs[j, w]))
                keys[j] = bits - both + 2 * differ
        elif num_words == 1:
            word = query_signs[i, 0]
            for j in range(num_database):
                keys[j] = popcount(word ^ database_signs[j, 0])
        else:
            for j in range(num_database):
                key = 0
                for w in range(num_words):
                    key += popcount(query_signs[i, w] ^ database_signs[j, w])
                keys[j] = key
        if num_label_words == 1:
            word = query_labels[i, 0]
            for j in range(num_database):
                relevant[j] = (word & database_labels[j, 0]) != 0
        else:
            for j in range(num_database):
                shares = False
                for w in range(num_label_words):
                    shares |= (query_labels[i, w] & database_labels[j, w]) != 0
                relevant[j] = shares
        next_position[:] = 0
        next_rank[:] = 0
        for j in range(num_database):
            next_position[keys[j]] += 1
            next_rank[keys[j]] += relevant[j]
        # Counts -> the first position (and first rank among relevant items) of each key;
        # the items kept at a key are those of its positions below `cutoff`.
        position = 0
        rank = 0
        for k in range(num_keys):
            count = next_position[k]
            counts[i, k] = max(0, min(count, cutoff - position))
            next_position[k] = position
            position += count
            count = next_rank[k]
            next_rank[k] = rank
            rank += count
        kept_hits[:] = 0
        kept_sums[:] = 0.0
        # Pass 2: in database order, so equal keys keep their index order.
        for j in range(num_database):
            k = keys[j]
            p = next_position[k]
            next_position[k] = p + 1
            if relevant[j] and p < cutoff:
                r = next_rank[k] + 1
                next_rank[k] = r
                kept_hits[k] += 1
                kept_sums[k] += r / (p + 1.0)
        hits[i] = kept_hits
        sums[i] = kept_sums
