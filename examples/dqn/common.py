"""Shared by the DQN, DVSQ and DTQ example scripts: data with dataset indices, models' backbones,
and the quantized retrieval evaluation (`MAPs_CQ`: by feature, AQD, SQD; inner product)."""

import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import _shared  # noqa: E402

FASHION_MNIST_NAMES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]


class QuantizerData:
    """Training inputs addressable by index plus the evaluation sets of `load_retrieval_data`."""

    def __init__(
        self,
        name,
        data_dir,
        val_batch_size,
        seed,
        on_error="raise",
        train_limit=None,
        eval_limit=None,
        validation=None,
    ):
        self.name = name
        if name == "fashion_mnist":
            split = fashion_mnist_split(data_dir, validation)
            self.input_kind, self.num_labels = "gray28", split["train_labels"].shape[1]
            self.train_inputs = _gray_inputs(split["train_images"])
            self.train_labels = split["train_labels"]
            self.query, self.query_labels = (
                _gray_inputs(split["query_images"]),
                split["query_labels"],
            )
            self.database = _gray_inputs(split["database_images"])
            self.database_labels = split["database_labels"]
            self.class_names = list(split["class_names"])
            self.top_k = len(self.database)
        else:
            from keras_hashing.data import ImageListDataset
            from keras_hashing.data.registry import load_retrieval_data

            retrieval = load_retrieval_data(
                name,
                data_dir=data_dir,
                batch_size=1,
                val_batch_size=val_batch_size,
                seed=seed,
                on_error=on_error,
            )
            self.input_kind, self.num_labels = "caffe256", retrieval.num_labels
            self.top_k = retrieval.top_k
            root = os.path.join(data_dir, name)
            self.train_inputs = ImageListDataset(
                os.path.join(root, "train.txt"),
                data_root=root,
                num_labels=retrieval.num_labels,
                on_error=on_error,
            )
            self.train_labels = self.train_inputs.labels.astype(np.float32)
            self.query, self.database = retrieval.query, retrieval.database
            self.query_labels, self.database_labels = (
                retrieval.query_labels,
                retrieval.database_labels,
            )
            self.class_names = None
        self.query_labels = np.asarray(self.query_labels, np.float32)
        self.database_labels = np.asarray(self.database_labels, np.float32)
        if train_limit:  # tiny runs (tests): an evenly spaced subset (the splits are class-ordered)
            keep = np.linspace(0, len(self.train_labels) - 1, int(train_limit)).astype(np.int64)
            self.train_inputs = self.train_inputs[keep]
            self.train_labels = self.train_labels[keep]
        if eval_limit and isinstance(self.query, np.ndarray):
            keep = np.linspace(0, len(self.query) - 1, int(eval_limit)).astype(np.int64)
            self.query, self.query_labels = self.query[keep], self.query_labels[keep]
            keep = np.linspace(0, len(self.database) - 1, 4 * int(eval_limit)).astype(np.int64)
            self.database, self.database_labels = self.database[keep], self.database_labels[keep]
            self.top_k = min(self.top_k, len(self.database))
        self.num_train = len(self.train_labels)


def _gray_inputs(images):
    return (np.asarray(images, np.float32) / 255.0)[..., None]


