"""Search over additive-quantization codes (DQN, DVSQ, DTQ) by quantizer distance.

The database is kept as codeword indices, `M` bytes per item for 256-word codebooks, never as
reconstructed vectors. A query is compared with every item through lookup tables: with the
stacked codebook `C` `(M*K, D)` and an item's words `b_1..b_M`, its reconstruction is
`sum_m C[m*K + b_m]`, so `q . reconstruction = sum_m T[m*K + b_m]` with `T = C q` computed once
per query; the search then costs `M` table reads per item instead of `D` multiply-adds.

- AQD (asymmetric): the query's real output against the reconstructions.
- SQD (symmetric): the query's own reconstruction (from its codes) against them.

Both rank as `keras_hashing.metrics.map_quantized` (which builds the reconstructions and ranks
by `keras_hashing.metrics.distance`), ties in added order as its default `tie_break="index"`.
The tables are float64, so only items whose float32 distances agree to about 1e-7 could order
differently from the metric's float32 arithmetic.
"""

from __future__ import annotations

import io
import os

import numpy as np
import numpy.typing as npt

from keras_hashing import validation
from keras_hashing.index.hamming_index import check_ids

METRICS = ("inner_product", "euclidean2")
MODES = ("AQD", "SQD")
_FORMAT = "keras_hashing.QuantizationIndex"
_FORMAT_VERSION = 1
# Query rows per block: a block's (rows, N) float64 distances stay near 32 MB.
_BLOCK_ENTRIES = 1 << 22


def smallest_k(distances: np.ndarray, k: int) -> np.ndarray:
    """Column indices of the `k` smallest entries of each row, by value then by column."""
    rows, width = distances.shape
    k = min(k, width)
    if k == width:
        return np.argsort(distances, axis=1, kind="stable")
    candidates = np.argpartition(distances, k - 1, axis=1)[:, :k]
    cutoff = np.take_along_axis(distances, candidates, axis=1).max(axis=1, keepdims=True)
    # argpartition keeps arbitrary members of a tie at the cut-off; take the lowest columns.
    below = distances < cutoff
    at_cutoff = distances == cutoff
    wanted = k - below.sum(axis=1, keepdims=True)
    keep = below | (at_cutoff & (np.cumsum(at_cutoff, axis=1) <= wanted))
    columns = np.nonzero(keep)[1].reshape(rows, k)
    order = np.argsort(np.take_along_axis(distances, columns, axis=1), axis=1, kind="stable")
    return np.take_along_axis(columns, order, axis=1)


