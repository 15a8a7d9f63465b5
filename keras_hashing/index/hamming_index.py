"""Exhaustive Hamming search over packed binary codes, backed by faiss."""

import numpy as np


def pack_codes(codes):
    """Packs `{-1, +1}` (or `{0, 1}`) codes `(N, D)` into `(N, D / 8)` uint8, bit 1 for +1.

    `D` must be a multiple of 8 (faiss binary indexes store whole bytes).
    """
    codes = np.asarray(codes)
    if codes.ndim != 2:
        raise ValueError(f"codes must be a 2-D (N, D) array, found shape {codes.shape}.")
    if codes.shape[1] % 8:
        raise ValueError(
            f"code length must be a multiple of 8 to pack into bytes, found D={codes.shape[1]}."
        )
    return np.packbits(codes > 0, axis=1)


class HammingIndex:
    """A database of binary codes answering k-nearest-neighbour queries by Hamming distance.

    Uses `faiss.IndexBinaryFlat` (exhaustive, popcount-based). Ties in distance are returned in
    ascending database order, the same rule as `keras_hashing.metrics`.

    Args:
        code_length: int, bits per code (a multiple of 8).

    Example:
    >>> import numpy as np
    >>> index = HammingIndex(16)
    >>> database = np.where(np.random.default_rng(0).normal(size=(100, 16)) > 0, 1, -1)
    >>> index.add(database)
    >>> distances, ids = index.search(database[:2], k=3)
    >>> ids[:, 0].tolist(), distances[:, 0].tolist()
    ([0, 1], [0, 0])
    """

    def __init__(self, code_length):
        import faiss

        if int(code_length) <= 0 or int(code_length) % 8:
            raise ValueError(
                f"`code_length` must be a positive multiple of 8, found {code_length!r}."
            )
        self.code_length = int(code_length)
        self._index = faiss.IndexBinaryFlat(self.code_length)

    def __len__(self):
        return int(self._index.ntotal)

    def add(self, codes):
        """Appends `(N, code_length)` `{-1, +1}` codes; their ids continue from `len(self)`."""
        packed = self._pack(codes)
        self._index.add(packed)

    def search(self, query_codes, k):
        """The `k` nearest database codes of each query: `(distances, ids)`, both `(Q, k)`.

        Distances are Hamming distances (int32); ids are int64 database positions. When the
        database holds fewer than `k` codes the missing places have id -1.
        """
        if int(k) <= 0:
            raise ValueError(f"`k` must be positive, found {k!r}.")
        distances, ids = self._index.search(self._pack(query_codes), int(k))
        # faiss orders equal distances by id already for the flat index; make it explicit.
        order = np.lexsort((np.where(ids < 0, np.iinfo(np.int64).max, ids), distances), axis=1)
        return (
            np.take_along_axis(distances, order, axis=1).astype(np.int32),
            np.take_along_axis(ids, order, axis=1),
        )

    def _pack(self, codes):
        codes = np.asarray(codes)
        if codes.ndim != 2 or codes.shape[1] != self.code_length:
            raise ValueError(
                f"expected codes of shape (N, {self.code_length}), found {codes.shape}."
            )
        return pack_codes(codes)

    def save(self, path):
        """Writes the index with `faiss.write_index_binary`."""
        import faiss

        faiss.write_index_binary(self._index, str(path))

    @classmethod
    def load(cls, path):
        import faiss

        raw = faiss.read_index_binary(str(path))
        index = cls(raw.d)
        index._index = raw
        return index
