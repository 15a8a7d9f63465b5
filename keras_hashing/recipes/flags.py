"""Command-line flags that several original scripts share, for the example shells.

Each helper adds one group of flags with the defaults the calling script passes, so that every
script keeps its original's spelling and defaults while the help text is written once. Nothing
here imports Keras or TensorFlow: a script parses `--gpus` before TensorFlow starts.
"""

from __future__ import annotations

import argparse


def str2bool(value: str | bool) -> bool:
    """argparse type for true/false flags (`type=bool` turns "false" into True)."""
    if isinstance(value, bool):
        return value
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "y", "t"):
        return True
    if lowered in ("0", "false", "no", "n", "f"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, found {value!r}")


def new_parser(description: str) -> argparse.ArgumentParser:
    """A parser whose `--help` shows every default."""
    return argparse.ArgumentParser(
        description=description, formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )


def add_schedule_flags(
    parser: argparse.ArgumentParser,
    batch_size: int,
    val_batch_size: int,
    decay_step: int,
    decay_factor: float,
    batch_size_help: str = "images per training batch",
) -> None:
    """The DeepHash scripts' batch sizes and step-decay schedule, with each script's defaults."""
    parser.add_argument("-b", "--batch-size", default=batch_size, type=int, help=batch_size_help)
    parser.add_argument(
        "-vb",
        "--val-batch-size",
        default=val_batch_size,
        type=int,
        help="images per batch when encoding the query and database sets",
    )
    parser.add_argument(
        "--decay-step",
        default=decay_step,
        type=int,
        help="training steps between learning-rate decays (step schedule)",
    )
    parser.add_argument(
        "--decay-factor",
        default=decay_factor,
        type=float,
        help="learning-rate multiplier at each decay (step schedule)",
    )


def add_lr_schedule_flag(parser: argparse.ArgumentParser) -> None:
    """`--lr-schedule`: the original's staircase, or the Fashion-MNIST preset's cosine."""
    parser.add_argument(
        "--lr-schedule",
        default="step",
        choices=("step", "cosine"),
        help="step (original): x --decay-factor every --decay-step updates; cosine: a half "
        "cosine from --lr to 0 over --iter-num updates (the Fashion-MNIST preset)",
    )


def add_tanh_flags(parser: argparse.ArgumentParser) -> None:
    """`--with-tanh` / `--without-tanh` on the hash layer's outputs."""
    tanh = parser.add_mutually_exclusive_group()
    tanh.add_argument(
        "--with-tanh",
        dest="with_tanh",
        action="store_true",
        default=True,
        help="tanh on the hash layer's outputs, as the original",
    )
    tanh.add_argument(
        "--without-tanh",
        dest="with_tanh",
        action="store_false",
        help="linear hash-layer outputs, no tanh (with_tanh default: %(default)s)",
    )


def add_limit_flags(parser: argparse.ArgumentParser) -> None:
    """`--train-limit` / `--eval-limit`: evenly spaced subsets for a quick run (tests, smoke)."""
    parser.add_argument(
        "--train-limit",
        type=int,
        default=0,
        help="cap the number of training items for a quick run (0: all)",
    )
    parser.add_argument(
        "--eval-limit",
        type=int,
        default=0,
        help="cap the number of query items (and the database at 4x that) for a quick run; "
        "in-memory datasets such as fashion_mnist only (0: all)",
    )


def add_on_bad_image_flag(parser: argparse.ArgumentParser) -> None:
    """`--on-bad-image`: what a list-file dataset does with a missing or unreadable image."""
    parser.add_argument(
        "--on-bad-image",
        default="raise",
        choices=["raise", "skip"],
        help="a missing or unreadable image in a list file: stop with an error, or drop it",
    )


def add_image_model_flags(parser: argparse.ArgumentParser, evaluate_verb: str = "evaluate") -> None:
    """`--img-model` and `--model-weights` as the DeepHash scripts take them, and the port's
    cached-trunk flags (`add_trunk_cache_flags`)."""
    parser.add_argument(
        "--img-model",
        default="alexnet",
        help="alexnet (CaffeNet, 256x256 list-file images), efficientnet_lite0 or "
        "efficientnet_lite1 (ImageNet, same images; efficientnet_lite2 too with --trunk-cache), "
        "or small_cnn (28x28; the one fashion_mnist uses)",
    )
    parser.add_argument(
        "--model-weights",
        default="pretrained/reference_pretrain.npy",
        help="AlexNet .npy dict (conv1..fc7; fc8 and codebook C optional), a SmallCNN "
        f".weights.h5, or 'none'; with -e, the .keras model to {evaluate_verb}",
    )
    add_trunk_cache_flags(parser)


def add_trunk_cache_flags(parser: argparse.ArgumentParser) -> None:
    """`--trunk-cache`, `--train-from`, `--train-views`, `--validation`: the CPU path of an
    EfficientNet-Lite `--img-model` (lower blocks frozen and cached once; a departure of the
    port), and its validation split."""
    parser.add_argument(
        "--trunk-cache",
        default="",
        help="a folder: freeze the EfficientNet-Lite blocks below --train-from, cache their "
        "outputs there once (list-file datasets; shared by every method and bit length) and "
        "fine-tune the rest on them (the CPU path); empty: train the whole network from the "
        "images, as the originals (the GPU path)",
    )
    parser.add_argument(
        "--train-from",
        default=15,
        type=int,
        help="with --trunk-cache: the first EfficientNet-Lite block fine-tuned; the blocks "
        "below it are frozen and cached",
    )
    parser.add_argument(
        "--train-views",
        default=3,
        type=int,
        help="with --trunk-cache: cached views per training image (the centre crop, then "
        "random crops with flips)",
    )
    parser.add_argument(
        "--validation",
        action="store_true",
        help="with --trunk-cache: train on val_train.txt and search val_test.txt (held-out "
        "training images, data/cifar10/prepare.py) against the database, to choose settings "
        "without the test queries",
    )


# --- DQN, DVSQ and DTQ (thulab/DeepHash's quantizers) ---------------------------------------------


def add_positional_arguments(parser: argparse.ArgumentParser, lr: float) -> None:
    """DQN's and DVSQ's `train_val.sh` positional arguments, each optional with its default."""
    positional = [
        ("lr", float, lr, "initial learning rate"),
        ("output_dim", int, 300, "output width (the features that are quantized)"),
        ("iter_num", int, 5000, "training iterations"),
        ("cq_lambda", float, 0.0001, "weight of the quantization loss"),
        ("subspace_num", int, 4, "number of codebooks (subspaces)"),
        (
            "dataset",
            str,
            "cifar10",
            "cifar10, nuswide_81, coco (list files under data_root) or fashion_mnist",
        ),
        ("gpu", str, "0", "GPUs to use (CUDA_VISIBLE_DEVICES)"),
        ("log_dir", str, "tflog", "TensorBoard summaries go to <log_dir>/<run name>"),
        (
            "data_root",
            str,
            "~/data/",
            "folder holding <dataset>/{train,test,database}.txt (fashion_mnist: the IDX "
            "folder; ~/data/ means the default one)",
        ),
    ]
    for name, kind, default, description in positional:
        parser.add_argument(name, nargs="?", type=kind, default=default, help=description)


def add_quantizer_flags(parser: argparse.ArgumentParser, evaluate_verb: str = "evaluate") -> None:
    """The flags DQN, DVSQ and DTQ share: code updates, backbone, files, seed, quick runs."""
    parser.add_argument(
        "--max-iter-update-b", type=int, default=3, help="ICM sweeps per code update"
    )
    parser.add_argument(
        "--max-iter-update-Cb",
        dest="max_iter_update_cb",
        type=int,
        default=1,
        help="(ICM codes, least-squares codebook) rounds per codebook update",
    )
    parser.add_argument(
        "--code-batch-size", type=int, default=500, help="items per ICM code-update chunk"
    )
    add_image_model_flags(parser, evaluate_verb=evaluate_verb)
    parser.add_argument(
        "--finetune-all",
        type=str2bool,
        default=True,
        help="true: train the backbone too; false: freeze it and train the hash layer only",
    )
    parser.add_argument(
        "--save-dir",
        default="./models/",
        help="where the model, its codes and the backup are written",
    )
    parser.add_argument(
        "-e",
        "--evaluate",
        action="store_true",
        default=False,
        help=f"skip training; {evaluate_verb} the .keras model given by --model-weights",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of Keras, NumPy and the data")
    add_on_bad_image_flag(parser)
    add_limit_flags(parser)


def add_iteration_flags(parser: argparse.ArgumentParser) -> None:
    """DQN's and DVSQ's flags beyond the positional arguments (both scripts' defaults)."""
    parser.add_argument(
        "--num-codewords",
        "--n-subcenter",
        type=int,
        default=256,
        help="codewords per codebook (the original's n_subcenter)",
    )
    add_schedule_flags(parser, batch_size=256, val_batch_size=100, decay_step=500, decay_factor=0.5)
    add_lr_schedule_flag(parser)
    add_quantizer_flags(parser)
    parser.add_argument(
        "--random-codebook-eval",
        action="store_true",
        default=False,
        help="evaluate with a random uniform codebook, as the original does",
    )
