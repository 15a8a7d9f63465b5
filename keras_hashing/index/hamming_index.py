"""Hamming search over binary codes with faiss: k nearest, all within a radius, user ids.

Three faiss structures sit behind one interface:

- flat (default): `IndexBinaryFlat`, an exact popcount scan; `search` and `range_search` are
  exact.
- IVF (`nlist=...`): `IndexBinaryIVF`, which scans only the `nprobe` nearest of `nlist` binary
  k-means cells; approximate, for large collections (`benchmarks/bench_index.py` reports its
  recall against the flat index).
- hash (`hash_bits=...`): `IndexBinaryHash`, a hash table on the first `hash_bits` bits.
  `range_search(radius)` probes every bucket within `radius` bit flips, which finds every item
  within the radius (the distance on a subset of the bits never exceeds the full distance), so
  it is exact and, for DCH's radius 2, much faster than a scan. `search(k)` probes only the
  buckets within `max_flips` and is approximate.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import numpy.typing as npt

from keras_hashing import validation
from keras_hashing.index.binary_codes import num_code_bytes
from keras_hashing.index.binary_codes import pack_codes

_FORMAT = "keras_hashing.HammingIndex"
_FORMAT_VERSION = 1


def _faiss():
    try:
        import faiss
    except ImportError as error:  # pragma: no cover - faiss-cpu is a dependency
        raise ImportError(
            "HammingIndex needs faiss: pip install faiss-cpu (a keras_hashing dependency)."
        ) from error
    return faiss


def available_cores() -> int:
    """The CPU cores this process may run on (the affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def check_ids(ids: npt.ArrayLike | None, count: int, start: int, where: str) -> np.ndarray:
    """User ids of `count` new items as int64; default `start .. start + count - 1`."""
    if ids is None:
        return np.arange(start, start + count, dtype=np.int64)
    ids = np.asarray(ids)
    if ids.ndim != 1 or len(ids) != count:
        raise ValueError(f"{where}: `ids` must be 1-D with {count} entries, found {ids.shape}.")
    if count and not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"{where}: `ids` must be integers, found dtype {ids.dtype}.")
    ids = ids.astype(np.int64)
    if count and ids.min() < 0:
        raise ValueError(
            f"{where}: `ids` must be >= 0 (-1 marks a missing neighbour), found "
            f"{int(ids.min())} at position {int(ids.argmin())}."
        )
    unique, counts = np.unique(ids, return_counts=True)
    if np.any(counts > 1):
        raise ValueError(f"{where}: `ids` repeat {int(unique[counts > 1][0])}.")
    return ids


def clip_radius(radius: int, code_length: int, where: str) -> int:
    """`radius` checked as an integer >= 0, then capped at `code_length` (no farther code)."""
    return min(validation.nonnegative_int("radius", radius, where), code_length)


