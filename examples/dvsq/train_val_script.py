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
The run is `keras_hashing.recipes.deephash.quantizers.DVSQRecipe`.

Departures: the evaluation encodes with the trained codebook (`--random-codebook-eval` for the
original's random one: `DVSQ.load_model` ignores the saved `'C'`); `--paper-loss` sums the
ranking hinge over negative labels only.
"""

from keras_hashing.recipes import flags
from keras_hashing.recipes.deephash import quantizers


def build_parser():
    parser = flags.new_parser("Deep Visual-Semantic Quantization (DVSQ)")
    flags.add_positional_arguments(parser, lr=0.02)
    flags.add_iteration_flags(parser)
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


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return quantizers.DVSQRecipe.from_args(args).run()
    except (ValueError, FileNotFoundError) as error:
        raise SystemExit(str(error)) from error


if __name__ == "__main__":
    main()
