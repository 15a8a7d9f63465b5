"""DCH: train and evaluate, with the flags and defaults of thulab/DeepHash's example.

    python examples/dch/train_val_script.py --dataset fashion_mnist --output-dim 32
    python examples/dch/train_val_script.py --dataset cifar10 --data-dir ~/data \
        --model-weights pretrained/reference_pretrain.npy --gpus 0,1

Departures from the original (each one is an explicit choice, see README):
- `--finetune-all` parses true/false (the original's `type=bool` could never be false);
- `--data-dir` is user-expanded; `--log-dir/<name>` is kept, not deleted, so a run can resume;
- evaluation batches are not padded by overlapping the last batch (a static-graph artefact);
- ties in rankings are broken by database index (`--tie-break numpy` for the original order).
"""

import argparse
import json
import os
import sys
import time

# Set by --gpus before TensorFlow starts, as the original does with CUDA_VISIBLE_DEVICES.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import _shared  # noqa: E402


def build_parser():
    parser = argparse.ArgumentParser(
        description="Deep Cauchy Hashing (DCH)",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--lr", "--learning-rate", default=0.005, type=float, help="initial learning rate"
    )
    parser.add_argument(
        "--output-dim", default=64, type=int, help="code length in bits (hash layer width)"
    )
    parser.add_argument(
        "--gamma", default=20.0, type=float, help="scale of the Cauchy cross-entropy loss"
    )
    parser.add_argument("--iter-num", default=2000, type=int, help="training iterations (steps)")
    parser.add_argument(
        "--q-lambda",
        default=0.0,
        type=float,
        help="weight of the quantization loss mean((|z| - 1)^2)",
    )
    parser.add_argument(
        "--dataset",
        default="cifar10",
        type=str,
        help="cifar10, nuswide_81, coco (list files under --data-dir), "
        "fashion_mnist (offline), or tfds:<name>",
    )
    parser.add_argument(
        "--gpus", default="0", type=str, help="GPUs to use (CUDA_VISIBLE_DEVICES), e.g. 0 or 0,1"
    )
    parser.add_argument(
        "--log-dir",
        default="tflog",
        type=str,
        help="TensorBoard summaries go to <log-dir>/<run name> (kept, so a run can resume)",
    )
    _shared.add_schedule_flags(
        parser, batch_size=128, val_batch_size=16, decay_step=10000, decay_factor=0.1
    )
    _shared.add_tanh_flags(parser)
    _shared.add_lr_schedule_flag(parser)
    parser.add_argument(
        "--img-model",
        default="alexnet",
        type=str,
        help="alexnet (CaffeNet, 256x256 list-file images), efficientnet_lite0 or "
        "efficientnet_lite1 (ImageNet, same images), or small_cnn (28x28; the default for "
        "fashion_mnist)",
    )
    parser.add_argument(
        "--model-weights",
        type=str,
        default="pretrained/reference_pretrain.npy",
        help="AlexNet .npy dict (conv1..fc7, fc8 optional) or a .keras model",
    )
    parser.add_argument(
        "--finetune-all",
        default=True,
        type=_shared.str2bool,
        help="true: train the backbone too; false: freeze it and train the hash layer only",
    )
    parser.add_argument(
        "--save-dir",
        default="./models/",
        type=str,
        help="where the model, its codes, figures and results are written",
    )
    parser.add_argument(
        "--data-dir",
        default="~/data/",
        type=str,
        help="folder holding <dataset>/{train,test,database}.txt (fashion_mnist: the IDX folder)",
    )
    parser.add_argument(
        "-e",
        "--evaluate",
        action="store_true",
        default=False,
        help="skip training; evaluate --model-weights (a .keras model or an AlexNet .npy)",
    )
    # Additions of the port.
    parser.add_argument(
        "--eval-every",
        default=0,
        type=int,
        help="epochs between RetrievalEvaluation runs during training (0: off)",
    )
    parser.add_argument(
        "--tie-break",
        default="index",
        choices=["index", "numpy"],
        help="order of equal distances in rankings: by database index, or the original's "
        "NumPy argpartition + argsort",
    )
    parser.add_argument("--seed", default=0, type=int, help="seed of Keras, NumPy and the data")
    parser.add_argument(
        "--cpu-replicas",
        default=0,
        type=int,
        help="mirror over this many logical CPU devices (testing without GPUs)",
    )
    _shared.add_on_bad_image_flag(parser)
    parser.add_argument(
        "--no-plots",
        action="store_true",
        default=False,
        help="do not write the precision-recall PNG",
    )
    parser.add_argument(
        "--inference-views",
        default=10,
        type=int,
        choices=[1, 10],
        help="small_cnn: views averaged per image at encoding (10: the 10-crop analogue)",
    )
    return parser


