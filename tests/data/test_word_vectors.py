"""Word vectors for DVSQ: DeepHash files and gensim (word2vec binary/text, GloVe)."""

import os

import numpy as np
import pytest

from keras_hashing.data import label_embeddings
from keras_hashing.data import load_deephash_wordvec
from keras_hashing.data import load_keyed_vectors

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "data", "deephash_wordvec")
WORDS = {
    "cat": [1.0, 0.0, 0.0],
    "dog": [0.0, 2.0, 0.0],
    "ankle": [0.0, 0.0, 3.0],
    "boot": [1.0, 1.0, 1.0],
    "t": [2.0, 0.0, 0.0],
    "shirt": [0.0, 2.0, 2.0],
    "top": [4.0, 4.0, 4.0],
    "new_york": [5.0, 5.0, 5.0],
}


@pytest.fixture
def files(tmp_path):
    from gensim.models import KeyedVectors

    kv = KeyedVectors(3)
    kv.add_vectors(list(WORDS), np.array(list(WORDS.values()), np.float32))
    binary, text = tmp_path / "w2v.bin", tmp_path / "w2v.txt"
    kv.save_word2vec_format(str(binary), binary=True)
    kv.save_word2vec_format(str(text), binary=False)
    glove = tmp_path / "glove.txt"
    glove.write_text("".join(f"{w} {' '.join(map(str, v))}\n" for w, v in WORDS.items()))
    return {"word2vec-binary": binary, "word2vec": text, "glove": glove}


def test_deephash_files_shipped():
    cifar = load_deephash_wordvec(os.path.join(DATA, "cifar10_wordvec.txt"))
    nus = load_deephash_wordvec(os.path.join(DATA, "nuswide_81_wordvec.txt"))
    assert cifar.shape == (10, 300) and nus.shape == (81, 300) and cifar.dtype == np.float32
    norms = np.linalg.norm(cifar, axis=1)
    assert 2.8 < norms.min() and norms.max() < 3.7  # unnormalised (spec §2.3)
    np.testing.assert_allclose(np.linalg.norm(nus, axis=1), 1.0, atol=1e-4)


@pytest.mark.parametrize("kind", ["word2vec-binary", "word2vec", "glove"])
def test_gensim_formats(files, kind):
    fmt = "glove" if kind == "glove" else "word2vec"
    V = label_embeddings(
        ["Dog", "cat", "Ankle boot", "T-shirt/top", "New York"],
        str(files[kind]),
        file_format=fmt,
        binary=(kind == "word2vec-binary") or None,
    )
    expected = [
        WORDS["dog"],
        WORDS["cat"],
        np.mean([WORDS["ankle"], WORDS["boot"]], 0),
        np.mean([np.mean([WORDS["t"], WORDS["shirt"]], 0), WORDS["top"]], 0),
        WORDS["new_york"],
    ]
    np.testing.assert_allclose(V, expected, rtol=1e-6)
    assert (
        load_keyed_vectors(
            str(files[kind]), file_format=fmt, binary=kind == "word2vec-binary"
        ).vector_size
        == 3
    )


def test_missing_words_raise_naming_them(files):
    with pytest.raises(ValueError, match="zebra.*unicorn|unicorn.*zebra"):
        label_embeddings(["cat", "zebra", "unicorn"], str(files["glove"]), file_format="glove")
    with pytest.raises(ValueError, match="ankle boot"):
        label_embeddings(["ankle boot"], str(files["glove"]), file_format="glove", compound=None)


def test_fallback_and_normalize(files):
    V = label_embeddings(
        ["cat", "zebra"], str(files["glove"]), file_format="glove", on_missing="random", seed=1
    )
    again = label_embeddings(
        ["cat", "zebra"], str(files["glove"]), file_format="glove", on_missing="random", seed=1
    )
    np.testing.assert_array_equal(V, again)
    assert np.linalg.norm(V[1]) > 0
    unit = label_embeddings(
        ["dog", "top"], str(files["glove"]), file_format="glove", normalize=True
    )
    np.testing.assert_allclose(np.linalg.norm(unit, axis=1), 1.0, rtol=1e-6)


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        load_deephash_wordvec(tmp_path / "nope.txt")
    with pytest.raises(ValueError, match="file_format"):
        load_keyed_vectors(__file__, file_format="fasttext")
