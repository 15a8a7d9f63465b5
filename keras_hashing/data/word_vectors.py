"""Label word vectors for DVSQ: DeepHash's `*_wordvec.txt` files, or gensim vectors of label names.

DVSQ ranks each image against the word vectors `V` (`L x d`, one row per label in label-index order)
of its labels (thulab/DeepHash DeepHash/model/dvsq/dvsq.py, `wordvec_dict`). The original ships
300-d word2vec GoogleNews rows for CIFAR-10 (unnormalised) and NUS-WIDE-81 (L2-normalised) but not
the words they stand for; for a new dataset the rows are built here from the label names with
gensim.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from keras_hashing import validation

if TYPE_CHECKING:
    from gensim.models import KeyedVectors

MISSING = ("raise", "random", "zeros")


def load_deephash_wordvec(path: str | os.PathLike) -> np.ndarray:
    """Reads a DeepHash `<dataset>_wordvec.txt`: one row of floats per label, label order.

    Args:
        path: str, the text file.

    Returns:
        float32 array `(L, d)`.
    """
    path = os.path.expanduser(os.fspath(path))
    if not os.path.isfile(path):
        raise ValueError(f"Word-vector file {path} does not exist.")
    rows = np.loadtxt(path, dtype=np.float64, ndmin=2)
    if rows.size == 0:
        raise ValueError(f"Word-vector file {path} holds no rows.")
    return rows.astype(np.float32)


def load_keyed_vectors(
    path: str | os.PathLike, file_format: str = "word2vec", binary: bool | None = None
) -> KeyedVectors:
    """Loads word vectors with gensim.

    Args:
        path: str, the vector file.
        file_format: "word2vec" (default; a header line `count dim`, text or binary) or "glove"
            (text with no header line).
        binary: bool or None. For word2vec, whether the file is the binary format; None guesses
            from the extension (`.bin` means binary).

    Returns:
        A `gensim.models.KeyedVectors`.
    """
    from gensim.models import KeyedVectors

    path = os.path.expanduser(os.fspath(path))
    if not os.path.isfile(path):
        raise ValueError(f"Word-vector file {path} does not exist.")
    validation.one_of("file_format", file_format, ("word2vec", "glove"), "load_keyed_vectors")
    if file_format == "glove":
        return KeyedVectors.load_word2vec_format(path, binary=False, no_header=True)
    if binary is None:
        binary = path.endswith(".bin") or path.endswith(".bin.gz")
    return KeyedVectors.load_word2vec_format(path, binary=bool(binary))


def _candidates(name):
    stripped = name.strip()
    yield from dict.fromkeys(
        [stripped, stripped.lower(), stripped.replace(" ", "_"), stripped.lower().replace(" ", "_")]
    )


def _word_vector(vectors, word):
    for candidate in (word, word.lower()):
        if candidate in vectors.key_to_index:
            return np.asarray(vectors[candidate], dtype=np.float64)
    parts = [p for p in word.split("-") if p]
    if len(parts) > 1:  # "t-shirt" when only "t" and "shirt" are known
        found = [_word_vector(vectors, part) for part in parts]
        if all(v is not None for v in found):
            return np.mean(found, axis=0)
    return None


def label_embeddings(
    label_names: Iterable[str],
    vectors: KeyedVectors | str | os.PathLike,
    file_format: str = "word2vec",
    binary: bool | None = None,
    compound: str | None = "mean",
    on_missing: str = "raise",
    normalize: bool = False,
    seed: int = 0,
) -> np.ndarray:
    """Builds the `L x d` label-embedding matrix from label names.

    A name is looked up as written, lower-cased, and with spaces as underscores (word2vec
    phrases); failing that, with `compound="mean"`, a name of several words (`"ankle boot"`,
    `"T-shirt/top"`) is the mean of its words' vectors when every word is known.

    Args:
        label_names: list of str, in label-index order.
        vectors: a gensim `KeyedVectors`, or the path of a vector file (see `load_keyed_vectors`).
        file_format: "word2vec" or "glove", when `vectors` is a path.
        binary: bool or None, when `vectors` is a word2vec path.
        compound: "mean" (default) or None (no splitting of multi-word names).
        on_missing: "raise" (default): a `ValueError` naming every name not found; "random":
            a seeded Gaussian vector of the vocabulary's mean norm; "zeros" (a zero row makes the
            cosine in DVSQ's loss NaN, so use it only with rows you overwrite).
        normalize: bool, default False. L2-normalise the rows (the NUS-WIDE file is normalised,
            the CIFAR-10 one is not: data/{nuswide_81,cifar10}/*_wordvec.txt).
        seed: int, seed of the "random" fallback.

    Returns:
        float32 array `(L, d)`.
    """
    validation.one_of("on_missing", on_missing, MISSING, "label_embeddings")
    if isinstance(vectors, (str, os.PathLike)):
        vectors = load_keyed_vectors(vectors, file_format=file_format, binary=binary)
    names = list(label_names)
    if not names:
        raise ValueError("`label_names` is empty.")
    rows, missing = [], []
    for name in names:
        row = None
        for candidate in _candidates(name):
            if candidate in vectors.key_to_index:
                row = np.asarray(vectors[candidate], dtype=np.float64)
                break
        if row is None and compound == "mean":
            words = [w for w in re.split(r"[\s/_]+", name.strip()) if w]
            found = [_word_vector(vectors, word) for word in words]
            if len(words) > 1 and all(v is not None for v in found):
                row = np.mean(found, axis=0)
        if row is None:
            missing.append(name)
        rows.append(row)
    if missing and on_missing == "raise":
        raise ValueError(
            f"{len(missing)} label name(s) are not in the vocabulary: {missing}. "
            "Rename them, or pass on_missing='random' for a seeded random vector."
        )
    dim = vectors.vector_size
    if missing:
        rng = np.random.default_rng(seed)
        scale = (
            float(np.mean(np.linalg.norm(vectors.vectors, axis=1))) if len(vectors.vectors) else 1.0
        )
        for i, row in enumerate(rows):
            if row is None:
                if on_missing == "zeros":
                    rows[i] = np.zeros(dim)
                else:
                    draw = rng.standard_normal(dim)
                    rows[i] = draw / np.linalg.norm(draw) * scale
    matrix = np.stack(rows)
    if normalize:
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        matrix = matrix / np.where(norms == 0, 1.0, norms)
    return matrix.astype(np.float32)