def fashion_mnist_split(data_dir=None, validation=None):
    """The benchmark-protocol split (1 000 query / 69 000 database / 5 000 train).

    Uses `keras_hashing.data.fashion_mnist.load_fashion_mnist` when it is installed, else reads the
    IDX files and applies the protocol itself (benchmark_protocol.md). `validation=N` (needs the
    library) holds N training images out as the queries, against the protocol database less
    them, for tuning without the query set (`FashionMNISTSplit.validation_split`).
    """
    try:
        from keras_hashing.data.fashion_mnist import load_fashion_mnist
    except ModuleNotFoundError:
        load_fashion_mnist = None
    if validation and load_fashion_mnist is None:
        raise SystemExit("a validation split needs keras_hashing installed (pip install -e .)")
    if load_fashion_mnist is not None:
        split = load_fashion_mnist(data_dir) if data_dir else load_fashion_mnist()
        if validation:
            split = split.validation_split(int(validation), seed=0, database="database")
        return {
            key: getattr(split, key)
            for key in (
                "train_images",
                "train_labels",
                "query_images",
                "query_labels",
                "database_images",
                "database_labels",
            )
        } | {"class_names": getattr(split, "class_names", FASHION_MNIST_NAMES)}
    import gzip

    folder = data_dir or "/usr/share/datasets/fashion-mnist"

    def idx(name, offset):
        with gzip.open(os.path.join(folder, name)) as handle:
            return np.frombuffer(handle.read(), np.uint8, offset=offset)

    images = np.concatenate(
        [idx("train-images-idx3-ubyte.gz", 16), idx("t10k-images-idx3-ubyte.gz", 16)]
    )
    images = images.reshape(-1, 28, 28)
    classes = np.concatenate(
        [idx("train-labels-idx1-ubyte.gz", 8), idx("t10k-labels-idx1-ubyte.gz", 8)]
    )
    query = np.concatenate([np.flatnonzero(classes[60000:] == c)[:100] + 60000 for c in range(10)])
    database = np.setdiff1d(np.arange(len(images)), query)
    rng = np.random.default_rng(0)
    train = np.concatenate(
        [rng.choice(database[classes[database] == c], 500, replace=False) for c in range(10)]
    )
    one_hot = np.eye(10, dtype=np.float32)[classes]
    return {
        "train_images": images[train],
        "train_labels": one_hot[train],
        "query_images": images[query],
        "query_labels": one_hot[query],
        "database_images": images[database],
        "database_labels": one_hot[database],
        "class_names": FASHION_MNIST_NAMES,
    }


def input_shape(data):
    """Shape of one training input (28x28x1 Fashion-MNIST, 256x256x3 list-file images)."""
    if isinstance(data.train_inputs, np.ndarray):
        return tuple(data.train_inputs.shape[1:])
    return tuple(np.asarray(data.train_inputs.load(0)).shape)


def build_backbone(args, data, seed):
    """(backbone, preprocessor, weights path or None) for --img-model / the dataset."""
    from keras_hashing import backbones

    img_model = _shared.resolve_img_model(args.img_model, data.input_kind)
    if img_model == "small_cnn":
        return (*_shared.small_cnn_parts(args.model_weights, seed), None)
    if img_model != "alexnet":
        return (*_shared.efficientnet_parts(img_model, args.model_weights, seed), None)
    from keras_hashing.layers import CaffeCrop

    weights = args.model_weights if args.model_weights.endswith(".npy") else None
    if weights and not os.path.exists(weights):
        raise SystemExit(
            f"--model-weights {weights} does not exist; see pretrained/README.md, or "
            "pass --model-weights none to start from random weights."
        )
    return backbones.AlexNet(weights=weights), CaffeCrop(seed=seed), weights


def load_data(args, gpus, data_dir):
    """`QuantizerData` for the flags, after choosing the GPUs and seeding Keras."""
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", gpus)
    import keras

    keras.utils.set_random_seed(args.seed)
    return QuantizerData(
        args.dataset,
        data_dir,
        args.val_batch_size,
        args.seed,
        on_error=args.on_bad_image,
        train_limit=args.train_limit,
        eval_limit=args.eval_limit,
    )


def build_quantizer(args, data, model_class, *model_args, num_codebooks, num_codewords, **kwargs):
    """`model_class` on the `--img-model` backbone, configured by the flags the scripts share."""
    backbone, preprocessor, weights = build_backbone(args, data, args.seed)
    model = model_class(
        backbone,
        *model_args,
        num_train=data.num_train,
        num_codebooks=num_codebooks,
        num_codewords=num_codewords,
        cq_lambda=args.cq_lambda,
        max_iter_update_b=args.max_iter_update_b,
        code_batch_size=args.code_batch_size,
        preprocessor=preprocessor,
        **kwargs,
    )
    if weights:
        model.build((None,) + input_shape(data))
        model.load_deephash_weights(weights)  # fc8 and the codebook too, when the file has them
    if not args.finetune_all:
        model.backbone.trainable = False
    return model


