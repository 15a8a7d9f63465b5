"""Shared plumbing of the retrieval metrics: validation, relevance, chunking, ranking, AP."""

import concurrent.futures
import functools
import inspect
import os
import warnings

import numpy as np

from keras_hashing import validation

TIE_BREAKS = ("index", "numpy")

# Queries are processed in chunks of at most this many (query, database) pairs, so that a
# (chunk, database) block of distances, orders and relevance stays around a hundred MB.
DEFAULT_BLOCK_ELEMENTS = 1 << 22
# `verbose="auto"` shows a progress bar from this many (query, database) pairs on.
AUTO_VERBOSE_PAIRS = 10**8


def as_matrix(values, name, numeric=True):
    """A 2-D NumPy view of `values` (never copied unless it must be, never written to)."""
    array = np.asarray(values)
    if array.ndim != 2:
        raise ValueError(
            f"`{name}` must be a 2-D (rows, columns) array, found shape {array.shape}."
        )
    if array.dtype == bool:
        array = array.astype(np.float32)
    if numeric and not np.issubdtype(array.dtype, np.number):
        raise ValueError(f"`{name}` must be numeric, found dtype {array.dtype}.")
    return array


def as_features(values, name):
    array = as_matrix(values, name)
    if np.issubdtype(array.dtype, np.complexfloating):
        raise ValueError(f"`{name}` must be real, found dtype {array.dtype}.")
    if not np.all(np.isfinite(array)):
        bad = np.argwhere(~np.isfinite(array))[0]
        raise ValueError(
            f"`{name}` must be finite; found {array[tuple(bad)]} at row {bad[0]}, column {bad[1]}."
        )
    return array


def as_labels(values, name, rows):
    """Multi-hot labels as float32 0/1, checked against the number of feature rows."""
    array = as_matrix(values, name)
    if array.shape[0] != rows:
        raise ValueError(f"`{name}` has {array.shape[0]} rows but its features have {rows}.")
    if not np.all((array == 0) | (array == 1)):
        bad = np.argwhere((array != 0) & (array != 1))[0]
        raise ValueError(
            f"`{name}` must hold 0/1 multi-hot labels (thulab/DeepHash's relevance rule "
            f"needs binary labels); found {array[tuple(bad)]} at row {bad[0]}, "
            f"column {bad[1]}."
        )
    return array.astype(np.float32, copy=False)


def check_pair(
    query_outputs,
    query_labels,
    database_outputs,
    database_labels,
    query_name="query_outputs",
    database_name="database_outputs",
):
    """Validates the four metric inputs and returns them as arrays."""
    query = as_features(query_outputs, query_name)
    database = as_features(database_outputs, database_name)
    if query.shape[1] != database.shape[1]:
        raise ValueError(
            f"`{query_name}` has {query.shape[1]} columns but `{database_name}` has "
            f"{database.shape[1]}."
        )
    if database.shape[0] == 0:
        raise ValueError(f"`{database_name}` is empty.")
    query_labels = as_labels(query_labels, "query_labels", query.shape[0])
    database_labels = as_labels(database_labels, "database_labels", database.shape[0])
    if query_labels.shape[1] != database_labels.shape[1]:
        raise ValueError(
            f"`query_labels` has {query_labels.shape[1]} classes but "
            f"`database_labels` has {database_labels.shape[1]}."
        )
    return query, query_labels, database, database_labels


def check_tie_break(tie_break):
    validation.one_of("tie_break", tie_break, TIE_BREAKS)


def _owner_name(function):
    # "RetrievalEvaluation" rather than "RetrievalEvaluation.__init__" in messages.
    name = function.__qualname__
    return name[: -len(".__init__")] if name.endswith(".__init__") else name