def file_name(args):
    # The original's stem, then a digest of every setting (bits, seed, iterations...).
    return _shared.run_file_name(
        f"lr_{args.lr}_cqlambda_{args.q_lambda}_gamma_{args.gamma}"
        f"_dataset_{args.dataset.replace(':', '_')}",
        args,
    )


def build_model(args, data):

    from keras_hashing import backbones
    from keras_hashing.layers import CaffeCrop
    from keras_hashing.models import DCH

    img_model = _shared.resolve_img_model(args.img_model, data.input_kind)
    if img_model == "small_cnn":
        from keras_hashing.models.presets import fashion_mnist_dch

        # `--model-weights <file>.weights.h5` starts the preset SmallCNN from classification
        # weights (pretrained/README.md), the stand-in for the original's ImageNet AlexNet.
        backbone_weights = (
            args.model_weights if args.model_weights.endswith(".weights.h5") else None
        )
        if backbone_weights and not os.path.exists(backbone_weights):
            raise SystemExit(f"--model-weights {backbone_weights} does not exist.")
        model = fashion_mnist_dch(
            args.output_dim,
            gamma=args.gamma,
            q_lambda=args.q_lambda,
            seed=args.seed,
            with_tanh=args.with_tanh,
            inference_views=args.inference_views,
            backbone_weights=backbone_weights,
        )
    else:
        weights = None
        if img_model == "alexnet":
            weights = args.model_weights if args.model_weights.endswith(".npy") else None
            if weights and not os.path.exists(weights):
                raise SystemExit(
                    f"--model-weights {weights} does not exist; see pretrained/README.md for "
                    "reference_pretrain.npy, or pass --model-weights none to start from random "
                    "weights."
                )
            backbone, preprocessor = backbones.AlexNet(), CaffeCrop(seed=args.seed)
        else:
            backbone, preprocessor = _shared.efficientnet_parts(
                img_model, args.model_weights, args.seed
            )
        model = DCH(
            backbone,
            args.output_dim,
            gamma=args.gamma,
            q_lambda=args.q_lambda,
            with_tanh=args.with_tanh,
            preprocessor=preprocessor,
            num_labels=data.num_labels,
            name="dch",
        )
        if weights:
            model.load_deephash_weights(weights)  # fc8 too, when the file has one
    if not args.finetune_all:
        model.backbone.trainable = False
    return model


def train(args, data, strategy, run_dir):
    import keras

    from keras_hashing.callbacks import IterationProgress
    from keras_hashing.callbacks import RetrievalEvaluation
    from keras_hashing.callbacks import save_model_atomically

    steps_per_epoch, epochs = _shared.step_budget(data.num_train, args.batch_size, args.iter_num)
    with strategy.scope():
        model = build_model(args, data)
        model.compile(optimizer=_shared.optimizer_from_flags(args))
        # Built up front so that BackupAndRestore can restore weights and optimizer state.
        input_spec = data.train.element_spec[0]
        model.build((None,) + tuple(input_spec.shape[1:]))
        model.optimizer.build(model.trainable_variables)
    backup_dir = os.path.join(run_dir, "backup")
    callbacks = _shared.resumable_callbacks(
        backup_dir, args.iter_num, _shared.run_settings(args)
    ) + [
        keras.callbacks.TensorBoard(os.path.join(args.log_dir, file_name(args))),
    ]
    if args.eval_every:
        callbacks.append(
            RetrievalEvaluation(
                (data.query, data.query_labels),
                (data.database, data.database_labels),
                top_k=data.top_k,
                every_n_epochs=args.eval_every,
                tie_break=args.tie_break,
                prefix="test_",  # the test queries: to watch, never to choose on
            )
        )
    start = time.time()
    model.fit(
        data.train.repeat(),
        steps_per_epoch=steps_per_epoch,
        epochs=epochs,
        callbacks=callbacks + [IterationProgress(args.iter_num)],
        verbose=0,  # one bar over the iterations instead of a line per 39-step epoch
        shuffle=False,
    )
    elapsed = time.time() - start
    print(f"trained {int(model.optimizer.iterations.numpy())} iterations in {elapsed:.1f} s")
    path = os.path.join(args.save_dir, file_name(args) + ".keras")
    save_model_atomically(model, path)
    print(f"model saved to {path}")
    # The original's model file beside the .keras one, for AlexNet.
    if args.img_model == "alexnet" and data.input_kind == "caffe256":
        model.save_deephash_weights(path[: -len(".keras")] + ".npy")
    return model, path


