"""DADH: train and test with the commands, flags and defaults of Zjut-MultimediaPlus/DADH.

    python examples/dadh/main.py train --flag mir --bit 64 --data_path ./data/FLICKR-25K.mat
    python examples/dadh/main.py train --flag nus --bit 64 --lr 1e-5 --dropout True
    python examples/dadh/main.py test --flag mir --bit 64
    python examples/dadh/main.py train --flag fashion_mnist --bit 32 --hidden_dim 1024
    python examples/dadh/main.py train --flag openclipart --data_path ~/data/openclipart \
        --bit 32 --hidden_dim 1024 --max_epoch 60

Departures from the original (each an explicit choice; see its main.py, `train` and `test`):
- `--flag` has a working default (the original crashed unless it was passed);
- no model selection on the test queries by default: the final model is saved and the per-epoch
  query mAP is only reported (`--select_on_query True` restores the original best-epoch choice);
- `--flag fashion_mnist`: the two-view Fashion-MNIST task (top half as image, bottom half as text);
- `--flag openclipart`: Open Clip Art pictures and their words, the folder of
  `data/openclipart/prepare.py --no-links --features-from lite0` (ImageNet EfficientNet-Lite0
  features in CNN-F's place, standardised as the original's data handler does);
- `imagenet-vgg-f.mat` (`--pretrain_model_path`) is accepted but never read: the original loads it
  and does not use it;
- visdom (`--vis_env`, `--vis_port`) is replaced by Keras logs, `result.json` and TensorBoard
  summaries under `--log_dir` (or `--log-dir`); `--device` is accepted for compatibility (use
  CUDA_VISIBLE_DEVICES);
- ties in the Hamming ranking are broken by database index (`--convention dadh` keeps the
  original denominators; the sort is stable).
"""

import argparse
import json
import os
import sys
import time

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

DATA_PATHS = {"mir": "./data/FLICKR-25K.mat", "nus": "./data/NUS-WIDE-TC21.mat"}
DATASET_NAMES = {
    "mir": "flickr25k",
    "nus": "nus-wide",
    "fashion_mnist": "fashion_mnist",
    "openclipart": "openclipart",
}
# Datasets whose image width comes from the data rather than `--image_dim` (CNN-F's 4 096).
OWN_WIDTH = ("fashion_mnist", "openclipart")


