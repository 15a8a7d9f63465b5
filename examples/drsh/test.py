"""DRSH encoding and evaluation with the layout of frankenstan/DRSH's `test.py`.

    python examples/drsh/test.py --loadfile models/v34/drsh.keras --feature NUSF.h5 \
        --attribute NUSGlove.h5 --train-ids truetrainid.npy --test-ids truetestid.npy \
        --image-categories imageclas.h5

Encodes every test id, then every training id, and writes the {0,1} codes as the original:
`code/test34_2_1k_96.mat` (variable `test`, shape N x 1 x K) and `code/train34_2_1k_96.mat`
(`train`), plus `.npy` copies (N x K, uint8). `--loadfile` takes the port's `.keras` model or an
original `.npz` checkpoint (then `--steps`, default 96 as the original's test, `--hidden-dim` and
`--mode` describe it). Addition: mAP@ALL (query = test ids, database = training ids, Hamming
ranking, ties by database index, relevant when an image shares a category) and mAP@1000 with
`keras_hashing.metrics`, from the categories of `--image-categories`; the original evaluated
outside its repository.
"""

import argparse
import os
import sys
import time

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)


def build_parser():
    parser = argparse.ArgumentParser(
        description="Deep Recurrent Scaling Hashing (DRSH): encoding",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--loadfile",
        default="v34_96bit/2_1049.npz",
        help="the port's .keras model, or an original .npz checkpoint",
    )
    parser.add_argument("--feature", default="NUSF.h5", help="HDF5 file of the fc7 features")
    parser.add_argument(
        "--attribute",
        default="NUSGlove.h5",
        help="HDF5 file of each image's attribute word vectors",
    )
    parser.add_argument("--steps", type=int, default=96, help="code length of an .npz checkpoint")
    parser.add_argument(
        "--dim-frame", type=int, default=4096, help="image feature width of an .npz checkpoint"
    )
    parser.add_argument(
        "--att-frame",
        type=int,
        default=300,
        help="attribute word-vector width (unused: --attribute has it)",
    )
    parser.add_argument(
        "--hidden-dim", type=int, default=512, help="LSTM hidden width of an .npz checkpoint"
    )
    parser.add_argument(
        "--mode",
        default="faithful",
        choices=["faithful", "batched"],
        help="the mode an .npz checkpoint was trained in",
    )
    parser.add_argument("--train-ids", default="truetrainid.npy", help="training ids (database)")
    parser.add_argument("--test-ids", default="truetestid.npy", help="test ids (queries)")
    parser.add_argument(
        "--image-categories", default=None, help="imageclas.h5; with it the script prints mAP"
    )
    parser.add_argument(
        "--category-images",
        default=None,
        help="class.h5 (category order; None: class.h5 beside --image-categories)",
    )
    parser.add_argument("--code-dir", default="code", help="folder for the .mat and .npy codes")
    parser.add_argument("--test-name", default="test34_2_1k_96", help="file stem of the test codes")
    parser.add_argument(
        "--train-name", default="train34_2_1k_96", help="file stem of the training codes"
    )
    parser.add_argument("--batch-size", type=int, default=1024, help="images per encoding batch")
    return parser


def load_model(args, attribute_shape):
    import keras
    import numpy as np

    from keras_hashing.models import DRSH

    if args.loadfile.endswith(".keras"):
        return keras.models.load_model(args.loadfile)
    model = DRSH(
        args.steps,
        args.hidden_dim,
        mode=args.mode,
        feature_dim=args.dim_frame,
        attribute_shape=attribute_shape,
    )
    with np.load(args.loadfile) as params:
        model.set_original_weights(params, source=args.loadfile)
    return model


def category_labels(membership, ids, categories):
    import numpy as np

    column = {c: j for j, c in enumerate(categories)}
    labels = np.zeros((len(ids), len(categories)), np.float32)
    for row, key in enumerate(ids):
        if key not in membership.image_categories:
            raise ValueError(f"id {key!r} has no entry in the image-category file")
        for category in membership.image_categories[key]:
            labels[row, column[category]] = 1.0
    return labels


def main(argv=None):
    args = build_parser().parse_args(argv)
    import numpy as np
    import scipy.io

    from keras_hashing.data.drsh import H5Entries
    from keras_hashing.data.drsh import load_membership
    from keras_hashing.data.drsh import read_ids
    from keras_hashing.metrics import map_after_sign

    features = H5Entries(args.feature, "feature file")
    attributes = H5Entries(args.attribute, "attribute file")
    model = load_model(args, attributes.shape)
    test_ids, train_ids = read_ids(args.test_ids), read_ids(args.train_ids)
    os.makedirs(args.code_dir, exist_ok=True)
    results = {}
    start = time.time()
    for ids, name, variable in (
        (test_ids, args.test_name, "test"),
        (train_ids, args.train_name, "train"),
    ):
        attributes.check_ids(ids)  # the original reads both for every id
        bits = model.encode_bits(features.gather(ids), batch_size=args.batch_size)
        results[variable] = bits
        scipy.io.savemat(os.path.join(args.code_dir, name + ".mat"), {variable: bits[:, None, :]})
        np.save(os.path.join(args.code_dir, name + ".npy"), bits)
        print(
            f"{variable}: {bits.shape[0]} codes of {bits.shape[1]} bits -> "
            f"{os.path.join(args.code_dir, name + '.mat')}"
        )
    print(f"encoded {len(test_ids) + len(train_ids)} images in {time.time() - start:.1f} s")
    if args.image_categories:
        category_path = args.category_images or os.path.join(
            os.path.dirname(args.image_categories), "class.h5"
        )
        membership = load_membership(args.image_categories, category_path)
        categories = sorted(membership.category_images)
        query_labels = category_labels(membership, test_ids, categories)
        database_labels = category_labels(membership, train_ids, categories)
        signs = {k: v.astype(np.float32) * 2 - 1 for k, v in results.items()}
        for key, top_k in (("mAP@ALL", len(train_ids)), ("mAP@1000", min(1000, len(train_ids)))):
            value = map_after_sign(
                signs["test"], query_labels, signs["train"], database_labels, top_k
            )
            results[key] = float(value)
            print(f"{key}: {value:.4f}")
    return results


if __name__ == "__main__":
    main()
