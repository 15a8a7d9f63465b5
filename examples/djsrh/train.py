"""DJSRH: train and evaluate as zs-zhong/DJSRH's `train.py` with its `settings.py` values.

    python examples/djsrh/train.py --dataset MIRFlickr --data-dir ~/data/mirflickr
    python examples/djsrh/train.py --dataset fashion_mnist --code-len 32
    python examples/djsrh/train.py --dataset openclipart --data-dir ~/data/openclipart --code-len 32
    python examples/djsrh/train.py --dataset MIRFlickr --eval      # EVAL mode: load and evaluate

The flags are settings.py's names; the per-dataset ones (rates, loss weights, epochs) default to
the chosen dataset's values, `DJSRHRecipe.presets[dataset]`. `keras_hashing.recipes.djsrh` does
the work and lists the departures (seeded split saved next to the model, ties by database index,
`MODEL_DIR/latest.keras`, `--resume` from `MODEL_DIR/backup`, the fashion_mnist and openclipart
datasets).
"""

from keras_hashing.recipes.flags import new_parser

DATASETS = ["WIKI", "MIRFlickr", "NUSWIDE", "fashion_mnist", "openclipart"]


def build_parser():
    parser = new_parser("DJSRH (zs-zhong/DJSRH settings.py values unless overridden)")
    add = parser.add_argument
    add("--dataset", default="MIRFlickr", choices=DATASETS,
        help="DATASET: which data and which per-dataset settings")
    add("--eval", action="store_true", default=False,
        help="EVAL: load <model-dir>/latest.keras and only evaluate")
    add("--data-dir", default=None, help="DATA_DIR (None: the original's PATHS entry)")
    add("--image-dir", default=None, help="WIKI images (<category>/<name>.jpg)")
    add("--code-len", default=64, type=int, help="CODE_LEN")
    add("--batch-size", default=32, type=int, help="BATCH_SIZE (drop_last)")
    # None: the dataset's value in settings.py.
    for flag, key, kind, what in (
        ("--num-epoch", "NUM_EPOCH", int, "training epochs"),
        ("--eval-interval", "EVAL_INTERVAL", int, "epochs between evaluations"),
        ("--lr-img", "LR_IMG", float, "learning rate of the image net"),
        ("--lr-txt", "LR_TXT", float, "learning rate of the text net"),
        ("--beta", "BETA", float, "weight of the image affinity in the joint similarity"),
        ("--lambda1", "LAMBDA1", float, "weight of the image-image reconstruction"),
        ("--lambda2", "LAMBDA2", float, "weight of the text-text reconstruction"),
    ):
        add(flag, default=None, type=kind, help=f"{key}, {what} (None: the dataset's)")
    add("--mu", default=1.5, type=float, help="MU, scale of the joint similarity")
    add("--eta", default=0.4, type=float, help="ETA, weight of the second-order similarity")
    add("--momentum", default=0.9, type=float, help="MOMENTUM of both SGDs")
    add("--weight-decay", default=5e-4, type=float, help="WEIGHT_DECAY, coupled L2 of both SGDs")
    add("--model-dir", default="./checkpoint",
        help="MODEL_DIR: latest.keras, the split, log/ and backup/")
    add("--alexnet-weights", default="pretrained/alexnet_torchvision.npz",
        help="torchvision AlexNet .npz, or 'none' for random weights")
    add("--top-k", default=50, type=int, help="mAP cut-off (the original's mAP@50)")
    add("--seed", default=0, type=int, help="seed of Keras and the split")
    add("--hidden", default=1024, type=int,
        help="width of the image MLP of fashion_mnist and openclipart")
    add("--text-hidden", default=4096, type=int, help="width of the text net's hidden layer")
    add("--resume", action="store_true", default=False,
        help="continue an interrupted run from <model-dir>/backup")
    add("--verbose", default=2, type=int, help="Keras fit verbosity (0, 1, 2)")
    add("--log-dir", default="tflog",
        help="TensorBoard summaries go to <log-dir>/<dataset>_<code-len>")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    from keras_hashing.recipes.djsrh import DJSRHRecipe

    try:
        return DJSRHRecipe.from_args(args).run()
    except (ValueError, FileNotFoundError) as error:
        raise SystemExit(str(error)) from error


if __name__ == "__main__":
    main()
