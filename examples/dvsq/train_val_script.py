"""DVSQ: train and evaluate with the positional arguments of thulab/DeepHash's `train_val.sh`.

    python examples/dvsq/train_val_script.py 0.02 300 5000 0.0001 4 cifar10 0 tflog ~/data/
    python examples/dvsq/train_val_script.py 0.02 50 1000 0.0001 2 fashion_mnist \
        --wordvec data/glove/fashion_mnist_glove.txt --wordvec-format glove

Positional: `lr output_dim iter_num cq_lambda subspace_num dataset gpu log_dir data_root`.
Label word vectors: `--wordvec` (default `<data_root>/<dataset>_wordvec.txt`, the original's file,
read with `load_deephash_wordvec`), or a word2vec/GloVe file with `--wordvec-format` plus the label
names (`--label-names`, default the dataset's class names) looked up with gensim. For
fashion_mnist the default is GloVe 6B 50-d written by `data/glove/prepare_glove.py` (so
`output_dim` must be 50; the original asserts output_dim == word-vector dimension).

Departures: the evaluation encodes with the trained codebook (`--random-codebook-eval` for the
original's random one: `DVSQ.load_model` ignores the saved `'C'`); `--paper-loss` sums the
ranking hinge over negative labels only.
"""

import importlib.util
import os
import sys

_DQN_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "dqn")
sys.path[:0] = [_DQN_DIR, os.path.dirname(_DQN_DIR)]
import _shared  # noqa: E402
import common  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "dqn_train_val_script", os.path.join(_DQN_DIR, "train_val_script.py")
)
dqn_script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(dqn_script)
add_common_flags, add_positional_arguments, evaluate, file_name, fit, load = (
    dqn_script.add_common_flags,
    dqn_script.add_positional_arguments,
    dqn_script.evaluate,
    dqn_script.file_name,
    dqn_script.fit,
    dqn_script.load,
)


def build_parser():
    import argparse

    parser = argparse.ArgumentParser(
        description="Deep Visual-Semantic Quantization (DVSQ)",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add_positional_arguments(parser, lr=0.02)
    add_common_flags(parser, batch_size=256, decay_step=500, decay_factor=0.5)
    parser.add_argument(
        "--loss-type",
        default="cos_softmargin_multi_label",
        choices=["cos_softmargin_multi_label", "cos_margin_multi_label"],
        help="ranking loss against the label word vectors: adaptive margin (the original's), "
        "or the fixed --margin-param",
    )
    parser.add_argument(
        "--margin-param",
        type=float,
        default=0.7,
        help="margin of cos_margin_multi_label (unused by the adaptive one)",
    )
    parser.add_argument(
        "--paper-loss",
        action="store_true",
        default=False,
        help="rank against negative labels only (the paper), not every label",
    )
    parser.add_argument("--wordvec", default=None, help="word-vector file (see the module doc)")
    parser.add_argument(
        "--wordvec-format",
        default="deephash",
        choices=["deephash", "word2vec", "word2vec-binary", "glove"],
        help="format of --wordvec: deephash (the original's <dataset>_wordvec.txt), or a "
        "word2vec (text or binary) / GloVe file looked up by label name",
    )
    parser.add_argument(
        "--label-names",
        nargs="+",
        default=None,
        help="names to look up in a word2vec/GloVe file, one per label (None: the "
        "dataset's class names)",
    )
    parser.add_argument(
        "--on-missing-word",
        default="raise",
        choices=["raise", "random"],
        help="a label name missing from the vector file: stop with an error, or use a "
        "random vector",
    )
    return parser


def word_vectors(args, data):
    from keras_hashing.data import label_embeddings
    from keras_hashing.data import load_deephash_wordvec

    path, file_format = args.wordvec, args.wordvec_format
    if path is None and args.dataset == "fashion_mnist":
        path = os.path.join(_shared.ROOT, "data", "glove", "fashion_mnist_glove.txt")
        file_format = "glove"
        if not os.path.exists(path):
            import subprocess

            subprocess.run(
                [
                    sys.executable,
                    os.path.join(_shared.ROOT, "data", "glove", "prepare_glove.py"),
                    "--words",
                    *common.FASHION_MNIST_NAMES,
                    "--out",
                    path,
                ],
                check=True,
            )
    if path is None:
        path = os.path.join(os.path.expanduser(args.data_root), f"{args.dataset}_wordvec.txt")
    if file_format == "deephash":
        return load_deephash_wordvec(path)
    names = args.label_names or data.class_names
    if not names:
        raise SystemExit("--label-names is needed to look up word vectors for this dataset.")
    return label_embeddings(
        names,
        path,
        file_format="glove" if file_format == "glove" else "word2vec",
        binary=file_format == "word2vec-binary",
        on_missing=args.on_missing_word,
    )


def main(argv=None):
    args = build_parser().parse_args(argv)
    data = load(args)
    import keras

    from keras_hashing.callbacks import CodebookUpdate
    from keras_hashing.callbacks import update_period
    from keras_hashing.models import DVSQ

    if args.evaluate:
        model = keras.models.load_model(args.model_weights)
    else:
        V = word_vectors(args, data)
        if args.output_dim != V.shape[1]:
            raise SystemExit(
                f"output_dim {args.output_dim} must equal the word-vector dimension "
                f"{V.shape[1]} (the original asserts it)."
            )
        model = common.build_quantizer(
            args,
            data,
            DVSQ,
            V,
            code_length=args.output_dim,
            num_codebooks=args.subspace_num,
            num_codewords=args.num_codewords,
            loss_type=args.loss_type,
            margin=args.margin_param,
            negatives_only=args.paper_loss,
            name="dvsq",
        )
        period = update_period(data.num_train, args.batch_size)
        fit(args, model, data, [CodebookUpdate(period, args.max_iter_update_cb, seed=args.seed)])
    report, extras = evaluate(args, model, data, data.top_k)
    print(report)
    print(f"encode_images_per_s: {extras['encode_images_per_s']:.1f}")
    return report


if __name__ == "__main__":
    main()
