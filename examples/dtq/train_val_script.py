"""DTQ: train and evaluate with the flags and defaults of thulab/DeepHash's DTQ example.

    python examples/dtq/train_val_script.py --dataset cifar10 --data-dir ~/data \
        --model-weights pretrained/reference_pretrain.npy
    python examples/dtq/train_val_script.py --dataset fashion_mnist --output-dim 32 --epochs 5

The run is `keras_hashing.recipes.deephash.quantizers.DTQRecipe`. Departures from the original
(each an explicit choice; details in the recipe's docstring): `--decay-factor` is a float (declared
`int` there); `--finetune-all` parses true/false; `--data-dir` is user-expanded; `--log-dir` is not
deleted; validation fits its database codebook into a copy (`--val-overwrites-codebook` restores
the original's overwrite); the embedding refresh covers every training sample; an anchor with no
negative in its group is skipped and zero triplets raise; one `fit` per epoch.
"""

from keras_hashing.recipes import flags
from keras_hashing.recipes.deephash import quantizers


def build_parser():
    parser = flags.new_parser("Deep Triplet Quantization (DTQ)")
    parser.add_argument(
        "--lr", "--learning-rate", default=3e-5, type=float, help="initial learning rate"
    )
    parser.add_argument(
        "--triplet-margin",
        default=30.0,
        type=float,
        help="margin of the triplet loss, also used to mine the triplets",
    )
    parser.add_argument(
        "--select-strategy",
        default="margin",
        choices=["hard", "all", "margin"],
        help="triplet mining: hard (farthest positive, nearest negative), all (random "
        "negatives), margin (negatives violating the margin)",
    )
    parser.add_argument(
        "--output-dim", default=64, type=int, help="output width (the features that are quantized)"
    )
    parser.add_argument(
        "--epochs", default=100, type=int, help="training epochs over the mined triplets"
    )
    parser.add_argument(
        "--cq-lambda", default=0.0, type=float, help="weight of the quantization loss"
    )
    parser.add_argument("--subspace", default=4, type=int, help="number of codebooks (M)")
    parser.add_argument("--subcenter", default=256, type=int, help="codewords per codebook (K)")
    parser.add_argument(
        "--dataset",
        default="cifar10",
        help="cifar10, coco, nuswide_81 (list files), or fashion_mnist",
    )
    parser.add_argument("--gpus", default="0", help="GPUs to use (CUDA_VISIBLE_DEVICES)")
    parser.add_argument(
        "--log-dir",
        default="tflog",
        help="TensorBoard summaries go to <log-dir>/<run name> (kept, so a run can resume)",
    )
    parser.add_argument(
        "--dist-type",
        default="euclidean2",
        choices=["euclidean2", "cosine", "inner_product", "euclidean"],
        help="distance of the triplet loss (mining uses euclidean2 whatever this is, as the "
        "original)",
    )
    flags.add_schedule_flags(
        parser,
        batch_size=128,
        val_batch_size=16,
        decay_step=10000,
        decay_factor=0.1,
        batch_size_help="triplets per batch (3 images each)",
    )
    flags.add_tanh_flags(parser)
    flags.add_quantizer_flags(parser, evaluate_verb="validate")
    parser.add_argument(
        "--n-part", default=20, type=int, help="initial number of triplet-mining groups"
    )
    parser.add_argument(
        "--triplet-thresold",
        default=64000,
        type=int,
        help="halve the mining groups when fewer triplets than this are found (the "
        "original's spelling)",
    )
    parser.add_argument(
        "--data-dir",
        default="~/data/",
        help="folder holding <dataset>/{train,test,database}.txt (fashion_mnist: the IDX folder)",
    )
    parser.add_argument("--val-freq", default=1, type=int, help="epochs between validations")
    parser.add_argument(
        "--val-overwrites-codebook",
        action="store_true",
        default=False,
        help="validation replaces the training codebook (the original)",
    )
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return quantizers.DTQRecipe.from_args(args).run()
    except (ValueError, FileNotFoundError) as error:
        raise SystemExit(str(error)) from error


if __name__ == "__main__":
    main()
