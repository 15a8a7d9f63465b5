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
    # numba is imported only when a metric needs it.
    from keras_hashing.metrics._hamming_kernel import rank_by_hamming_kernel

    bounds = _core.chunk_bounds(num_query, num_database, chunk_size)
    for start, stop in _core.progress(bounds, verbose, num_query, num_database, description):
        rank_by_hamming_kernel(
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
