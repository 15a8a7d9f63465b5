"""The `HammingIndex` interface over Milvus: binary codes in a BINARY_VECTOR field, HAMMING metric.

For collections that outgrow one process. By default the embedded milvus-lite keeps the
collection in a local file; pass a server URI (`http://host:19530`) to use a Milvus server.
Needs the optional extra: `pip install "keras_hashing[milvus]"` (`pymilvus>=2.5,<3` with
`milvus-lite==2.5.1`; milvus-lite 3.x rejects binary vectors).
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np
import numpy.typing as npt

from keras_hashing import validation
from keras_hashing.index.binary_codes import num_code_bytes
from keras_hashing.index.binary_codes import pack_codes
from keras_hashing.index.hamming_index import check_ids
from keras_hashing.index.hamming_index import clip_radius

# Milvus refuses a `limit` (top-k) above 16 384, and a range search returns at most `limit` hits.
MAX_RESULTS = 16384
# Rows per insert and queries per search request, to stay below gRPC's message size.
_INSERT_ROWS = 20000
_QUERY_ROWS = 1000
# milvus-lite starts its server in a subprocess and hands pymilvus the server's socket after
# half a second; on busy cores the socket can appear later than pymilvus' first connection
# attempt, which then fails. A local `.db` store is retried; a server URI fails at once.
_LITE_CONNECT_ATTEMPTS = 3
_LITE_CONNECT_TIMEOUT_S = 30.0
_LITE_RETRY_PAUSE_S = 2.0


def _pymilvus():
    try:
        import pymilvus
    except ImportError as error:
        raise ImportError(
            'MilvusHammingIndex needs pymilvus: pip install "keras_hashing[milvus]" '
            '(or pip install "pymilvus>=2.5,<3" "milvus-lite==2.5.1").'
        ) from error
    return pymilvus


def _connect(pymilvus, uri: str, token: str):
    """A `MilvusClient` for `uri`, retrying a milvus-lite file while its server starts."""
    if not uri.endswith(".db"):
        return pymilvus.MilvusClient(uri=uri, token=token)
    for _ in range(_LITE_CONNECT_ATTEMPTS - 1):
        try:
            return pymilvus.MilvusClient(uri=uri, token=token, timeout=_LITE_CONNECT_TIMEOUT_S)
        except pymilvus.exceptions.MilvusException:
            time.sleep(_LITE_RETRY_PAUSE_S)
    # The last attempt's error, if any, reaches the caller.
    return pymilvus.MilvusClient(uri=uri, token=token, timeout=_LITE_CONNECT_TIMEOUT_S)


def is_milvus_uri(path: str | os.PathLike) -> bool:
    """Whether `path` names a Milvus store: a milvus-lite `.db` file or a server URI."""
    text = str(path)
    return text.endswith(".db") or text.startswith(("http://", "https://", "tcp://", "unix:"))


class MilvusHammingIndex:
    """Binary codes with int64 ids in a Milvus collection, searched by Hamming distance.

    Same interface as `HammingIndex` (`add`, `search`, `range_search`, `len`), over a
    BIN_FLAT index: exact distances. Milvus orders equal distances its own way; results are
    sorted by distance then id, but which tied items make a top-k may differ from faiss.
    Opening an existing collection reuses it (its code length must match). Ids are checked for
    repeats within one `add`, not against the stored ones (that would need a query per batch).

    Args:
        code_length: int, bits per code (padded to whole bytes as in `HammingIndex`).
        uri: str, default "keras_hashing.db": a milvus-lite file (ends in `.db`) or a server
            URI.
        collection: str, default "codes", the collection name.
        token: str, default "", the server's credentials ("user:password"), if any.

    Example:
    >>> import numpy as np
    >>> codes = np.where(np.random.default_rng(0).normal(size=(50, 16)) > 0, 1, -1)
    >>> index = MilvusHammingIndex(16, uri="/tmp/example_codes.db")  # doctest: +SKIP
    >>> index.add(codes, ids=np.arange(50) * 10)  # doctest: +SKIP
    >>> index.search(codes[:1], k=1)[1].tolist()  # doctest: +SKIP
    [[0]]

    References:
        Milvus documentation, "Binary Vector" and "Range Search" (HAMMING metric).
    """

    def __init__(
        self,
        code_length: int,
        uri: str = "keras_hashing.db",
        collection: str = "codes",
        token: str = "",
    ):
        pymilvus = _pymilvus()
        self.code_length = validation.positive_int(
            "code_length", code_length, "MilvusHammingIndex"
        )
        self.uri = str(uri)
        self.collection = str(collection)
        self._dimension = 8 * num_code_bytes(self.code_length)
        self._client = _connect(pymilvus, self.uri, token)
        if self._client.has_collection(self.collection):
            self._check_existing()
        else:
            self._create(pymilvus)

    def _create(self, pymilvus):
        schema = pymilvus.MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id", pymilvus.DataType.INT64, is_primary=True)
        schema.add_field("code", pymilvus.DataType.BINARY_VECTOR, dim=self._dimension)
        index_params = self._client.prepare_index_params()
        index_params.add_index(field_name="code", index_type="BIN_FLAT", metric_type="HAMMING")
        self._client.create_collection(
            self.collection, schema=schema, index_params=index_params, consistency_level="Strong"
        )

    def _check_existing(self):
        fields = self._client.describe_collection(self.collection)["fields"]
        vectors = [field for field in fields if field["name"] == "code"]
        dimension = vectors[0]["params"].get("dim") if vectors else None
        if dimension is None or int(dimension) != self._dimension:
            raise ValueError(
                f"MilvusHammingIndex: collection {self.collection!r} at {self.uri} holds "
                f"{dimension}-bit binary vectors in field 'code', expected {self._dimension} "
                f"(code_length={self.code_length} padded to whole bytes)."
            )
        self._client.load_collection(self.collection)

    def __len__(self) -> int:
        rows = self._client.query(self.collection, filter="", output_fields=["count(*)"])
        return int(rows[0]["count(*)"])

    def add(self, codes: npt.ArrayLike, ids: npt.ArrayLike | None = None) -> None:
        """Inserts codes with int64 `ids` (default: continuing from `len(self)`)."""
        packed = pack_codes(codes, self.code_length)
        ids = check_ids(ids, len(packed), len(self) if ids is None else 0, "MilvusHammingIndex.add")
        for start in range(0, len(packed), _INSERT_ROWS):
            rows = [
                {"id": int(item), "code": code.tobytes()}
                for item, code in zip(
                    ids[start : start + _INSERT_ROWS], packed[start : start + _INSERT_ROWS]
                )
            ]
            self._client.insert(self.collection, rows)

    def _search(self, queries, limit, params):
        results = []
        for start in range(0, len(queries), _QUERY_ROWS):
            batch = [code.tobytes() for code in queries[start : start + _QUERY_ROWS]]
            results.extend(
                self._client.search(
                    self.collection,
                    data=batch,
                    limit=limit,
                    anns_field="code",
                    search_params={"metric_type": "HAMMING", "params": params},
                )
            )
        return results

    @staticmethod
    def _sorted_hits(hits: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
        distances = np.array([hit["distance"] for hit in hits], np.float64).astype(np.int32)
        ids = np.array([hit["id"] for hit in hits], np.int64)
        order = np.lexsort((ids, distances))
        return distances[order], ids[order]

    def search(self, query_codes: npt.ArrayLike, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The `k` (<= 16 384) nearest items: `(distances, ids)`, int32 and int64 `(Q, k)`.

        Places beyond the stored items hold id -1 and distance -1 (an empty collection gives
        rows of -1), as `HammingIndex.search`.
        """
        k = validation.positive_int("k", k, "MilvusHammingIndex.search")
        if k > MAX_RESULTS:
            raise ValueError(
                f"MilvusHammingIndex: Milvus returns at most {MAX_RESULTS} hits, found k={k}."
            )
        queries = pack_codes(query_codes, self.code_length, "query_codes")
        distances = np.full((len(queries), k), -1, np.int32)
        ids = np.full((len(queries), k), -1, np.int64)
        for row, hits in enumerate(self._search(queries, k, {})):
            found_distances, found_ids = self._sorted_hits(hits)
            distances[row, : len(hits)] = found_distances
            ids[row, : len(hits)] = found_ids
        return distances, ids

    def range_search(
        self, query_codes: npt.ArrayLike, radius: int
    ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Every item within Hamming distance `radius` (inclusive), as `HammingIndex`.

        Raises:
            ValueError: when a query has 16 384 or more items in range (Milvus's cap on one
                search); use a smaller radius or `HammingIndex`.
        """
        radius = clip_radius(radius, self.code_length, "MilvusHammingIndex.range_search")
        queries = pack_codes(query_codes, self.code_length, "query_codes")
        # Milvus keeps HAMMING distances with range_filter <= d < radius.
        params = {"radius": radius + 1, "range_filter": 0}
        distance_lists, id_lists = [], []
        for row, hits in enumerate(self._search(queries, MAX_RESULTS, params)):
            if len(hits) >= MAX_RESULTS:
                raise ValueError(
                    f"MilvusHammingIndex.range_search: query {row} has {MAX_RESULTS} or more "
                    f"items within radius {radius}, Milvus's cap on one search; use a smaller "
                    "radius or HammingIndex."
                )
            found_distances, found_ids = self._sorted_hits(hits)
            distance_lists.append(found_distances)
            id_lists.append(found_ids)
        return distance_lists, id_lists

    def save(self, path: str | os.PathLike | None = None) -> None:
        """Flushes the collection; Milvus already stores it (at `uri`), so `path` must be None."""
        if path is not None:
            raise ValueError(
                f"MilvusHammingIndex.save: the collection lives at {self.uri}; pass no path, "
                f"found {path!r}."
            )
        self._client.flush(self.collection)

    def drop(self) -> None:
        """Deletes the collection and its codes."""
        self._client.drop_collection(self.collection)

    def close(self) -> None:
        """Closes the connection (and the milvus-lite process, for a local file)."""
        self._client.close()

    def __enter__(self) -> MilvusHammingIndex:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"MilvusHammingIndex(code_length={self.code_length}, uri={self.uri!r}, "
            f"collection={self.collection!r})"
        )