class QuantizationIndex:
    """A database of DQN / DVSQ / DTQ codeword indices, searched by AQD or SQD.

    Args:
        codebook: `(M*K, D)` stacked codebook (`model.quantizer.get_codebook()`).
        num_codebooks: int, `M` (`model.num_codebooks`); `K = codebook rows / M`.
        metric: "inner_product" (default; distance `-q . r`, the quantizers' evaluation) or
            "euclidean2" (`|q - r|^2`, with each item's `|r|^2` kept beside its codes).

    Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> codebook = rng.normal(size=(2 * 4, 3)).astype("float32")   # M=2, K=4, D=3
    >>> index = QuantizationIndex(codebook, num_codebooks=2, metric="euclidean2")
    >>> index.add(np.array([[0, 1], [3, 2], [1, 1]]), ids=[10, 11, 12])
    >>> query = codebook[0] + codebook[4 + 1]          # the reconstruction of words (0, 1)
    >>> distances, ids = index.search(query[None], k=1)
    >>> ids.tolist(), bool(abs(distances[0, 0]) < 1e-9)
    ([[10]], True)
    >>> index.search(np.array([[3, 2]]), k=1, mode="SQD")[1].tolist()
    [[11]]

    With a trained model: `QuantizationIndex(model.quantizer.get_codebook(),
    model.num_codebooks)`, then `index.add(model.quantize_outputs(database_outputs))` and
    `index.search(model.predict(query_images), k=10)`.

    References:
        Cao et al., "Deep Quantization Network for Efficient Image Retrieval", AAAI 2016;
        thulab/DeepHash `DeepHash/evaluation/__init__.py`, `MAPs_CQ.get_mAPs_AQD` / `_SQD`.
    """

    def __init__(self, codebook: npt.ArrayLike, num_codebooks: int, metric: str = "inner_product"):
        codebook = np.asarray(codebook)
        if codebook.ndim != 2 or not np.issubdtype(codebook.dtype, np.number):
            raise ValueError(
                f"QuantizationIndex: `codebook` must be a numeric (M*K, D) array, found shape "
                f"{codebook.shape} with dtype {codebook.dtype}."
            )
        if not np.isfinite(codebook).all():
            raise ValueError("QuantizationIndex: `codebook` holds NaN or infinity.")
        self.num_codebooks = validation.positive_int(
            "num_codebooks", num_codebooks, "QuantizationIndex"
        )
        if codebook.shape[0] % self.num_codebooks:
            raise ValueError(
                f"QuantizationIndex: the codebook's {codebook.shape[0]} rows must split into "
                f"num_codebooks={self.num_codebooks} equal codebooks."
            )
        validation.one_of("metric", metric, METRICS, "QuantizationIndex")
        self.codebook = codebook.astype(np.float32)
        self.num_codewords = codebook.shape[0] // self.num_codebooks
        self.dim = codebook.shape[1]
        self.metric = metric
        self._codebook64 = self.codebook.astype(np.float64)
        # Offsets turn word m's index into its row of the stacked codebook / lookup table.
        self._offsets = np.arange(self.num_codebooks, dtype=np.int64) * self.num_codewords
        self._code_dtype = np.dtype(
            np.uint8
            if self.num_codewords <= 256
            else np.uint16
            if self.num_codewords <= 65536
            else np.uint32
        )
        self._codes = np.zeros((0, self.num_codebooks), self._code_dtype)
        self._ids = np.zeros(0, np.int64)
        self._squared_norms = np.zeros(0, np.float64)

    def __len__(self) -> int:
        return len(self._codes)

    @property
    def codes(self) -> np.ndarray:
        """Stored codeword indices `(N, M)` (uint8 for K <= 256), in added order."""
        return self._codes

    @property
    def ids(self) -> np.ndarray:
        """int64 ids of the stored items, in added order."""
        return self._ids

    def _as_indices(self, codes: npt.ArrayLike, name: str) -> np.ndarray:
        codes = np.asarray(codes)
        size = self.num_codebooks * self.num_codewords
        if codes.ndim != 2 or codes.shape[1] not in (self.num_codebooks, size):
            raise ValueError(
                f"QuantizationIndex: `{name}` must be (N, {self.num_codebooks}) codeword indices "
                f"or (N, {size}) one-hot codes, found shape {codes.shape}."
            )
        if codes.shape[1] == size and size != self.num_codebooks:
            from keras_hashing.quantization import codes_to_indices

            try:
                return codes_to_indices(codes, self.num_codebooks, self.num_codewords).astype(
                    np.int64
                )
            except ValueError as error:
                raise ValueError(f"QuantizationIndex: `{name}`: {error}") from error
        if codes.size and not np.issubdtype(codes.dtype, np.integer):
            raise ValueError(
                f"QuantizationIndex: `{name}` codeword indices must be integers, found dtype "
                f"{codes.dtype}."
            )
        codes = codes.astype(np.int64)
        bad = (codes < 0) | (codes >= self.num_codewords)
        if bad.any():
            row, book = np.argwhere(bad)[0]
            raise ValueError(
                f"QuantizationIndex: `{name}` indices must lie in 0..{self.num_codewords - 1}, "
                f"found {codes[row, book]} at row {row}, codebook {book}."
            )
        return codes

    def reconstruct(self, codes: npt.ArrayLike) -> np.ndarray:
        """float64 reconstructions `(N, D)` of codeword indices or one-hot codes."""
        rows = self._as_indices(codes, "codes") + self._offsets
        return self._codebook64[rows].sum(axis=1)

    def add(self, codes: npt.ArrayLike, ids: npt.ArrayLike | None = None) -> None:
        """Appends items given as `(N, M)` codeword indices or `(N, M*K)` one-hot codes.

        Args:
            codes: the items' codes (`model.quantize_outputs(outputs)`).
            ids: optional 1-D integers >= 0, unique (default: continuing from `len(self)`).
        """
        indices = self._as_indices(codes, "codes")
        ids = check_ids(ids, len(indices), len(self), "QuantizationIndex.add")
        if len(self) and np.isin(ids, self._ids).any():
            raise ValueError(
                f"QuantizationIndex.add: id {int(ids[np.isin(ids, self._ids)][0])} is already "
                "in the index."
            )
        self._codes = np.concatenate([self._codes, indices.astype(self._code_dtype)])
        self._ids = np.concatenate([self._ids, ids])
        if self.metric == "euclidean2":
            norms = np.square(self._codebook64[indices + self._offsets].sum(axis=1)).sum(axis=1)
            self._squared_norms = np.concatenate([self._squared_norms, norms])

    def _queries(self, queries: npt.ArrayLike, mode: str) -> np.ndarray:
        validation.one_of("mode", mode, MODES, "QuantizationIndex")
        if mode == "SQD":
            return self.reconstruct(queries)
        queries = np.asarray(queries)
        if queries.ndim != 2 or queries.shape[1] != self.dim:
            raise ValueError(
                f"QuantizationIndex: AQD queries must be real (Q, {self.dim}) outputs, found "
                f"shape {queries.shape}; pass codes with mode='SQD'."
            )
        if not np.issubdtype(queries.dtype, np.number) or not np.isfinite(queries).all():
            raise ValueError("QuantizationIndex: AQD queries must be finite numbers.")
        return queries.astype(np.float64)

    def distances(self, queries: npt.ArrayLike, mode: str = "AQD") -> np.ndarray:
        """float64 distances `(Q, N)` of every query to every stored item (smaller is nearer)."""
        queries = self._queries(queries, mode)
        return self._block_distances(queries)

    def _block_distances(self, queries: np.ndarray) -> np.ndarray:
        # One table per query: T[q, m*K + w] = -q . C[m*K + w]; an item sums M entries.
        tables = -(queries @ self._codebook64.T)
        rows = self._codes.astype(np.int64) + self._offsets
        distances = np.zeros((len(queries), len(self)), np.float64)
        for book in range(self.num_codebooks):
            distances += np.take(tables, rows[:, book], axis=1)
        if self.metric == "euclidean2":
            distances *= 2
            distances += self._squared_norms
            distances += np.square(queries).sum(axis=1, keepdims=True)
        return distances

    def search(
        self, queries: npt.ArrayLike, k: int, mode: str = "AQD"
    ) -> tuple[np.ndarray, np.ndarray]:
        """The `k` nearest stored items of each query.

        Args:
            queries: AQD: real outputs `(Q, D)` (`model.predict`); SQD: the queries' codes,
                `(Q, M)` indices or `(Q, M*K)` one-hot.
            k: int > 0.
            mode: "AQD" (default) or "SQD".

        Returns:
            `(distances, ids)`: float64 and int64 `(Q, k)`, nearest first, ties in added order;
            places beyond `len(self)` hold id -1 and distance inf (so an empty index gives
            rows of -1).
        """
        k = validation.positive_int("k", k, "QuantizationIndex.search")
        queries = self._queries(queries, mode)
        distances = np.full((len(queries), k), np.inf)
        ids = np.full((len(queries), k), -1, np.int64)
        if not len(self):
            return distances, ids
        block = max(1, _BLOCK_ENTRIES // len(self))
        found = min(k, len(self))
        for start in range(0, len(queries), block):
            block_distances = self._block_distances(queries[start : start + block])
            columns = smallest_k(block_distances, found)
            distances[start : start + block, :found] = np.take_along_axis(
                block_distances, columns, axis=1
            )
            ids[start : start + block, :found] = self._ids[columns]
        return distances, ids

    def save(self, path: str | os.PathLike) -> None:
        """Writes codebook, codes, ids and metric to one file (NumPy `.npz` format) at `path`."""
        buffer = io.BytesIO()
        np.savez(
            buffer,
            format=np.array(_FORMAT),
            version=np.array(_FORMAT_VERSION),
            codebook=self.codebook,
            num_codebooks=np.array(self.num_codebooks),
            metric=np.array(self.metric),
            codes=self._codes,
            ids=self._ids,
        )
        with open(path, "wb") as file:
            file.write(buffer.getvalue())

    @classmethod
    def load(cls, path: str | os.PathLike) -> QuantizationIndex:
        """Reads an index written by `save`; a ValueError names a file of another kind."""
        try:
            stored = dict(np.load(path, allow_pickle=False))
        except (OSError, ValueError) as error:
            raise ValueError(f"{path}: not a QuantizationIndex file ({error}).") from error
        if str(stored.get("format", "")) != _FORMAT:
            raise ValueError(
                f"{path}: not a QuantizationIndex file (expected format {_FORMAT!r}, found "
                f"{str(stored.get('format', 'none'))!r})."
            )
        index = cls(stored["codebook"], int(stored["num_codebooks"]), str(stored["metric"]))
        index.add(stored["codes"], stored["ids"])
        return index

    def __repr__(self) -> str:
        return (
            f"QuantizationIndex(num_codebooks={self.num_codebooks}, "
            f"num_codewords={self.num_codewords}, dim={self.dim}, metric={self.metric!r}, "
            f"size={len(self)})"
        )
