"""DQN: train and evaluate with the positional arguments of thulab/DeepHash's `train_val.sh`.

    python examples/dqn/train_val_script.py 0.002 300 5000 0.0001 4 cifar10 0 tflog ~/data/
    python examples/dqn/train_val_script.py 0.002 32 1000 0.0001 4 fashion_mnist

Positional: `lr output_dim iter_num cq_lambda subspace_num dataset gpu log_dir data_root`
(defaults: those of `train_val.sh`). The config values of the original script are flags.

Departures from the original (each an explicit choice):
- R is the dataset's (cifar10 54000, nuswide_81/coco 5000, fashion_mnist the whole database),
  not the script's `R: 5`, which is most likely a typo for 5000 (`--original-r` restores 5);
- the evaluation encodes with the trained codebook restored from the model, not a random one
  (`--random-codebook-eval` reproduces the original's bug: `DQN.load_model` ignores `'C'`);
- the evaluation runs (the original script's `validation` call crashes before it); coco has a
  label width;
- a code update does not cut the current data epoch short (tf.data keeps its own epochs).
"""

import argparse
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [_HERE, os.path.dirname(_HERE)]
import _shared  # noqa: E402
import common  # noqa: E402


def add_common_flags(parser, batch_size, decay_step, decay_factor):
    parser.add_argument(
        "--num-codewords",
        "--n-subcenter",
        type=int,
        default=256,
        help="codewords per codebook (the original's n_subcenter)",
    )
    _shared.add_schedule_flags(
        parser,
        batch_size=batch_size,
        val_batch_size=100,
        decay_step=decay_step,
        decay_factor=decay_factor,
    )
    _shared.add_lr_schedule_flag(parser)
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
    _shared.add_quantizer_backbone_flags(parser, evaluate_verb="evaluate")
    parser.add_argument(
        "--finetune-all",
        type=_shared.str2bool,
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
        help="skip training; evaluate the .keras model given by --model-weights",
    )
    parser.add_argument(
        "--random-codebook-eval",
        action="store_true",
        default=False,
        help="evaluate with a random uniform codebook, as the original does",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of Keras, NumPy and the data")
    _shared.add_on_bad_image_flag(parser)
    _shared.add_limit_flags(parser)


def add_positional_arguments(parser, lr):
    """`train_val.sh`'s positional arguments, each optional with the script's default."""
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


def build_parser():
    parser = argparse.ArgumentParser(
        description="Deep Quantization Network (DQN)",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add_positional_arguments(parser, lr=0.002)
    add_common_flags(parser, batch_size=256, decay_step=500, decay_factor=0.5)
    parser.add_argument(
        "--original-r",
        action="store_true",
        default=False,
        help="use the script's R = 5 instead of the dataset's R",
    )
    return parser


def file_name(args):
    # The original's stem, then a digest of every setting (bits, seed, iterations...).
    return _shared.run_file_name(
        f"lr_{args.lr}_cqlambda_{args.cq_lambda}_subspace_num_{args.subspace_num}"
        f"_dataset_{args.dataset}",
        args,
    )


def load(args):
    data_dir = (
        None
        if args.dataset == "fashion_mnist" and args.data_root == "~/data/"
        else os.path.expanduser(args.data_root)
    )
    return common.load_data(args, args.gpu, data_dir)


def fit(args, model, data, callbacks):
    """Step-budgeted fit on index-carrying batches, with resumable state."""
    import keras

    from keras_hashing.callbacks import save_model_atomically
    from keras_hashing.data import indexed_dataset

    model.build((None,) + common.input_shape(data))
    model.compile(optimizer=_shared.optimizer_from_flags(args))
    steps, epochs = _shared.step_budget(data.num_train, args.batch_size, args.iter_num)
    run_dir = os.path.join(args.save_dir, file_name(args))
    os.makedirs(run_dir, exist_ok=True)
    backup = os.path.join(run_dir, "backup")
    train = indexed_dataset(
        data.train_inputs, data.train_labels, args.batch_size, shuffle_seed=args.seed
    )
    model.fit(
        train.repeat(),
        steps_per_epoch=steps,
        epochs=epochs,
        callbacks=_shared.resumable_callbacks(backup, args.iter_num, _shared.run_settings(args))
        + callbacks
        + [keras.callbacks.TensorBoard(os.path.join(args.log_dir, file_name(args)))],
        verbose=2,
    )
    path = os.path.join(args.save_dir, file_name(args) + ".keras")
    save_model_atomically(model, path)
    print(f"model saved to {path}")
    # The original's model file (conv1..fc8 and 'C'), for AlexNet.
    if args.img_model == "alexnet" and data.input_kind == "caffe256":
        model.save_deephash_weights(path[: -len(".keras")] + ".npy")
    return path


def evaluate(args, model, data, top_k, keys=("i2i_nocq", "i2i_AQD", "i2i_SQD"), **kwargs):
    import numpy as np

    codebook = None
    if args.random_codebook_eval:
        shape = (model.num_codebooks * model.num_codewords, model.code_length)
        codebook = np.random.default_rng(args.seed).uniform(-1, 1, shape).astype(np.float32)
    report, extras, _ = common.quantized_report(
        model, data, top_k, codebook=codebook, seed=args.seed, keys=keys, **kwargs
    )
    common.save_codes(os.path.join(args.save_dir, file_name(args) + "_codes.npz"), extras, data)
    return report, extras


def main(argv=None):
    args = build_parser().parse_args(argv)
    data = load(args)
    import keras

    from keras_hashing.callbacks import CodebookUpdate
    from keras_hashing.callbacks import update_period
    from keras_hashing.models import DQN

    if args.evaluate:
        model = keras.models.load_model(args.model_weights)
    else:
        model = common.build_quantizer(
            args,
            data,
            DQN,
            args.output_dim,
            num_codebooks=args.subspace_num,
            num_codewords=args.num_codewords,
            num_labels=data.num_labels,
            name="dqn",
        )
        period = update_period(data.num_train, args.batch_size)
        fit(args, model, data, [CodebookUpdate(period, args.max_iter_update_cb, seed=args.seed)])
    top_k = 5 if args.original_r else data.top_k
    report, extras = evaluate(args, model, data, top_k)
    print(report)
    print(f"encode_images_per_s: {extras['encode_images_per_s']:.1f}")
    return report


if __name__ == "__main__":
    main()