def rename_keywords(keywords, renames, owner, warn=True):
    """`keywords` with each deprecated name of `renames` (old -> new) moved to its new name.

    Raises `TypeError` when both names are given; warns with `DeprecationWarning` (at the
    caller of the caller) when `warn` is true.
    """
    keywords = dict(keywords)
    for old, new in renames.items():
        if old not in keywords:
            continue
        if new in keywords:
            raise TypeError(
                f"{owner}() got both `{new}` and its deprecated alias `{old}`; pass only `{new}`."
            )
        if warn:
            warnings.warn(
                f"{owner}(): the keyword `{old}` is deprecated; use `{new}` instead.",
                DeprecationWarning,
                stacklevel=3,
            )
        keywords[new] = keywords.pop(old)
    return keywords


def renamed_arguments(**renames):
    """Decorator keeping old keyword names (`R="top_k"`) as deprecated aliases of new ones.

    Passing an old name warns with `DeprecationWarning` naming the new one; passing both names
    (the new one by keyword or by position) raises `TypeError`. The wrapper keeps the wrapped
    function's name, docstring and signature (`inspect.signature` shows the new names only), and
    records the renames in `__renamed_arguments__` for `from_config`-style readers.

    Example:
    >>> @renamed_arguments(R="top_k")
    ... def cut(values, top_k=None):
    ...     return values[:top_k]
    >>> cut([1, 2, 3], top_k=2)
    [1, 2]
    >>> str(inspect.signature(cut))
    '(values, top_k=None)'
    """

    def decorate(function):
        parameters = list(inspect.signature(function).parameters.values())
        owner = _owner_name(function)
        positions = {}
        for new in renames.values():
            names = [parameter.name for parameter in parameters]
            if new not in names:
                raise ValueError(f"{owner} has no argument `{new}` to rename to; found {names}.")
            parameter = parameters[names.index(new)]
            if parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.POSITIONAL_ONLY):
                positions[new] = names.index(new)

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            for old, new in renames.items():
                if old in kwargs and new in positions and len(args) > positions[new]:
                    raise TypeError(
                        f"{owner}() got `{new}` by position and its deprecated alias `{old}` by "
                        f"keyword; pass only `{new}`."
                    )
            return function(*args, **rename_keywords(kwargs, renames, owner))

        wrapper.__renamed_arguments__ = dict(renames)
        return wrapper

    return decorate


def check_top_k(top_k, num_database):
    """`top_k` as an int in 1..num_database; None means the whole database."""
    if top_k is None:
        return num_database
    top_k = validation.positive_int("top_k", top_k)
    if top_k > num_database:
        raise ValueError(
            f"`top_k` must be at most {num_database} (the database size) or None, found {top_k}."
        )
    return top_k


def relevance(query_labels, database_labels):
    """`(Q, N)` bool: shares at least one label.

    Equal to the original's "set the query's zeros to -1, then any(equal)" trick (`get_mAPs`) on
    0/1 labels, without touching the caller's arrays.
    """
    return (query_labels @ database_labels.T) > 0


