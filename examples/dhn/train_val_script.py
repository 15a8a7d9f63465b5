"""DHN: train, save, reload and evaluate, with the positional arguments of DeepHash's example.

    python examples/dhn/train_val_script.py \
        lr output_dim iter_num cq_lambda alpha dataset gpu log_dir data_root
    python examples/dhn/train_val_script.py 0.00005 64 2000 0.0 10.0 cifar10 0 tflog ~/data/cifar10
    python examples/dhn/train_val_script.py 0.005 32 2000 0.0 10.0 fashion_mnist 0 tflog -

The nine positional arguments are the original's (thulab/DeepHash examples/dhn/train_val.sh and
train_val_script.py), in its order; the config values the original hard-coded (batch 256, validation
batch 100, decay 0.5 every 5 000 steps, `normed_cross_entropy`, AlexNet) are the defaults of
optional flags.

Departures from the original (each one an explicit choice):
- list files are read from `data_root` (`<data_root>/{train,test,database}.txt`, or
  `<data_root>/<dataset>/...` when that exists) instead of the hard-coded
  `/home/caoyue/data/<dataset>/`; the stale `../../core/...reference_pretrain.npy` path is
  replaced by `--model-weights` (default `pretrained/reference_pretrain.npy`);
- `fashion_mnist` runs offline with SmallCNN; its `data_root` is the IDX folder, or `-` for
  `$FASHION_MNIST_DIR` or the Debian location;
- `gpu` is a `CUDA_VISIBLE_DEVICES` list (`0`, `0,1`), `-1` or `cpu` for none;
- the saved model is a `.keras` file (plus the `.npy` dict for AlexNet) reloaded into a fresh
  model for evaluation, as the original reloads its `.npy`;
- ties in rankings are broken by database index (`--tie-break numpy` for the original order).
"""

import argparse
import importlib.util
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import _shared  # noqa: E402

REPORT_KEYS = (
    "i2i_by_feature",
    "i2i_after_sign",
    "i2i_prec_radius_2",
    "i2i_recall_radius_2",
    "i2i_map_radius_2",
)