class HammingIndex:
    """A database of binary codes with user ids, searched by Hamming distance (faiss).

    Codes may be `{-1, +1}` (`model.encode`), `{0, 1}` or packed uint8 (`numpy.packbits`); any
    code length works (codes are zero-padded to whole bytes, which leaves distances unchanged).
    Equal distances are returned in the order the items were added, the tie rule of
    `keras_hashing.metrics` (faiss's heaps order ties by position; a test keeps this so).

    Searching an empty index is not an error: `search` returns rows of id -1 (distance -1) and
    `range_search` empty arrays, as for any query with fewer than `k` items in range.

    Args:
        code_length: int, bits per code.
        nlist: int or None, default None. With a value, an IVF index of `nlist` cells; it is
            trained by `train`, or on the first batch given to `add`.
        nprobe: int, default 1. Cells an IVF search visits (more: better recall, slower).
        hash_bits: int or None, default None. With a value (1..min(code_length, 63)), a hash
            table on the first `hash_bits` bits, for exact small-radius `range_search`.
        max_flips: int, default 2. Bit flips a hash-table `search` probes.
        threads: int or None, default None (every core this process may use). A search splits
            its queries into this many slices and scans each on its own thread (one faiss
            thread each); training and adding use this many faiss (OpenMP) threads.

    Example:
    >>> import numpy as np
    >>> codes = np.where(np.random.default_rng(0).normal(size=(100, 12)) > 0, 1, -1)
    >>> index = HammingIndex(12)
    >>> index.add(codes, ids=np.arange(1000, 1100))
    >>> distances, ids = index.search(codes[:2], k=3)
    >>> ids[:, 0].tolist(), distances[:, 0].tolist()
    ([1000, 1001], [0, 0])
    >>> radius_distances, radius_ids = index.range_search(codes[:1], radius=2)
    >>> int(radius_ids[0][0]), bool(radius_distances[0].max() <= 2)
    (1000, True)

    References:
        Cao et al., "Deep Cauchy Hashing for Hamming Space Retrieval", CVPR 2018 (radius-2
        Hamming-ball retrieval); faiss `IndexBinaryFlat`, `IndexBinaryIVF`, `IndexBinaryHash`.
    """

    def __init__(
        self,
        code_length: int,
        nlist: int | None = None,
        nprobe: int = 1,
        hash_bits: int | None = None,
        max_flips: int = 2,
        threads: int | None = None,
    ):
        faiss = _faiss()
        self.code_length = validation.positive_int("code_length", code_length, "HammingIndex")
        if nlist is not None and hash_bits is not None:
            raise ValueError(
                "HammingIndex: choose one structure, `nlist` (IVF) or `hash_bits` (hash "
                f"table), found both (nlist={nlist!r}, hash_bits={hash_bits!r})."
            )
        validation.positive_int("nprobe", nprobe, "HammingIndex")
        self.nlist = (
            None if nlist is None else validation.positive_int("nlist", nlist, "HammingIndex")
        )
        self.hash_bits = (
            None
            if hash_bits is None
            else validation.positive_int("hash_bits", hash_bits, "HammingIndex")
        )
        self.max_flips = validation.nonnegative_int("max_flips", max_flips, "HammingIndex")
        self.threads = threads
        # faiss binary indexes work on whole bytes; the zero padding does not change distances.
        dimension = 8 * num_code_bytes(self.code_length)
        if self.nlist is not None:
            self._quantizer = faiss.IndexBinaryFlat(dimension)
            self._index = faiss.IndexBinaryIVF(self._quantizer, dimension, self.nlist)
        elif self.hash_bits is not None:
            limit = min(self.code_length, 63)
            if not 1 <= self.hash_bits <= limit:
                raise ValueError(
                    f"HammingIndex: `hash_bits` must be in 1..{limit} for {self.code_length}-bit "
                    f"codes, found {hash_bits!r}."
                )
            self._index = faiss.IndexBinaryHash(dimension, self.hash_bits)
        else:
            self._index = faiss.IndexBinaryFlat(dimension)
        self.nprobe = int(nprobe)
        self._id_chunks = []
        self._ids = np.zeros(0, np.int64)

    # --- settings -------------------------------------------------------------------------
    @property
    def structure(self) -> str:
        """ "flat", "ivf" or "hash"."""
        return "ivf" if self.nlist is not None else "hash" if self.hash_bits is not None else "flat"

    @property
    def threads(self) -> int:
        """faiss threads used by this index's searches."""
        return self._threads

    @threads.setter
    def threads(self, value: int | None) -> None:
        if value is None:
            value = available_cores()
        self._threads = validation.positive_int("threads", value, "HammingIndex")

    @property
    def nprobe(self) -> int:
        """IVF cells a search visits (1 for the other structures)."""
        return self._nprobe

    @nprobe.setter
    def nprobe(self, value: int) -> None:
        self._nprobe = validation.positive_int("nprobe", value, "HammingIndex")
        if self.nlist is not None:
            self._index.nprobe = min(self._nprobe, self.nlist)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    @property
    def is_trained(self) -> bool:
        """False only for an IVF index whose cells are not trained yet."""
        return bool(self._index.is_trained)

    @property
    def ids(self) -> np.ndarray:
        """int64 ids of the stored items, in the order they were added."""
        if self._id_chunks:
            self._ids = np.concatenate([self._ids, *self._id_chunks])
            self._id_chunks = []
        return self._ids

    # --- building -------------------------------------------------------------------------
    def train(self, codes: npt.ArrayLike) -> None:
        """Trains the IVF cells (binary k-means) on `codes`; nothing to do for flat and hash."""
        packed = pack_codes(codes, self.code_length)
        if self.nlist is None:
            return
        if len(packed) < self.nlist:
            raise ValueError(
                f"HammingIndex: training {self.nlist} IVF cells needs at least {self.nlist} "
                f"codes, found {len(packed)}."
            )
        _faiss().omp_set_num_threads(self.threads)
        self._index.train(packed)

    def add(self, codes: npt.ArrayLike, ids: npt.ArrayLike | None = None) -> None:
        """Appends codes, with int64 `ids` (default: continuing from `len(self)`).

        May be called once per batch. An untrained IVF index is trained on the first batch.

        Args:
            codes: `(N, code_length)` `{-1, +1}` or `{0, 1}` codes, or packed uint8.
            ids: optional 1-D integers >= 0, one per code, unique in the index.
        """
        packed = pack_codes(codes, self.code_length)
        ids = check_ids(ids, len(packed), len(self), "HammingIndex.add")
        if len(self) and np.isin(ids, self.ids).any():
            raise ValueError(
                f"HammingIndex.add: id {int(ids[np.isin(ids, self.ids)][0])} is already in "
                "the index."
            )
        if not len(packed):
            return
        if not self.is_trained:
            self.train(packed)
        _faiss().omp_set_num_threads(self.threads)
        self._index.add(packed)
        self._id_chunks.append(ids)

    # --- searching ------------------------------------------------------------------------
    def _positions_to_ids(self, positions: np.ndarray) -> np.ndarray:
        ids = self.ids
        if not len(ids):
            return np.full(positions.shape, -1, np.int64)
        found = positions >= 0
        return np.where(found, ids[np.where(found, positions, 0)], -1)

    def search(self, query_codes: npt.ArrayLike, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The `k` nearest items of each query.

        Args:
            query_codes: `(Q, code_length)` codes in any accepted form.
            k: int > 0.

        Returns:
            `(distances, ids)`, int32 and int64 arrays `(Q, k)`, nearest first, ties in added
            order. Places beyond the items found (fewer than `k` stored, or an IVF probe that
            reached fewer) hold id -1 and distance -1.
        """
        k = validation.positive_int("k", k, "HammingIndex.search")
        queries = pack_codes(query_codes, self.code_length, "query_codes")
        if self.structure == "hash":
            self._index.nflip = self.max_flips
        parts = self._over_query_slices(lambda part: self._index.search(part, k), queries)
        distances = np.concatenate([part_distances for part_distances, _ in parts])
        positions = np.concatenate([part_positions for _, part_positions in parts])
        missing = positions < 0
        distances = distances.astype(np.int32, copy=False)
        if missing.any():
            distances[missing] = -1
        return distances, self._positions_to_ids(positions)

    def range_search(
        self, query_codes: npt.ArrayLike, radius: int
    ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Every item within Hamming distance `radius` (inclusive) of each query.

        Exact for the flat and hash structures; the IVF one searches its `nprobe` cells.

        Args:
            query_codes: `(Q, code_length)` codes in any accepted form.
            radius: int >= 0 (DCH retrieves within radius 2).

        Returns:
            `(distances, ids)`: two lists of `Q` arrays (int32, int64), each sorted by distance
            then added order; empty arrays for queries with nothing in range.
        """
        radius = clip_radius(radius, self.code_length, "HammingIndex.range_search")
        queries = pack_codes(query_codes, self.code_length, "query_codes")
        if self.structure == "hash":
            # Every bucket within `radius` flips of the query's holds every match: exact.
            self._index.nflip = min(radius, self.hash_bits)
        # faiss keeps distances strictly below its radius.
        parts = self._over_query_slices(
            lambda part: self._index.range_search(part, radius + 1), queries
        )
        distance_lists, id_lists = [], []
        for limits, distances, positions in parts:
            distances = distances.astype(np.int32)
            ids = self._positions_to_ids(positions)
            for start, stop in zip(limits[:-1], limits[1:]):
                order = np.lexsort((positions[start:stop], distances[start:stop]))
                distance_lists.append(distances[start:stop][order])
                id_lists.append(ids[start:stop][order])
        return distance_lists, id_lists

    def _over_query_slices(
        self, run: Callable[[np.ndarray], Any], queries: np.ndarray
    ) -> list[Any]:
        """`run` applied to up to `threads` consecutive slices of `queries`, results in order.

        faiss parallelises a binary search inside each batch of 32 queries, one OpenMP region
        per block of the database, and gained only 1.1-1.3x from a second core on this
        project's machine (`benchmarks/bench_index.py`). Whole slices on their own threads,
        each with one faiss thread, keep every core scanning without those barriers. faiss
        releases the GIL while it searches, and its CPU indexes allow concurrent searches.
        """
        faiss = _faiss()

        def run_alone(part):
            # OpenMP keeps its thread count per thread: this sets the calling thread's own.
            faiss.omp_set_num_threads(1)
            return run(part)

        slices = np.array_split(queries, max(1, min(self.threads, len(queries))))
        if len(slices) == 1:
            return [run_alone(slices[0])]
        with ThreadPoolExecutor(len(slices)) as pool:
            return list(pool.map(run_alone, slices))

    # --- storage --------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> None:
        """Writes the index, its ids and settings to one file (NumPy `.npz` format).

        The file is written at `path` exactly (no extension is added).
        """
        faiss = _faiss()
        buffer = io.BytesIO()
        np.savez(
            buffer,
            format=np.array(_FORMAT),
            version=np.array(_FORMAT_VERSION),
            code_length=np.array(self.code_length),
            structure=np.array(self.structure),
            nlist=np.array(-1 if self.nlist is None else self.nlist),
            hash_bits=np.array(-1 if self.hash_bits is None else self.hash_bits),
            nprobe=np.array(self.nprobe),
            max_flips=np.array(self.max_flips),
            ids=self.ids,
            faiss_index=faiss.serialize_index_binary(self._index),
        )
        with open(path, "wb") as file:
            file.write(buffer.getvalue())

    @classmethod
    def load(cls, path: str | os.PathLike, threads: int | None = None) -> HammingIndex:
        """Reads an index written by `save`.

        Raises:
            ValueError: when `path` is not a file `HammingIndex.save` wrote.
        """
        faiss = _faiss()
        try:
            stored = dict(np.load(path, allow_pickle=False))
        except (OSError, ValueError) as error:
            raise ValueError(f"{path}: not a HammingIndex file ({error}).") from error
        if str(stored.get("format", "")) != _FORMAT:
            raise ValueError(
                f"{path}: not a HammingIndex file (expected format {_FORMAT!r}, found "
                f"{str(stored.get('format', 'none'))!r})."
            )
        nlist, hash_bits = int(stored["nlist"]), int(stored["hash_bits"])
        index = cls(
            int(stored["code_length"]),
            nlist=None if nlist < 0 else nlist,
            hash_bits=None if hash_bits < 0 else hash_bits,
            max_flips=int(stored["max_flips"]),
            threads=threads,
        )
        index._index = faiss.deserialize_index_binary(stored["faiss_index"])
        if index.nlist is not None:
            # The deserialized IVF owns its own quantizer; drop the placeholder.
            index._quantizer = None
        index.nprobe = int(stored["nprobe"])
        index._ids = stored["ids"].astype(np.int64)
        if len(index._ids) != len(index):
            raise ValueError(
                f"{path}: holds {len(index)} codes but {len(index._ids)} ids; the file is damaged."
            )
        return index

    def __repr__(self) -> str:
        return (
            f"HammingIndex(code_length={self.code_length}, structure={self.structure!r}, "
            f"size={len(self)}, threads={self.threads})"
        )
