"""Top-10 concept GloVe matrices per image (DRSH's `preprocess/e_x.py`).

    python data/drsh/top10_attributes.py --scores NUSatt_500.h5 \
        --vocabulary imgs_top10_label_train_test.json --vectors glove.txt --out NUSgtGlove.h5

For every entry of `--scores` (one float[V] concept-score vector per key), the `--top-k` (10)
highest-scoring concepts are taken and their word vectors are stacked **in vocabulary order**
(not score order) into a `k x d` matrix saved under the same key. The vocabulary is a JSON file
(a list, or a dict with the list under `all_label` as the original's) or a text file, one word a
line; vectors are read with gensim (`--vectors-format glove` for GloVe text files, e.g. from
`data/glove/prepare_glove.py`, or `word2vec`). Ties are broken by a stable sort (the original's
`argsort` is unstable).
"""

import argparse
import os
import sys

import h5py
import numpy as np

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from keras_hashing.data.drsh import attribute_matrices  # noqa: E402
from keras_hashing.data.drsh import read_vocabulary  # noqa: E402


def vocabulary_vectors(vocabulary, vectors_path, file_format="glove"):
    """`(V, d)` vectors of the vocabulary words, or raise naming the words gensim lacks."""
    from keras_hashing.data.word_vectors import load_keyed_vectors

    vectors = load_keyed_vectors(vectors_path, file_format=file_format)
    missing = [w for w in vocabulary if w not in vectors.key_to_index]
    if missing:
        raise ValueError(
            f"{vectors_path}: {len(missing)} vocabulary words have no vector: {missing[:10]}"
        )
    return np.stack([np.asarray(vectors[w], np.float32) for w in vocabulary])


def build(scores_path, word_vectors, out_path, k=10):
    """Writes `key -> (k, d)` for every key of `scores_path`; returns the count."""
    with h5py.File(scores_path, "r") as scores, h5py.File(out_path, "w") as out:
        for key in scores.keys():
            row = np.asarray(scores[key][()], dtype=np.float64).ravel()
            if row.shape[0] != len(word_vectors):
                raise ValueError(
                    f"{scores_path}: entry {key!r} has {row.shape[0]} scores, the "
                    f"vocabulary has {len(word_vectors)} words"
                )
            out.create_dataset(key, data=attribute_matrices(row[None], word_vectors, k)[0])
        return len(scores.keys())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scores", required=True)
    parser.add_argument("--vocabulary", required=True)
    parser.add_argument("--vocabulary-key", default="all_label")
    parser.add_argument("--vectors", required=True)
    parser.add_argument("--vectors-format", default="glove", choices=["glove", "word2vec"])
    parser.add_argument("--top-k", type=int, default=10)
    parser.add_argument("--out", default="NUSgtGlove.h5")
    args = parser.parse_args(argv)
    vocabulary = read_vocabulary(args.vocabulary, args.vocabulary_key)
    vectors = vocabulary_vectors(vocabulary, args.vectors, args.vectors_format)
    count = build(args.scores, vectors, args.out, args.top_k)
    print(f"wrote {count} attribute matrices ({args.top_k} x {vectors.shape[1]}) to {args.out}")


if __name__ == "__main__":
    main()