def build_parser():
    parser = argparse.ArgumentParser(
        description="Deep Hashing Network (DHN)",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("lr", type=float, help="initial learning rate (train_val.sh: 0.00005)")
    parser.add_argument("output_dim", type=int, help="code length in bits (train_val.sh: 64)")
    parser.add_argument("iter_num", type=int, help="training iterations (train_val.sh: 2000)")
    parser.add_argument(
        "cq_lambda",
        type=float,
        help="weight of the quantization loss mean((|z| - 1)^2) (train_val.sh: 0.0)",
    )
    parser.add_argument(
        "alpha",
        type=float,
        help="scale of the similarity inside the pairwise cross-entropy's sigmoid "
        "(train_val.sh: 10.0)",
    )
    parser.add_argument(
        "dataset",
        type=str,
        help="cifar10, nuswide_81, coco, ... (list files under data_root) or fashion_mnist",
    )
    parser.add_argument(
        "gpu", type=str, help="GPUs to use (CUDA_VISIBLE_DEVICES: 0, 0,1), or -1 / cpu for none"
    )
    parser.add_argument(
        "log_dir",
        type=str,
        help="TensorBoard summaries go to <log_dir>/<run name> (train_val.sh: tflog)",
    )
    parser.add_argument(
        "data_root",
        type=str,
        help="folder with {train,test,database}.txt (or <data_root>/<dataset>/); for "
        "fashion_mnist the IDX folder, or - for the default one",
    )
    # The original's hard-coded config, as flags.
    _shared.add_schedule_flags(
        parser, batch_size=256, val_batch_size=100, decay_step=5000, decay_factor=0.5
    )
    _shared.add_lr_schedule_flag(parser)
    parser.add_argument(
        "--loss-type",
        default="normed_cross_entropy",
        choices=["normed_cross_entropy", "cross_entropy"],
        help="pairwise cross-entropy on the cosine (normed) or the inner product of the outputs",
    )
    parser.add_argument(
        "--img-model",
        default="alexnet",
        choices=["alexnet", "efficientnet_lite0", "efficientnet_lite1", "small_cnn"],
        help="alexnet (CaffeNet, 256x256 list-file images), efficientnet_lite0/1 (ImageNet, "
        "same images), or small_cnn (28x28; the one fashion_mnist uses)",
    )
    parser.add_argument(
        "--model-weights",
        default="pretrained/reference_pretrain.npy",
        help="AlexNet .npy dict (conv1..fc7, fc8 optional), or 'none'",
    )
    parser.add_argument(
        "--finetune-all",
        default="true",
        choices=["true", "false"],
        help="true: train the backbone too; false: freeze it and train the hash layer only",
    )
    parser.add_argument(
        "--save-dir", default="./models/", help="where the model files and the backup are written"
    )
    # Additions of the port.
    parser.add_argument(
        "--tie-break",
        default="index",
        choices=["index", "numpy"],
        help="order of equal distances in rankings: by database index, or the original's "
        "NumPy argpartition + argsort",
    )
    parser.add_argument("--seed", default=0, type=int, help="seed of Keras, NumPy and the data")
    _shared.add_on_bad_image_flag(parser)
    parser.add_argument(
        "--cpu-replicas",
        default=0,
        type=int,
        help="mirror over this many logical CPU devices (testing without GPUs)",
    )
    return parser


def file_name(args):
    # The original's stem, then a digest of every setting (bits, seed, iterations...).
    return _shared.run_file_name(
        f"lr_{args.lr}_cqlambda_{args.cq_lambda}_alpha_{args.alpha}_dataset_{args.dataset}", args
    )


def load_data(args):
    """`RetrievalData` for Fashion-MNIST or for the list files under `data_root`."""
    from keras_hashing.data.registry import load_retrieval_data

    if args.dataset == "fashion_mnist":
        data_dir = None if args.data_root in ("-", "", "default") else args.data_root
        data_dir = data_dir or os.environ.get("FASHION_MNIST_DIR") or None
        return load_retrieval_data(
            "fashion_mnist",
            data_dir=data_dir,
            batch_size=args.batch_size,
            val_batch_size=args.val_batch_size,
            seed=args.seed,
        )
    from keras_hashing.data.registry import LABEL_DIMS

    if args.dataset not in LABEL_DIMS:
        raise SystemExit(f"unknown dataset {args.dataset!r}; expected one of {sorted(LABEL_DIMS)}")
    try:  # data_root is the list folder itself, or its parent (as the other scripts take it)
        return load_retrieval_data(
            args.dataset,
            data_dir=args.data_root,
            batch_size=args.batch_size,
            val_batch_size=args.val_batch_size,
            seed=args.seed,
            on_error=args.on_bad_image,
        )
    except ValueError as error:
        raise SystemExit(f"{error} (lists are read from data_root)") from None


def build_model(args, data):
    from keras_hashing import backbones
    from keras_hashing.models import DHN

    options = dict(
        alpha=args.alpha,
        q_lambda=args.cq_lambda,
        normed=args.loss_type == "normed_cross_entropy",
        num_labels=data.num_labels,
        name="dhn",
    )
    img_model = _shared.resolve_img_model(args.img_model, data.input_kind)
    if img_model == "small_cnn":
        backbone, preprocessor = _shared.small_cnn_parts(args.model_weights, args.seed)
        model = DHN(backbone, args.output_dim, preprocessor=preprocessor, **options)
    elif img_model != "alexnet":
        backbone, preprocessor = _shared.efficientnet_parts(
            img_model, args.model_weights, args.seed
        )
        model = DHN(backbone, args.output_dim, preprocessor=preprocessor, **options)
    else:
        from keras_hashing.layers import CaffeCrop

        weights = None if args.model_weights.lower() == "none" else args.model_weights
        if weights and not os.path.exists(weights):
            raise SystemExit(
                f"--model-weights {weights} does not exist; see pretrained/README.md, "
                "or pass --model-weights none to start from random weights."
            )
        model = DHN(
            backbones.AlexNet(weights=weights),
            args.output_dim,
            preprocessor=CaffeCrop(seed=args.seed),
            **options,
        )
        if weights:
            model.load_deephash_weights(weights)  # fc8 too, when the file has one
    if args.finetune_all == "false":
        model.backbone.trainable = False
    return model


def train(args, data, strategy):
    import keras

    from keras_hashing.callbacks import save_model_atomically

    steps_per_epoch, epochs = _shared.step_budget(data.num_train, args.batch_size, args.iter_num)
    with strategy.scope():
        model = build_model(args, data)
        model.compile(optimizer=_shared.optimizer_from_flags(args))
        # BackupAndRestore needs every weight before `fit`.
        model.build(tuple(data.train.element_spec[0].shape))
    run_dir = os.path.join(args.save_dir, file_name(args))
    backup_dir = os.path.join(run_dir, "backup")
    callbacks = _shared.resumable_callbacks(backup_dir, args.iter_num, _shared.run_settings(args))
    if importlib.util.find_spec("tensorboard") is not None:  # the original's summaries
        callbacks.append(keras.callbacks.TensorBoard(os.path.join(args.log_dir, file_name(args))))
    else:
        print("tensorboard is not installed: no summaries are written to", args.log_dir)
    start = time.time()
    model.fit(
        data.train.repeat(),
        steps_per_epoch=steps_per_epoch,
        epochs=epochs,
        callbacks=callbacks,
        verbose=2,
    )
    print(f"trained {int(model.optimizer.iterations)} iterations in {time.time() - start:.1f} s")
    path = os.path.join(args.save_dir, file_name(args) + ".keras")
    save_model_atomically(model, path)
    print(f"model saved to {path}")
    # The original's model file beside the .keras one, for AlexNet.
    if args.img_model == "alexnet" and data.input_kind == "caffe256":
        model.save_deephash_weights(path[: -len(".keras")] + ".npy")
    return path


def validation(args, data, model_path):
    import keras

    from keras_hashing.metrics import deephash_report

    model = keras.models.load_model(model_path)  # a fresh model, as the original reloads
    query_outputs = model.predict(data.query, verbose=0)
    database_outputs = model.predict(data.database, verbose=0)
    report = deephash_report(
        query_outputs,
        data.query_labels,
        database_outputs,
        data.database_labels,
        data.top_k,
        tie_break=args.tie_break,
    )
    return {key: report[key] for key in REPORT_KEYS}


def main(argv=None):
    args = build_parser().parse_args(argv)
    os.makedirs(args.save_dir, exist_ok=True)
    from keras_hashing.distribute import training_strategy

    gpus = "" if args.gpu.lower() in ("-1", "cpu", "none") else args.gpu
    strategy = training_strategy(gpus, cpu_replicas=args.cpu_replicas)

    import keras

    keras.utils.set_random_seed(args.seed)
    data = load_data(args)
    config = {
        "max_iter": args.iter_num,
        "batch_size": args.batch_size,
        "val_batch_size": args.val_batch_size,
        "decay_step": args.decay_step,
        "learning_rate_decay_factor": args.decay_factor,
        "learning_rate": args.lr,
        "output_dim": args.output_dim,
        "alpha": args.alpha,
        "R": data.top_k,  # the original's config key
        "loss_type": args.loss_type,
        "cq_lambda": args.cq_lambda,
        "label_dim": data.num_labels,
        "dataset": args.dataset,
        "save_dir": args.save_dir,
        "log_dir": args.log_dir,
    }
    print(config)
    model_path = train(args, data, strategy)
    maps = validation(args, data, model_path)
    for key in maps:
        print(f"{key}: {maps[key]}")
    return maps


if __name__ == "__main__":
    main()