def average_precision_at_r(query, query_labels, database, database_labels, top_k, chunk=100):
    """mAP@R (R = `top_k`) with inner-product ranking (`get_mAPs`), ties broken by database index;
    queries with no relevant item in the top R are skipped, as the original does."""
    query = np.asarray(query, np.float32)
    database = np.asarray(database, np.float32)
    cutoff = int(min(top_k, len(database)))
    precisions = []
    for start in range(0, len(query), chunk):
        scores = query[start : start + chunk] @ database.T
        order = np.argsort(-scores, axis=1, kind="stable")[:, :cutoff]
        relevant = query_labels[start : start + chunk] @ database_labels.T > 0
        hits = np.take_along_axis(relevant, order, axis=1).astype(np.float64)
        counts = hits.sum(1)
        cumulative = np.cumsum(hits, axis=1) / np.arange(1, cutoff + 1)
        ap = (cumulative * hits).sum(1) / np.maximum(counts, 1)
        precisions.extend(ap[counts > 0])
    return float(np.mean(precisions)) if precisions else 0.0


def quantized_report(
    model,
    data,
    top_k,
    codebook=None,
    seed=0,
    keys=("i2i_nocq", "i2i_AQD", "i2i_SQD"),
    database_codebook_fit=False,
    max_iter_update_cb=1,
    verbose=0,
):
    """`MAPs_CQ`: mAP@R by feature, AQD (query vs database reconstructions) and SQD.

    Args:
        model: a trained `QuantizationModel`.
        data: `QuantizerData`.
        top_k: mAP cut-off, the R of mAP@R.
        codebook: optional codebook to encode with (e.g. a random one for the original's bug).
        database_codebook_fit: DTQ's validation: fit k-means + (ICM, LS) on the database outputs
            into a copy of the codebook (the model's is left unchanged unless the caller
            assigns it).
        keys: names of the three numbers.

    Returns:
        (report dict, extras dict, fitted codebook).
    """
    from keras_hashing.quantization import icm_codes
    from keras_hashing.quantization import kmeans_init_codebook
    from keras_hashing.quantization import least_squares_codebook

    start = time.time()
    database_outputs = model.predict(data.database, verbose=0)
    encode_seconds = time.time() - start
    query_outputs = model.predict(data.query, verbose=0)
    rng = np.random.default_rng(seed)
    M, K = model.num_codebooks, model.num_codewords
    V = model.label_embeddings_for_icm()
    if database_codebook_fit:
        codebook = kmeans_init_codebook(database_outputs, M, K, seed=seed).astype(np.float32)
        for _ in range(max_iter_update_cb):
            database_codes = icm_codes(
                database_outputs,
                codebook,
                M,
                K,
                model.max_iter_update_b,
                model.code_batch_size,
                rng=rng,
                label_embeddings=V,
                verbose=verbose,
            )
            codebook = least_squares_codebook(database_outputs, database_codes, codebook, M, K)
    codebook = (
        model.quantizer.get_codebook() if codebook is None else np.asarray(codebook, np.float32)
    )
    database_codes = icm_codes(
        database_outputs,
        codebook,
        M,
        K,
        model.max_iter_update_b,
        model.code_batch_size,
        rng=rng,
        label_embeddings=V,
        verbose=verbose,
    )
    query_codes = icm_codes(
        query_outputs,
        codebook,
        M,
        K,
        model.max_iter_update_b,
        model.code_batch_size,
        rng=rng,
        label_embeddings=V,
        verbose=verbose,
    )
    database_recon = model.quantizer.reconstruct_numpy(database_codes, codebook)
    query_recon = model.quantizer.reconstruct_numpy(query_codes, codebook)
    ql, dl = data.query_labels, data.database_labels
    report = {
        keys[0]: average_precision_at_r(query_outputs, ql, database_outputs, dl, top_k),
        keys[1]: average_precision_at_r(query_outputs, ql, database_recon, dl, top_k),
        keys[2]: average_precision_at_r(query_recon, ql, database_recon, dl, top_k),
    }
    extras = {
        "encode_images_per_s": len(database_outputs) / max(encode_seconds, 1e-9),
        "query_outputs": query_outputs,
        "database_outputs": database_outputs,
        "query_codes": query_codes,
        "database_codes": database_codes,
        "query_reconstructions": query_recon,
        "database_reconstructions": database_recon,
    }
    return report, extras, codebook


def save_codes(path, extras, data):
    """The original's `_codes.npy` content, as an .npz."""
    np.savez(
        path,
        db_features=extras["database_outputs"],
        db_reconstr=extras["database_reconstructions"],
        db_label=data.database_labels,
        val_features=extras["query_outputs"],
        val_reconstr=extras["query_reconstructions"],
        val_label=data.query_labels,
        db_codes=extras["database_codes"],
        val_codes=extras["query_codes"],
    )
