"""DJSRH: train and evaluate as zs-zhong/DJSRH's `train.py`, configured by `settings.py`.

    python examples/djsrh/train.py --dataset MIRFlickr --data-dir ~/data/mirflickr
    python examples/djsrh/train.py --dataset fashion_mnist --code-len 32
    python examples/djsrh/train.py --dataset openclipart --data-dir ~/data/openclipart --code-len 32
    python examples/djsrh/train.py --dataset MIRFlickr --eval      # EVAL mode: load and evaluate

Departures from zs-zhong/DJSRH: the per-label split is seeded (`--seed`) and saved next to the
model; ties in the Hamming ranking are broken by database index; the model is a `.keras` file
(`MODEL_DIR/latest.keras`, the final epoch, no selection, as the original); `--resume` continues an
interrupted run from `MODEL_DIR/backup`.
"""

import argparse
import importlib.util
import logging
import os
import sys
import time

_HERE = os.path.dirname(os.path.abspath(__file__))
_ROOT = os.path.dirname(os.path.dirname(_HERE))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

# Datasets whose "images" are feature vectors: a small MLP takes AlexNet's place.
FEATURE_DATASETS = ("fashion_mnist", "openclipart")


def load_settings():
    spec = importlib.util.spec_from_file_location(
        "djsrh_settings", os.path.join(_HERE, "settings.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_parser(settings):
    parser = argparse.ArgumentParser(
        description="DJSRH (settings.py values unless overridden)",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--dataset",
        default=settings.DATASET,
        choices=["WIKI", "MIRFlickr", "NUSWIDE", "fashion_mnist", "openclipart"],
        help="DATASET: which data and which PER_DATASET settings",
    )
    parser.add_argument(
        "--eval",
        action="store_true",
        default=settings.EVAL,
        help="EVAL: load <model-dir>/latest.keras and only evaluate",
    )
    parser.add_argument("--data-dir", default=None, help="DATA_DIR (None: PATHS in settings.py)")
    parser.add_argument("--image-dir", default=None, help="WIKI images (<category>/<name>.jpg)")
    parser.add_argument("--code-len", default=settings.CODE_LEN, type=int, help="CODE_LEN")
    parser.add_argument(
        "--batch-size", default=settings.BATCH_SIZE, type=int, help="BATCH_SIZE (drop_last)"
    )
    # None: the dataset's value in PER_DATASET.
    for flag, key, kind, what in (
        ("--num-epoch", "NUM_EPOCH", int, "training epochs"),
        ("--eval-interval", "EVAL_INTERVAL", int, "epochs between evaluations"),
        ("--lr-img", "LR_IMG", float, "learning rate of the image net"),
        ("--lr-txt", "LR_TXT", float, "learning rate of the text net"),
        ("--beta", "BETA", float, "weight of the image affinity in the joint similarity"),
        ("--lambda1", "LAMBDA1", float, "weight of the image-image reconstruction"),
        ("--lambda2", "LAMBDA2", float, "weight of the text-text reconstruction"),
    ):
        parser.add_argument(
            flag, default=None, type=kind, help=f"{key}, {what} (None: PER_DATASET's)"
        )
    parser.add_argument(
        "--mu", default=settings.MU, type=float, help="MU, scale of the joint similarity"
    )
    parser.add_argument(
        "--eta",
        default=settings.ETA,
        type=float,
        help="ETA, weight of the second-order similarity",
    )
    parser.add_argument(
        "--momentum", default=settings.MOMENTUM, type=float, help="MOMENTUM of both SGDs"
    )
    parser.add_argument(
        "--weight-decay",
        default=settings.WEIGHT_DECAY,
        type=float,
        help="WEIGHT_DECAY, coupled L2 of both SGDs",
    )
    parser.add_argument(
        "--model-dir",
        default=settings.MODEL_DIR,
        help="MODEL_DIR: latest.keras, the split, log/ and backup/",
    )
    parser.add_argument(
        "--alexnet-weights",
        default=settings.ALEXNET_WEIGHTS,
        help="torchvision AlexNet .npz, or 'none' for random weights",
    )
    parser.add_argument(
        "--top-k", default=settings.TOP_K, type=int, help="mAP cut-off (the original's mAP@50)"
    )
    parser.add_argument(
        "--seed", default=settings.SEED, type=int, help="seed of Keras and the split"
    )
    parser.add_argument("--hidden", default=1024, type=int, help="fashion_mnist image MLP width")
    parser.add_argument(
        "--text-hidden", default=4096, type=int, help="width of the text net's hidden layer"
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        default=False,
        help="continue an interrupted run from <model-dir>/backup",
    )
    parser.add_argument("--verbose", default=2, type=int, help="Keras fit verbosity (0, 1, 2)")
    parser.add_argument(
        "--log-dir",
        default=settings.LOG_DIR,
        help="TensorBoard summaries go to <log-dir>/<dataset>_<code-len>",
    )
    return parser


def resolve(args, settings):
    table = settings.PER_DATASET[args.dataset]
    for flag, key in (
        ("num_epoch", "NUM_EPOCH"),
        ("eval_interval", "EVAL_INTERVAL"),
        ("lr_img", "LR_IMG"),
        ("lr_txt", "LR_TXT"),
        ("beta", "BETA"),
        ("lambda1", "LAMBDA1"),
        ("lambda2", "LAMBDA2"),
    ):
        if getattr(args, flag) is None:
            setattr(args, flag, table[key])
    paths = settings.PATHS[args.dataset]
    if args.data_dir is None:
        args.data_dir = paths["DATA_DIR"]
        if args.image_dir is None:
            args.image_dir = paths.get("IMAGE_DIR")
    # With --data-dir given, WIKI images default to <data-dir>/images.
    return args


def logger_for(model_dir):
    os.makedirs(os.path.join(model_dir, "log"), exist_ok=True)
    logger = logging.getLogger("djsrh")
    logger.setLevel(logging.INFO)
    if not logger.handlers:
        name = time.strftime("%Y%m%d%H%M%S", time.localtime()) + "_log.txt"
        for handler in (
            logging.FileHandler(os.path.join(model_dir, "log", name)),
            logging.StreamHandler(),
        ):
            handler.setFormatter(logging.Formatter("%(asctime)s - %(levelname)s - %(message)s"))
            logger.addHandler(handler)
    return logger


def load_data(args):
    from keras_hashing.data import cross_modal

    if args.dataset == "fashion_mnist":
        return cross_modal.two_view_fashion_mnist(data_dir=args.data_dir)
    if args.dataset == "openclipart":
        from keras_hashing.data.openclipart import load_openclipart

        # Raw features, as the original's fc7 features are: they also give the image affinity.
        return load_openclipart(args.data_dir, standardize=False, require_features=True)
    if args.dataset == "MIRFlickr":
        return cross_modal.load_djsrh_mirflickr(args.data_dir, seed=args.seed)
    if args.dataset == "NUSWIDE":
        return cross_modal.load_djsrh_nuswide(args.data_dir, seed=args.seed)
    return cross_modal.load_djsrh_wiki(args.data_dir, image_dir=args.image_dir)


def build_model(args, data):
    import keras

    from keras_hashing.models import DJSRH

    if args.dataset in FEATURE_DATASETS:
        width = data.train.images.shape[1]

        def mlp(name):
            # The classifier half of AlexNet in small: dropout, fc6, ReLU, dropout, fc7, ReLU.
            return keras.Sequential(
                [
                    keras.Input((width,)),
                    keras.layers.Dropout(0.5),
                    keras.layers.Dense(args.hidden, activation="relu", name="fc6"),
                    keras.layers.Dropout(0.5),
                    keras.layers.Dense(args.hidden, activation="relu", name="fc7"),
                ],
                name=name,
            )

        image_backbone, feature_backbone, trainable = mlp("image_mlp"), None, None
    else:
        from keras_hashing.backbones import TorchAlexNet

        weights = None if str(args.alexnet_weights).lower() == "none" else args.alexnet_weights
        if weights and not os.path.exists(weights):
            raise SystemExit(
                f"--alexnet-weights {weights} does not exist; see pretrained/README.md "
                "or pass --alexnet-weights none."
            )
        image_backbone = TorchAlexNet(weights=weights, name="code_alexnet")
        feature_backbone = TorchAlexNet(weights=weights, name="feature_alexnet")
        # WIKI trains only fc_encode and the classifier (DJSRH train.py, `Session.__init__`).
        trainable = ["fc6", "fc7"] if args.dataset == "WIKI" else None
    model = DJSRH(
        image_backbone,
        text_dim=data.text_dim,
        code_length=args.code_len,
        feature_backbone=feature_backbone,
        beta=args.beta,
        eta=args.eta,
        mu=args.mu,
        lambda1=args.lambda1,
        lambda2=args.lambda2,
        weight_decay=args.weight_decay,
        text_hidden_dim=args.text_hidden,
        trainable_image_layers=trainable,
        seed=args.seed,
        name="djsrh",
    )
    model.compile(optimizer=model.make_optimizer(args.lr_img, args.lr_txt, args.momentum))
    return model


def image_transform_for(args):
    if args.dataset in FEATURE_DATASETS:
        return None
    from keras_hashing.data.cross_modal import imagenet_transform

    # WIKI uses the test transform in both phases (DJSRH datasets.py, `wiki_train_transform`).
    if args.dataset == "WIKI":
        return lambda images, training: imagenet_transform(images, False)
    return lambda images, training: imagenet_transform(images, training, seed=args.seed)


def evaluate(args, data, model, logger, curves=False):
    from keras_hashing.data.cross_modal import paired_dataset
    from keras_hashing.metrics import cross_modal_map

    logger.info("--------------------Evaluation: Calculate top MAP-------------------")
    transform = image_transform_for(args)

    def codes(part):
        if args.dataset in FEATURE_DATASETS:
            return model.encode_image(part.images), model.encode_text(part.texts)
        images = paired_dataset(
            part,
            args.batch_size,
            training=False,
            modalities=("image",),
            image_transform=transform,
            with_labels=False,
        )
        return model.encode_image(images), model.encode_text(part.texts)

    query_images, query_texts = codes(data.query)
    database_images, database_texts = codes(data.database)
    top_k = args.top_k or None
    map_i2t = float(
        cross_modal_map(
            query_images,
            data.query.labels,
            database_texts,
            data.database.labels,
            top_k=top_k,
            convention="djsrh",
        )
    )
    map_t2i = float(
        cross_modal_map(
            query_texts,
            data.query.labels,
            database_images,
            data.database.labels,
            top_k=top_k,
            convention="djsrh",
        )
    )
    logger.info("MAP of Image to Text: %.3f, MAP of Text to Image: %.3f", map_i2t, map_t2i)
    if curves:
        save_curves(
            args,
            (query_images, data.query.labels, query_texts, data.query.labels),
            (database_images, data.database.labels, database_texts, data.database.labels),
            logger,
        )
    logger.info("--------------------------------------------------------------------")
    return {"map_i2t": map_i2t, "map_t2i": map_t2i}


def save_curves(args, query, database, logger):
    """Precision@top-R and PR curves of the evaluated codes, as PNG and NPZ in MODEL_DIR."""
    import numpy as np

    from keras_hashing.metrics import cross_modal_curves
    from keras_hashing.metrics import plot_cross_modal_curves

    curves = cross_modal_curves(*query, *database)
    png = plot_cross_modal_curves(
        curves,
        os.path.join(args.model_dir, "cross_modal_curves.png"),
        title=f"DJSRH {args.dataset} {args.code_len} bits",
    )
    npz = os.path.join(args.model_dir, "cross_modal_curves.npz")
    np.savez(npz, **{f"{d}_{k}": v for d, part in curves.items() for k, v in part.items()})
    logger.info("Cross-modal curves: %s, %s", png, npz)


def main(argv=None):
    settings = load_settings()
    args = resolve(build_parser(settings).parse_args(argv), settings)
    import keras
    import numpy as np

    from keras_hashing.callbacks import DJSRHSlopeSchedule
    from keras_hashing.data.cross_modal import paired_dataset

    keras.utils.set_random_seed(args.seed)
    logger = logger_for(args.model_dir)
    logger.info(
        "DATASET = %s, BETA = %.4f, LAMBDA1 = %.4f, LAMBDA2 = %.4f, NUM_EPOCH = %d, "
        "LR_IMG = %.4f, LR_TXT = %.4f, BATCH_SIZE = %d, CODE_LEN = %d, MU = %.4f, ETA = %.4f",
        args.dataset,
        args.beta,
        args.lambda1,
        args.lambda2,
        args.num_epoch,
        args.lr_img,
        args.lr_txt,
        args.batch_size,
        args.code_len,
        args.mu,
        args.eta,
    )
    data = load_data(args)
    path = os.path.join(args.model_dir, "latest.keras")
    if args.eval:
        if not os.path.exists(path):
            raise SystemExit(f"********** No checkpoint {path}! *********")
        model = keras.models.load_model(path)
        return evaluate(args, data, model, logger, curves=True)
    np.savez(
        os.path.join(args.model_dir, "split_indices.npz"),
        train=data.train.indices,
        query=data.query.indices,
        database=data.database.indices,
    )
    model = build_model(args, data)
    # drop_last=True, shuffled, as the original's DataLoader.
    dataset = paired_dataset(
        data.train,
        args.batch_size,
        training=True,
        shuffle_seed=args.seed,
        drop_remainder=True,
        with_labels=False,
        image_transform=image_transform_for(args),
    )
    results = {}
    epoch_times = []

    class Periodic(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.time()
            logger.info(
                "Epoch [%d/%d], alpha for ImgNet: %.3f, alpha for TxtNet: %.3f",
                epoch + 1,
                args.num_epoch,
                np.sqrt(epoch + 1.0),
                np.sqrt(epoch + 1.0),
            )

        def on_epoch_end(self, epoch, logs=None):
            epoch_times.append(time.time() - self.start)
            logs = logs or {}
            logger.info(
                "Epoch [%d/%d] Loss1: %.4f Loss2: %.4f Loss3: %.4f Total Loss: %.4f",
                epoch + 1,
                args.num_epoch,
                logs.get("loss1", np.nan),
                logs.get("loss2", np.nan),
                logs.get("loss3", np.nan),
                logs.get("reconstruction_loss", np.nan),
            )
            if (epoch + 1) % args.eval_interval == 0:
                final = epoch + 1 == args.num_epoch
                results.update(evaluate(args, data, self.model, logger, curves=final))

    run_name = f"{args.dataset}_{args.code_len}"
    callbacks = [
        DJSRHSlopeSchedule(),
        Periodic(),
        keras.callbacks.TensorBoard(os.path.join(args.log_dir, run_name)),
    ]
    if args.resume:
        callbacks.insert(
            0, keras.callbacks.BackupAndRestore(os.path.join(args.model_dir, "backup"))
        )
    model.fit(dataset, epochs=args.num_epoch, callbacks=callbacks, verbose=args.verbose)
    model.save(path)
    logger.info("**********Save the trained model successfully.**********")
    results["epoch_seconds"] = epoch_times
    return results


if __name__ == "__main__":
    main()
