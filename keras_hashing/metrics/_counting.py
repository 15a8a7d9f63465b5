"""Hamming ranking without a sort: per query, a counting pass over the database (numba).

A Hamming distance between `D`-bit codes takes one of `D + 1` values, so ordering a query's
database by distance with ties by database index is a counting sort: count the items at each
distance, turn the counts into the first position of each distance, then walk the database in
index order handing out positions. The position of every relevant item is all that average
precision needs, so nothing is ever sorted or stored per pair.

Codes are packed into `uint64` words (bit set = negative sign) and compared with XOR and the
CPU's popcount; labels are packed the same way (bit set = label present), so "shares a label"
is one AND per word. `rank_by_hamming` returns, per query and per distance, how many items and
how many relevant items fall in the first `cutoff` positions and the sum of their AP terms
`(rank among relevant) / position`; mAP@R, top-k mAP and the curves over every radius all read
from those three small `(Q, keys)` tables.

Codes whose entries may be 0 (`torch.sign` of DHN_PyTorch) rank by the key
`D - q.x = 2 * hamming`, computed from a second "non-zero" bit plane.
"""

import numpy as np

from keras_hashing.metrics import _core

_WORD_BITS = 64
_KERNEL = None


def pack_bits(mask):
    """`(N, B)` bool as `(N, ceil(B / 64))` uint64 words, bit `b % 64` of word `b // 64`."""
    mask = np.ascontiguousarray(mask, dtype=bool)
    rows, width = mask.shape
    words = max(1, -(-width // _WORD_BITS))
    padded = np.zeros((rows, words * _WORD_BITS), dtype=bool)
    padded[:, :width] = mask
    packed = np.packbits(padded, axis=1, bitorder="little")
    # packbits gives bytes in bit order; read eight at a time as little-endian words.
    return np.ascontiguousarray(packed).view("<u8").astype(np.uint64, copy=False)


def _compile():
    """Builds the kernel on first use (numba is imported only when a metric needs it)."""
    import numba
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

    return rank_by_hamming_kernel


def _kernel():
    global _KERNEL
    if _KERNEL is None:
        _KERNEL = _compile()
    return _KERNEL


class PackedCodes:
    """Sign codes packed for `rank_by_hamming`: sign bits, non-zero bits, width in bits."""

    def __init__(self, codes):
        codes = np.asarray(codes)
        self.bits = codes.shape[1]
        self.signs = pack_bits(codes < 0)
        nonzero = codes != 0
        self.with_zeros = not bool(np.all(nonzero))
        self.nonzero = pack_bits(nonzero)


def rank_by_hamming(
    query_codes,
    database_codes,
    query_labels,
    database_labels,
    cutoff=None,
    chunk_size=None,
    verbose="auto",
    description="Hamming ranking",
):
    """Per-query, per-distance tables of the first `cutoff` items of the Hamming ranking.

    Items are ranked by Hamming distance, ties by database index (a stable sort's order).

    Args:
        query_codes: `(Q, D)` codes; only the sign of each entry is read (-, 0 or +).
        database_codes: `(N, D)` codes.
        query_labels: `(Q, L)` labels; an item is relevant when some label is > 0 on both sides
            (`y_q . y_x > 0` for non-negative labels).
        database_labels: `(N, L)` labels.
        cutoff: int or None (all `N`): positions `0..cutoff-1` count.
        chunk_size: queries per kernel call (a progress-bar step); None picks ~4M pairs.
        verbose: bool or "auto", a tqdm bar over chunks.
        description: the bar's label.

    Returns:
        `(counts, hits, sums)`, each `(Q, keys)`: items, relevant items and the sum of
        `(rank among relevant) / position` over those relevant items, at each key. The key is
        the Hamming distance (`keys = D + 1`), or `2 * hamming` (`keys = 2D + 1`) when some
        code has an exact zero.
    """
    query = PackedCodes(query_codes)
    database = PackedCodes(database_codes)
    with_zeros = query.with_zeros or database.with_zeros
    bits = query.bits
    num_keys = 2 * bits + 1 if with_zeros else bits + 1
    num_database = database.signs.shape[0]
    cutoff = num_database if cutoff is None else int(cutoff)
    query_labels = pack_bits(np.asarray(query_labels) > 0)
    database_labels = pack_bits(np.asarray(database_labels) > 0)
    num_query = query.signs.shape[0]
    counts = np.zeros((num_query, num_keys), np.int64)
    hits = np.zeros((num_query, num_keys), np.int64)
    sums = np.zeros((num_query, num_keys), np.float64)
    kernel = _kernel()
    bounds = _core.chunk_bounds(num_query, num_database, chunk_size)
    for start, stop in _core.progress(bounds, verbose, num_query, num_database, description):
        kernel(
            query.signs[start:stop],
            database.signs,
            query.nonzero[start:stop],
            database.nonzero,
            query_labels[start:stop],
            database_labels,
            bits,
            with_zeros,
            cutoff,
            counts[start:stop],
            hits[start:stop],
            sums[start:stop],
        )
    return counts, hits, sums
