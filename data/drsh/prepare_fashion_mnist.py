"""Fashion-MNIST in DRSH's file layout: features, attribute matrices, membership files, id lists.

    python data/drsh/prepare_fashion_mnist.py --out-dir ~/data/drsh_fashion_mnist

Visual feature: the flattened pixels scaled to [0, 1] (784-d) less the training images' mean
pixel vector, standing in for VGG fc7. Centring matters: DRSH's bits are `sign(x W + b)` and its
triplet loss hardly moves `b` (it cancels in the distances), so uncentred non-negative features
give unbalanced bits (`--no-centre` keeps the raw pixels). Scale matters too: DRSH's margin (2)
and divisor (32) are absolute numbers set for VGG fc7 activations, and centred pixels are small
(mean norm about 8), so most of a short training goes into inflating `W_feat` until the margin is
reachable. `--feature-norm N` rescales every feature by one factor so that the centred training
features have mean L2 norm N (ITQ is scale-invariant, so the comparison is unchanged).
Attributes, standing in for the MIL concept detector of the original: a scikit-learn
`LogisticRegression` fitted on the training images only scores the 10 class names for every
image; the GloVe 6B 50-d vectors of the `--top-k` best-scoring names are stacked in vocabulary
(label-index) order, as `e_x.py` stacks its top 10 of 500 concepts. With only 10 names, top-10
would give every image the same matrix, hence `--top-k 3` by default.

Writes, under `--out-dir`: `features.h5` (id -> float[784]), `attributes.h5` (id -> float[k, 50]),
`imageclas.h5` and `class.h5` (membership), `trainid.npy`, `testid.npy` (query ids) and, with
`--include-database`, `databaseid.npy` and the database entries. Ids are the image's index in the
70 000-image concatenation (train file, then t10k), as strings. The GloVe words come from
`data/glove/fashion_mnist_glove.txt` (made by `data/glove/prepare_glove.py`).
"""

import argparse
import os
import sys
import warnings

import numpy as np

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

DEFAULT_GLOVE = os.path.join(_ROOT, "data", "glove", "fashion_mnist_glove.txt")


def pixel_features(images):
    """float32 `(N, 784)` in [0, 1]."""
    images = np.asarray(images)
    return images.reshape(len(images), -1).astype(np.float32) / 255.0


def class_scorer(train_features, train_labels, seed=0, max_iter=200):
    """A multinomial LogisticRegression fitted on the training images (labels one-hot or ints)."""
    from sklearn.linear_model import LogisticRegression

    labels = np.asarray(train_labels)
    if labels.ndim == 2:
        labels = labels.argmax(axis=1)
    return LogisticRegression(max_iter=max_iter, random_state=seed).fit(train_features, labels)


def build_arrays(
    split=None, glove_path=DEFAULT_GLOVE, top_k=3, seed=0, centre=True, feature_norm=None
):
    """Features and attribute matrices of the protocol split, in memory.

    `feature_norm`: optional float; every feature is multiplied by one factor (`feature_scale`)
    so that the (centred) training features have this mean L2 norm.

    Returns:
        dict with `class_names`, `word_vectors (10, 50)`, `classifier`, `feature_mean`,
        `feature_scale` (features = (pixels - feature_mean) * feature_scale), and for each part in
        train/query/database: `<part>_ids` (str), `<part>_features (N, 784)`,
        `<part>_attributes (N, k, 50)`, `<part>_labels (N, 10)`.
    """
    from keras_hashing.data import label_embeddings
    from keras_hashing.data import load_fashion_mnist
    from keras_hashing.data.drsh import attribute_matrices
    from keras_hashing.data.drsh import feature_normalisation

    split = split if split is not None else load_fashion_mnist()
    word_vectors = label_embeddings(list(split.class_names), glove_path, file_format="glove")
    # The membership files name each category by an HDF5 member, which cannot hold "/":
    # "T-shirt/top" is written "T-shirt-top" (the word vectors above use the real names).
    out = {
        "class_names": [name.replace("/", "-") for name in split.class_names],
        "word_vectors": word_vectors,
    }
    train_features = pixel_features(split.train_images)
    with warnings.catch_warnings():  # lbfgs stops at max_iter on raw pixels; the scores are fine
        warnings.simplefilter("ignore")
        classifier = class_scorer(train_features, split.train_labels, seed)
    out["classifier"] = classifier
    mean, scale = feature_normalisation(train_features, feature_norm, centre)
    out["feature_mean"] = mean
    out["feature_scale"] = scale
    for part in ("train", "query", "database"):
        features = (
            train_features if part == "train" else pixel_features(getattr(split, f"{part}_images"))
        )
        out[f"{part}_ids"] = [str(int(i)) for i in getattr(split, f"{part}_ids")]
        out[f"{part}_features"] = (features - mean) * scale
        out[f"{part}_attributes"] = attribute_matrices(
            classifier.decision_function(features), word_vectors, top_k
        )
        out[f"{part}_labels"] = np.asarray(getattr(split, f"{part}_labels"), np.float32)
    return out


def write_files(arrays, out_dir, include_database=False):
    """Writes the DRSH files for the arrays of `build_arrays`; returns their paths."""
    from keras_hashing.data.drsh import write_drsh_files

    keys = ("ids", "features", "attributes", "labels")
    parts = ["train", "query"] + (["database"] if include_database else [])
    return write_drsh_files(
        out_dir,
        {part: tuple(arrays[f"{part}_{key}"] for key in keys) for part in parts},
        arrays["class_names"],
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", required=True)
    parser.add_argument("--glove", default=DEFAULT_GLOVE)
    parser.add_argument("--top-k", type=int, default=3)
    parser.add_argument("--include-database", action="store_true")
    parser.add_argument("--no-centre", action="store_true", help="keep the raw [0, 1] pixels")
    parser.add_argument(
        "--feature-norm",
        type=float,
        default=None,
        help="rescale the features to this mean L2 norm (module docstring)",
    )
    parser.add_argument("--data-dir", default=None, help="Fashion-MNIST IDX folder")
    parser.add_argument("--num-train-per-class", type=int, default=500)
    parser.add_argument("--num-query-per-class", type=int, default=100)
    args = parser.parse_args(argv)
    from keras_hashing.data import load_fashion_mnist

    split = load_fashion_mnist(args.data_dir, args.num_train_per_class, args.num_query_per_class)
    arrays = build_arrays(
        split,
        os.path.expanduser(args.glove),
        args.top_k,
        centre=not args.no_centre,
        feature_norm=args.feature_norm,
    )
    paths = write_files(arrays, os.path.expanduser(args.out_dir), args.include_database)
    for name, path in paths.items():
        print(f"{name}: {path}")


if __name__ == "__main__":
    main()