def evaluate(args, data, model, run_dir):
    import numpy as np

    from keras_hashing.metrics import collapse_warning
    from keras_hashing.metrics import deephash_report
    from keras_hashing.metrics import map_after_sign
    from keras_hashing.metrics import plot_precision_recall_curves

    print(f"encoding {len(data.database_labels)} database images", flush=True)
    start = time.time()
    database_outputs = model.predict(data.database, verbose=1)
    encode_seconds = time.time() - start
    query_outputs = model.predict(data.query, verbose=0)
    warning = collapse_warning(database_outputs, data.num_labels)
    if warning:
        print(warning)
    print(
        f"evaluating {len(data.query_labels)} queries against {len(data.database_labels)} "
        "database items",
        flush=True,
    )
    report = deephash_report(
        query_outputs,
        data.query_labels,
        database_outputs,
        data.database_labels,
        data.top_k,
        tie_break=args.tie_break,
        with_curves=True,
    )
    precision, recall, curve_map = report.pop("curves")
    if not args.no_plots:
        plot_precision_recall_curves(
            precision,
            recall,
            curve_map,
            os.path.join(run_dir, "precision_recall.png"),
            title=f"DCH, {args.dataset}, {args.output_dim} bits",
        )
    extra = {
        "i2i_after_sign@1000": float(
            map_after_sign(
                query_outputs,
                data.query_labels,
                database_outputs,
                data.database_labels,
                min(1000, len(database_outputs)),
                tie_break=args.tie_break,
            )
        ),
        "encode_images_per_s": len(database_outputs) / max(encode_seconds, 1e-9),
    }
    np.savez(
        os.path.join(run_dir, "codes.npz"),
        query_outputs=query_outputs,
        database_outputs=database_outputs,
        query_labels=data.query_labels,
        database_labels=data.database_labels,
    )
    return report, extra


def main(argv=None):
    args = build_parser().parse_args(argv)
    args.data_dir = os.path.expanduser(args.data_dir)
    from keras_hashing.distribute import training_strategy

    strategy = training_strategy(args.gpus, cpu_replicas=args.cpu_replicas)

    import keras

    from keras_hashing.data.registry import load_retrieval_data

    keras.utils.set_random_seed(args.seed)
    data_dir = (
        None
        if args.dataset == "fashion_mnist" and args.data_dir == os.path.expanduser("~/data/")
        else args.data_dir
    )
    data = load_retrieval_data(
        args.dataset,
        data_dir=data_dir,
        batch_size=args.batch_size,
        val_batch_size=args.val_batch_size,
        seed=args.seed,
        on_error=args.on_bad_image,
    )
    run_dir = os.path.join(args.save_dir, file_name(args))
    os.makedirs(run_dir, exist_ok=True)
    if args.evaluate:
        if args.model_weights.endswith(".keras"):
            model = keras.models.load_model(args.model_weights)
        else:
            with strategy.scope():
                model = build_model(args, data)
    else:
        model, _ = train(args, data, strategy, run_dir)
    report, extra = evaluate(args, data, model, run_dir)
    from keras_hashing.metrics import format_table

    print(format_table({**report, **extra}, title=f"DCH, {args.dataset}, {args.output_dim} bits"))
    results = os.path.join(args.save_dir, file_name(args) + ".json")
    with open(results, "w") as handle:  # the figures with every setting that made them
        json.dump(
            {"report": report, **extra, "settings": _shared.run_settings(args)},
            handle,
            indent=1,
            default=float,
        )
    print(f"results written to {results}")
    return report


if __name__ == "__main__":
    main()