def str2bool(value):
    if isinstance(value, bool):
        return value
    lowered = str(value).strip().lower()
    if lowered in ("1", "true", "yes", "y", "t"):
        return True
    if lowered in ("0", "false", "no", "n", "f", "none"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, found {value!r}")


def build_parser():
    parser = argparse.ArgumentParser(
        description="Deep Adversarial Discrete Hashing (DADH)",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "command", choices=["train", "test"], help="train a model, or test a saved one"
    )
    # config.py of the original, same names and defaults.
    parser.add_argument(
        "--flag",
        default="mir",
        choices=["mir", "nus", "fashion_mnist", "openclipart"],
        help="dataset: mir (MIRFlickr-25K), nus (NUS-WIDE), fashion_mnist (two views), "
        "openclipart (data/openclipart/prepare.py's folder)",
    )
    parser.add_argument("--batch_size", default=128, type=int, help="batch size")
    parser.add_argument("--lr", default=5e-5, type=float, help="learning rate (run_nus.sh: 1e-5)")
    parser.add_argument(
        "--valid",
        default=True,
        type=str2bool,
        help="evaluate the query set every --valid_freq epochs",
    )
    parser.add_argument("--valid_freq", default=1, type=int, help="epochs between evaluations")
    parser.add_argument("--bit", default=64, type=int, help="code length")
    parser.add_argument("--lamb", default=1.0, type=float, help="ridge weight of the B-step")
    parser.add_argument(
        "--alpha",
        default=10.0,
        type=float,
        help="triplet weight (exactly 10 also turns on the NDCG weights, as the original)",
    )
    parser.add_argument(
        "--gamma",
        default=1.0,
        type=float,
        help="adversarial weight (also scales the discriminator losses)",
    )
    parser.add_argument(
        "--beta",
        default=1.0,
        type=float,
        help="quantization weight (plus 0.1 under --faithful_constants)",
    )
    parser.add_argument("--mu", default=1e-5, type=float, help="weight of H in the B-step")
    parser.add_argument("--margin", default=0.4, type=float, help="triplet margin")
    parser.add_argument("--max_epoch", default=300, type=int, help="training epochs")
    parser.add_argument(
        "--vis_env", default="main", type=str, help="visdom environment (accepted, unused)"
    )
    parser.add_argument("--vis_port", default=8097, type=int, help="visdom port (accepted, unused)")
    parser.add_argument(
        "--device",
        default="cuda:0",
        type=str,
        help="accepted, unused: choose GPUs with CUDA_VISIBLE_DEVICES",
    )
    parser.add_argument(
        "--dropout",
        default=False,
        type=str2bool,
        help="dropout in the hash modules (run_nus.sh passes True; pass it to test too)",
    )
    parser.add_argument("--image_dim", default=4096, type=int, help="image feature width (checked)")
    parser.add_argument("--hidden_dim", default=8192, type=int, help="hidden layer width")
    parser.add_argument(
        "--modals", default=2, type=int, help="number of modalities (accepted, unused)"
    )
    parser.add_argument(
        "--load_model_path",
        default=None,
        type=str,
        help="model to test (None: <checkpoint_dir>/<dataset>_<bit>/GEN_module.keras)",
    )
    parser.add_argument(
        "--pretrain_model_path",
        default="./data/imagenet-vgg-f.mat",
        type=str,
        help="accepted, never read (the original loads it and does not use it)",
    )
    # Additions of the port.
    parser.add_argument(
        "--data_path",
        default=None,
        type=str,
        help="the .mat file (default ./data/FLICKR-25K.mat or ./data/NUS-WIDE-TC21.mat); "
        "the IDX folder for fashion_mnist",
    )
    parser.add_argument(
        "--split_sizes",
        default=None,
        type=str,
        help="query,train,database sizes overriding the original split (small files)",
    )
    parser.add_argument(
        "--checkpoint_dir",
        default="checkpoints",
        type=str,
        help="holds one folder per run, <dataset>_<bit>, with the model and results",
    )
    parser.add_argument(
        "--select_on_query",
        default=False,
        type=str2bool,
        help="save the epoch with the best query mAP, as the original (model "
        "selection on the test set)",
    )
    parser.add_argument(
        "--faithful_constants",
        default=True,
        type=str2bool,
        help="beta + 0.1 and the kappa factors of the original",
    )
    parser.add_argument(
        "--second_text_pass",
        default=True,
        type=str2bool,
        help="a second text pass for the hash-adversarial term, as the original (it updates "
        "the batch-norm statistics twice)",
    )
    parser.add_argument(
        "--decay_at_epoch_zero",
        default=True,
        type=str2bool,
        help="the generator's learning-rate decay fires after epoch 0 too, as the original",
    )
    parser.add_argument(
        "--convention",
        default="dadh",
        choices=["dadh", "index", "djsrh"],
        help="mAP computation: the original's (dadh), ties by database index (index), or DJSRH's",
    )
    parser.add_argument("--seed", default=0, type=int, help="seed of Keras, NumPy and the data")
    parser.add_argument("--verbose", default=2, type=int, help="Keras fit verbosity (0, 1, 2)")
    parser.add_argument(
        "--log_dir",
        "--log-dir",
        default="tflog",
        type=str,
        help="TensorBoard summaries go to <log_dir>/<dataset>_<bit>",
    )
    return parser


def load_data(args):
    from keras_hashing.data.cross_modal import load_dadh_mat
    from keras_hashing.data.cross_modal import two_view_fashion_mnist

    if args.flag == "fashion_mnist":
        return two_view_fashion_mnist(data_dir=args.data_path)
    if args.flag == "openclipart":
        from keras_hashing.data.openclipart import load_openclipart

        return load_openclipart(args.data_path or "~/data/openclipart", require_features=True)
    path = args.data_path or DATA_PATHS[args.flag]
    sizes = None
    if args.split_sizes:
        query, train, database = (int(v) for v in args.split_sizes.split(","))
        sizes = {"query_size": query, "train_size": train, "database_size": database}
    return load_dadh_mat(path, args.flag, text_dim=None if sizes else "original", split_sizes=sizes)


def run_name(args):
    return f"{DATASET_NAMES[args.flag]}_{args.bit}"


def run_dir(args):
    return os.path.join(args.checkpoint_dir, run_name(args))


def build_model(args, data):
    from keras_hashing.models import DADH

    image_dim = data.train.images.shape[1]
    if args.flag not in OWN_WIDTH and image_dim != args.image_dim:
        raise SystemExit(
            f"--image_dim {args.image_dim} but the image features have {image_dim} columns."
        )
    return DADH(
        image_dim=image_dim,
        text_dim=data.text_dim,
        num_labels=data.num_labels,
        num_train=len(data.train),
        code_length=args.bit,
        hidden_dim=args.hidden_dim,
        dropout=args.dropout,
        alpha=args.alpha,
        beta=args.beta,
        gamma=args.gamma,
        margin=args.margin,
        lamb=args.lamb,
        mu=args.mu,
        learning_rate=args.lr,
        faithful_constants=args.faithful_constants,
        second_text_pass=args.second_text_pass,
        seed=args.seed,
        name="dadh",
    )


def evaluation(args, data):
    from keras_hashing.callbacks import CrossModalEvaluation

    return CrossModalEvaluation(
        (data.query.images, data.query.texts, data.query.labels),
        (data.database.images, data.database.texts, data.database.labels),
        top_k=None,
        convention=args.convention,
        every_n_epochs=args.valid_freq,
        prefix="val_",
        batch_size=args.batch_size,
    )


def save_curves(args, data, model, directory):
    """Precision@top-R and PR curves of the evaluated model's codes, as PNG and NPZ files."""
    import numpy as np

    from keras_hashing.metrics import cross_modal_curves
    from keras_hashing.metrics import plot_cross_modal_curves

    # The same inference-mode encoding as CrossModalEvaluation.evaluate, so the same codes.
    query, database, size = data.query, data.database, args.batch_size
    curves = cross_modal_curves(
        model.encode_image(query.images, batch_size=size),
        query.labels,
        model.encode_text(query.texts, batch_size=size),
        query.labels,
        model.encode_image(database.images, batch_size=size),
        database.labels,
        model.encode_text(database.texts, batch_size=size),
        database.labels,
    )
    os.makedirs(directory, exist_ok=True)
    png = plot_cross_modal_curves(
        curves,
        os.path.join(directory, "cross_modal_curves.png"),
        title=f"DADH {DATASET_NAMES[args.flag]} {args.bit} bits",
    )
    npz = os.path.join(directory, "cross_modal_curves.npz")
    np.savez(npz, **{f"{d}_{k}": v for d, part in curves.items() for k, v in part.items()})
    print(f"...cross-modal curves: {png}, {npz}")
    return png, npz


def train(args):
    import keras

    from keras_hashing.callbacks import DADHCodeUpdate
    from keras_hashing.callbacks import DADHLearningRateDecay
    from keras_hashing.callbacks import TerminateOnNonFiniteLoss
    from keras_hashing.data.cross_modal import paired_dataset

    keras.utils.set_random_seed(args.seed)
    data = load_data(args)
    directory = run_dir(args)
    os.makedirs(directory, exist_ok=True)
    model = build_model(args, data)
    model.compile()
    dataset = paired_dataset(
        data.train, args.batch_size, training=True, shuffle_seed=args.seed, with_index=True
    )
    epoch_times, map_i2t, map_t2i = [], [], []
    best = {"average": -1.0, "map_i2t": 0.0, "map_t2i": 0.0}
    model_path = os.path.join(directory, "GEN_module.keras")

    class Record(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.time()

        def on_epoch_end(self, epoch, logs=None):
            epoch_times.append(time.time() - self.start)
            logs = logs or {}
            print(f"...epoch: {epoch + 1:3d}, loss: {logs.get('loss', float('nan')):3.3f}")
            if "val_map_i2t" in logs:
                map_i2t.append(logs["val_map_i2t"])
                map_t2i.append(logs["val_map_t2i"])
                print(
                    f"...epoch: {epoch + 1:3d}, valid MAP: MAP(i->t): {logs['val_map_i2t']:3.4f}, "
                    f"MAP(t->i): {logs['val_map_t2i']:3.4f}"
                )
                average = 0.5 * (logs["val_map_i2t"] + logs["val_map_t2i"])
                if average > best["average"]:
                    best.update(
                        average=average, map_i2t=logs["val_map_i2t"], map_t2i=logs["val_map_t2i"]
                    )
                    if args.select_on_query:
                        self.model.save(model_path)

    # Order matters: the B-step and the decay follow the epoch's batches, then evaluation.
    callbacks = [
        TerminateOnNonFiniteLoss(checkpoint_hint=os.path.join(directory, "backup")),
        DADHCodeUpdate(data.train.labels),
        DADHLearningRateDecay(at_epoch_zero=args.decay_at_epoch_zero),
        keras.callbacks.BackupAndRestore(os.path.join(directory, "backup")),
    ]
    if args.valid:
        callbacks.append(evaluation(args, data))
    callbacks.append(Record())
    callbacks.append(keras.callbacks.TensorBoard(os.path.join(args.log_dir, run_name(args))))
    model.fit(dataset, epochs=args.max_epoch, callbacks=callbacks, verbose=args.verbose)
    if not (args.valid and args.select_on_query):
        model.save(model_path)
    print("...training procedure finish")
    if args.valid and args.select_on_query:
        print(f"   max MAP: MAP(i->t): {best['map_i2t']:3.4f}, MAP(t->i): {best['map_t2i']:3.4f}")
    else:
        final = evaluation(args, data).evaluate(model)
        print(
            f"   final MAP: MAP(i->t): {final['map_i2t']:3.4f}, MAP(t->i): {final['map_t2i']:3.4f}"
        )
        save_curves(args, data, model, directory)
    with open(os.path.join(directory, "result.json"), "w") as handle:
        json.dump({"train_times": epoch_times, "mapi2t": map_i2t, "mapt2i": map_t2i}, handle)
    return model_path


def test(args):
    import keras

    data = load_data(args)
    path = args.load_model_path or os.path.join(run_dir(args), "GEN_module.keras")
    if not os.path.exists(path):
        raise SystemExit(
            f"no trained model at {path}; run `main.py train --flag {args.flag} "
            f"--bit {args.bit}` first or pass --load_model_path."
        )
    model = keras.models.load_model(path)
    results = evaluation(args, data).evaluate(model)
    print(
        f"...test MAP: MAP(i->t): {results['map_i2t']:3.4f}, MAP(t->i): {results['map_t2i']:3.4f}"
    )
    save_curves(args, data, model, run_dir(args))
    return results


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.command == "train":
        return train(args)
    return test(args)


if __name__ == "__main__":
    main()
