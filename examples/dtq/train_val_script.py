"""DTQ: train and evaluate with the flags and defaults of thulab/DeepHash's DTQ example.

    python examples/dtq/train_val_script.py --dataset cifar10 --data-dir ~/data \
        --model-weights pretrained/reference_pretrain.npy
    python examples/dtq/train_val_script.py --dataset fashion_mnist --output-dim 32 --epochs 5

Departures from the original (each an explicit choice):
- `--decay-factor` is a float (declared `int` there, so `0.5` was refused);
- `--finetune-all` parses true/false; `--data-dir` is user-expanded; `--log-dir` is not deleted;
- validation fits its database codebook into a copy: the training codebook is no longer
  overwritten (`DTQ.validation` re-fits `self.C`); `--val-overwrites-codebook` restores the
  original behaviour;
- the embedding refresh covers every training sample (the original leaves `n mod 3T` stale);
- an anchor with no negative in its group is skipped and zero triplets raise (the original crashes).
"""

import argparse
import os
import sys

_DQN_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "dqn")
sys.path[:0] = [_DQN_DIR, os.path.dirname(_DQN_DIR)]
import _shared  # noqa: E402
import common  # noqa: E402


def build_parser():
    parser = argparse.ArgumentParser(
        description="Deep Triplet Quantization (DTQ)",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
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
    _shared.add_schedule_flags(
        parser,
        batch_size=128,
        val_batch_size=16,
        decay_step=10000,
        decay_factor=0.1,
        batch_size_help="triplets per batch (3 images each)",
    )
    _shared.add_tanh_flags(parser)
    _shared.add_quantizer_backbone_flags(parser, evaluate_verb="validate")
    parser.add_argument(
        "--finetune-all",
        default=True,
        type=_shared.str2bool,
        help="true: train the backbone too; false: freeze it and train the hash layer only",
    )
    parser.add_argument(
        "--max-iter-update-b", default=3, type=int, help="ICM sweeps per code update"
    )
    parser.add_argument(
        "--max-iter-update-Cb",
        dest="max_iter_update_cb",
        default=1,
        type=int,
        help="(ICM codes, least-squares codebook) rounds per codebook update",
    )
    parser.add_argument(
        "--code-batch-size", default=500, type=int, help="items per ICM code-update chunk"
    )
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
        "--save-dir",
        default="./models/",
        help="where the model, its codes and the backup are written",
    )
    parser.add_argument(
        "--data-dir",
        default="~/data/",
        help="folder holding <dataset>/{train,test,database}.txt (fashion_mnist: the IDX folder)",
    )
    parser.add_argument(
        "-e",
        "--evaluate",
        action="store_true",
        default=False,
        help="skip training; validate the .keras model given by --model-weights",
    )
    parser.add_argument("--val-freq", default=1, type=int, help="epochs between validations")
    # Additions of the port.
    parser.add_argument(
        "--val-overwrites-codebook",
        action="store_true",
        default=False,
        help="validation replaces the training codebook (the original)",
    )
    parser.add_argument("--seed", default=0, type=int, help="seed of Keras, NumPy and the data")
    _shared.add_on_bad_image_flag(parser)
    _shared.add_limit_flags(parser)
    return parser


def file_name(args):
    # The original's stem, then a digest of every setting (seed, epochs...).
    return _shared.run_file_name(
        f"lr_{args.lr}_margin_{args.triplet_margin}_{args.select_strategy}_dim_{args.output_dim}"
        f"_subspace_{args.subspace}_subcenter_{args.subcenter}_{args.dist_type}"
        f"_n_part_{args.n_part}_{args.triplet_thresold}_ds_{args.dataset}",
        args,
    )


def validation(args, model, data):
    report, extras, codebook = common.quantized_report(
        model,
        data,
        data.top_k,
        seed=args.seed,
        keys=("map_feature_ip", "map_AQD_ip", "map_SQD_ip"),
        database_codebook_fit=True,
        max_iter_update_cb=args.max_iter_update_cb,
    )
    if args.val_overwrites_codebook:
        model.quantizer.set_codebook(codebook)
    common.save_codes(os.path.join(args.save_dir, file_name(args) + "_codes.npz"), extras, data)
    print(report)
    return report


def main(argv=None):
    args = build_parser().parse_args(argv)
    args.data_dir = os.path.expanduser(args.data_dir)
    data_dir = (
        None
        if args.dataset == "fashion_mnist" and args.data_dir == os.path.expanduser("~/data/")
        else args.data_dir
    )
    data = common.load_data(args, args.gpus, data_dir)
    import keras

    os.makedirs(args.save_dir, exist_ok=True)
    if args.evaluate:
        return validation(args, keras.models.load_model(args.model_weights), data)

    from keras_hashing.callbacks import TripletQuantizationUpdate
    from keras_hashing.callbacks import save_model_atomically
    from keras_hashing.data import TripletSampler
    from keras_hashing.data import triplet_dataset
    from keras_hashing.models import DTQ
    from keras_hashing.optimizers import deephash_optimizer
    from keras_hashing.recipes import fit_variable_epochs

    model = common.build_quantizer(
        args,
        data,
        DTQ,
        args.output_dim,
        num_codebooks=args.subspace,
        num_codewords=args.subcenter,
        triplet_margin=args.triplet_margin,
        dist_type=args.dist_type,
        with_tanh=args.with_tanh,
        num_labels=data.num_labels,
        name="dtq",
    )
    model.build((None,) + common.input_shape(data))
    model.compile(optimizer=deephash_optimizer(args.lr, args.decay_step, args.decay_factor))
    sampler = TripletSampler(
        data.train_inputs,
        data.train_labels,
        args.batch_size,
        margin=args.triplet_margin,
        strategy=args.select_strategy,
        n_part=args.n_part,
        threshold=args.triplet_thresold,
        seed=args.seed,
    )
    run_dir = os.path.join(args.save_dir, file_name(args))
    backup = os.path.join(run_dir, "backup")
    update = TripletQuantizationUpdate(sampler, args.max_iter_update_cb, seed=args.seed)

    class Validation(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if (epoch + 1) % args.val_freq == 0 or epoch + 1 == args.epochs:
                update._catch_up(epoch + 1)  # the epoch's ICM + LS first, as the original orders it
                self.report = validation(args, self.model, data)
                for key, value in self.report.items():
                    if logs is not None:
                        logs[key] = value

    validator = Validation()
    summaries = keras.callbacks.TensorBoard(os.path.join(args.log_dir, file_name(args)))
    # One `fit` per epoch: re-mining changes the epoch length, which one `fit` call would cap.
    fit_variable_epochs(
        model,
        triplet_dataset(sampler),
        args.epochs,
        _shared.resumable_callbacks(backup, settings=_shared.run_settings(args))
        + [update, validator, summaries],
        verbose=2,
    )
    path = os.path.join(args.save_dir, file_name(args) + ".keras")
    save_model_atomically(model, path)
    print(f"model saved to {path}")
    # The original's model file (conv1..fc8 and 'C'), for AlexNet.
    if args.img_model == "alexnet" and data.input_kind == "caffe256":
        model.save_deephash_weights(path[: -len(".keras")] + ".npy")
    return getattr(validator, "report", None)  # no separate final validation, as the original


if __name__ == "__main__":
    main()
