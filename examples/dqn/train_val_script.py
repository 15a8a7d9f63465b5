"""DQN: train and evaluate with the positional arguments of thulab/DeepHash's `train_val.sh`.

    python examples/dqn/train_val_script.py 0.002 300 5000 0.0001 4 cifar10 0 tflog ~/data/
    python examples/dqn/train_val_script.py 0.002 32 1000 0.0001 4 fashion_mnist

Positional: `lr output_dim iter_num cq_lambda subspace_num dataset gpu log_dir data_root`
(defaults: those of `train_val.sh`). The config values of the original script are flags.
The run is `keras_hashing.recipes.deephash.quantizers.DQNRecipe`.

Departures from the original (each an explicit choice; details in the recipe's docstring):
R is the dataset's, not the script's `R: 5` (`--original-r` restores 5); the evaluation encodes
with the trained codebook (`--random-codebook-eval` reproduces the original's random one); the
evaluation runs (the original script crashes before it); coco has a label width.
"""

from keras_hashing.recipes import flags
from keras_hashing.recipes.deephash import quantizers


def build_parser():
    parser = flags.new_parser("Deep Quantization Network (DQN)")
    flags.add_positional_arguments(parser, lr=0.002)
    flags.add_iteration_flags(parser)
    parser.add_argument(
        "--original-r",
        action="store_true",
        default=False,
        help="use the script's R = 5 instead of the dataset's R",
    )
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return quantizers.DQNRecipe.from_args(args).run()
    except (ValueError, FileNotFoundError) as error:
        raise SystemExit(str(error)) from error


if __name__ == "__main__":
    main()