def chunk_bounds(num_query, num_database, chunk_size):
    if chunk_size is None:
        chunk_size = max(1, DEFAULT_BLOCK_ELEMENTS // max(1, num_database))
    chunk_size = validation.positive_int("chunk_size", chunk_size)
    return [
        (start, min(start + chunk_size, num_query)) for start in range(0, num_query, chunk_size)
    ]


# Set to 1 to rank on the calling thread only (e.g. when several jobs share the cores).
METRIC_THREADS_VARIABLE = "KERAS_HASHING_METRIC_THREADS"
DEFAULT_MAX_THREADS = 8


def progress(bounds, verbose, num_query, num_database, description, total=None):
    """`bounds` (any iterable of `total` chunks), under a tqdm bar when `verbose` asks for one."""
    total = len(bounds) if total is None else total
    if verbose == "auto":
        verbose = total > 1 and num_query * num_database >= AUTO_VERBOSE_PAIRS
    if not verbose:
        return bounds
    from tqdm.auto import tqdm

    return tqdm(bounds, desc=description, unit="chunk", total=total)


def metric_threads():
    """Threads for chunked rankings: `$KERAS_HASHING_METRIC_THREADS`, else the cores, at most
    `DEFAULT_MAX_THREADS` (each chunk in flight holds about 100 MB)."""
    value = os.environ.get(METRIC_THREADS_VARIABLE)
    if value is None:
        return min(os.cpu_count() or 1, DEFAULT_MAX_THREADS)
    try:
        value = int(value)
    except ValueError:
        pass  # positive_int names the variable and what it holds
    return validation.positive_int(METRIC_THREADS_VARIABLE, value)


def map_chunks(function, bounds, verbose, num_query, num_database, description):
    """`[function(start, stop) for start, stop in bounds]`, the chunks run on threads.

    Ranking a chunk of queries spends its time in NumPy's sorts, indexing and matrix products,
    which release the GIL, so chunks run side by side on `metric_threads()` threads. The results
    keep the order of `bounds`, so every figure is the same as one thread's.
    """
    workers = min(len(bounds), metric_threads())
    if workers <= 1:
        chunks = progress(bounds, verbose, num_query, num_database, description)
        return [function(start, stop) for start, stop in chunks]
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        results = pool.map(lambda chunk: function(*chunk), bounds)
        chunks = progress(results, verbose, num_query, num_database, description, len(bounds))
        return list(chunks)


def take_rows(matrix, order):
    """`matrix[i, order[i, j]]` for every row, by flat indexing (faster than take_along_axis)."""
    rows, width = matrix.shape
    offsets = (np.arange(rows, dtype=np.int64) * width)[:, None]
    return matrix.reshape(-1)[order + offsets]


def hamming_dtype(bits):
    return np.uint8 if bits <= 255 else np.uint16 if bits <= 65535 else np.int64


def hamming_from_signs(query_signs, database_signs):
    """Hamming distances `(D - q.x)/2` of +-1 codes as small unsigned ints.

    A float32 product is exact for codes shorter than 2**24 bits. Small ints let NumPy's stable
    argsort run as a radix sort.
    """
    bits = query_signs.shape[1]
    products = query_signs.astype(np.float32) @ database_signs.astype(np.float32).T
    np.subtract(bits, products, out=products)
    products *= 0.5
    return products.astype(hamming_dtype(bits))


def top_r_stable(dist, R):
    """Indices of the `R` smallest entries of each row, ordered by value then by index."""
    rows, width = dist.shape
    if R >= width or (np.issubdtype(dist.dtype, np.integer) and dist.dtype.itemsize <= 2):
        return np.argsort(dist, axis=1, kind="stable")[:, :R]
    threshold = np.partition(dist, R - 1, axis=1)[:, R - 1 : R]
    less = dist < threshold
    equal = dist == threshold
    needed = R - np.count_nonzero(less, axis=1)[:, None]
    # Ties at the cut-off: keep the lowest database indices.
    take = less | (equal & (np.cumsum(equal, axis=1, dtype=np.int64) <= needed))
    ids = np.nonzero(take)[1].reshape(rows, R)
    order = np.argsort(take_rows(dist, ids), axis=1, kind="stable")
    return np.take_along_axis(ids, order, axis=1)


def top_r_numpy(dist, R):
    """The original's call sequence: argpartition at R-1, then default argsort of those R."""
    ids = np.argpartition(dist, R - 1, axis=1)[:, :R]
    order = np.argsort(take_rows(dist, ids), axis=1)
    return np.take_along_axis(ids, order, axis=1)


def average_precision(ranked):
    """Per row of ranked 0/1 relevance: `(sum_k P@k r_k, hits)`; AP is their ratio when hits > 0.

    Only the relevant positions are visited: the m-th relevant item of a row, at position k,
    adds `m / k`.
    """
    ranked = np.asarray(ranked).astype(bool, copy=False)
    rows = ranked.shape[0]
    row, column = np.nonzero(ranked)
    count = np.bincount(row, minlength=rows)
    first = np.concatenate(([0], np.cumsum(count)[:-1]))
    rank_among_relevant = np.arange(1, len(row) + 1, dtype=np.float64) - first[row]
    total = np.bincount(row, weights=rank_among_relevant / (column + 1.0), minlength=rows)
    return total.astype(np.float64), count.astype(np.int64)


def mean_or_nan(values):
    values = np.asarray(values, dtype=np.float64)
    return float(np.mean(values)) if values.size else float("nan")
