"""DHN as TreezzZ/DHN_PyTorch trains it: the flags and defaults of its `run.py`.

    python examples/dhn_pytorch/run.py --code-length 32                       # Fashion-MNIST
    python examples/dhn_pytorch/run.py --dataset cifar-10 --root ~/data/cifar-10 --code-length 32 \
        --model-weights pretrained/alexnet-owt-4df8aa71.npz --gpu 0

Protocol (TreezzZ/DHN_PyTorch run.py, dhn.py, models/alexnet.py): torchvision-layout AlexNet ->
Linear(4096, K) -> tanh; the DHN_PyTorch loss (`DHNPyTorch`); `TorchRMSprop(lr, weight_decay=5e-4)`
with a cosine schedule stepped once per epoch down to lr/100 over `--max-iter` epochs; batches of
256, reshuffled, the last one partial; every `--evaluate-interval` epochs, mAP@top-k of the sign
codes and the Hamming-radius PR curve.

Datasets: `cifar-10` (`root/images/{train,query,database}/<class>/*.png`, made by the original's
helper: per class 100 query / 500 train / rest database, the database excluding train),
`nus-wide-tc21` (`root/{train,test,database}_img.txt` + one-hot label files), `imagenet-tc100`
(`root/{train,query,database}/<class>/*`), and `fashion_mnist`, the default here since the
others cannot be downloaded: the CIFAR rule applied to all 70 000 images (train file then t10k,
a stable sort by class; 1 000 query / 5 000 train / 64 000 database) with SmallCNN.

Departures from the original (each one an explicit choice):
- `--topk -1` ranks the whole database; the original's `[:-1]` slice drops the last-ranked item
  (`--drop-last-at-all` reproduces it);
- the original keeps the checkpoint with the best *query* mAP; here the model after the last
  epoch is saved and reported, and `--keep-best-on-query` restores the original selection;
- `--arch vgg16` is refused: the original's hash layer is wrapped in a tuple and cannot run;
- images are decoded with OpenCV instead of PIL (bilinear resizes differ slightly), class files
  are read in sorted order (the original uses `os.listdir` order), and `sign(0) = 0` as torch;
- the printed loss is Keras' mean over the batches of the last epoch (the original prints the
  batch-loss sum over the interval divided by the interval);
- `--dataset` defaults to `fashion_mnist` and `--code-length` must be given (the original
  defaults both to None and fails later).
"""

import argparse
import math
import os
import sys
import time

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

DATASETS = ("cifar-10", "nus-wide-tc21", "imagenet-tc100", "fashion_mnist")


def build_parser():
    parser = argparse.ArgumentParser(
        description="DHN_PyTorch", formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument(
        "--dataset", default="fashion_mnist", choices=DATASETS, help="Dataset name."
    )
    parser.add_argument(
        "--root",
        default=None,
        help="Path of dataset (fashion_mnist: the IDX folder; default "
        "$FASHION_MNIST_DIR or the Debian location).",
    )
    parser.add_argument(
        "--code-length", type=int, default=None, help="Binary hash code length (required)."
    )
    # The original's help texts, without their "(default: ...)": the formatter adds it.
    parser.add_argument(
        "--arch",
        default="alexnet",
        type=str,
        help="CNN model name: alexnet (torchvision layout) or small_cnn "
        "(28x28, used for fashion_mnist).",
    )
    parser.add_argument("--batch-size", default=256, type=int, help="Batch size.")
    parser.add_argument("--lr", default=1e-5, type=float, help="Learning rate.")
    parser.add_argument("--max-iter", default=500, type=int, help="Number of iterations (epochs).")
    parser.add_argument(
        "--num-workers", default=6, type=int, help="Number of loading data threads."
    )
    parser.add_argument("--topk", default=-1, type=int, help="Calculate map of top k (-1: all).")
    parser.add_argument(
        "--gpu", default=None, type=int, help="Using gpu: its index (None: the CPU)."
    )
    parser.add_argument(
        "--lamda",
        default=1,
        type=float,
        help="Hyper-parameter: the loss's scale on the inner products (1 in every reported run).",
    )
    parser.add_argument("--seed", default=3367, type=int, help="Random seed.")
    parser.add_argument(
        "--evaluate-interval", default=10, type=int, help="Evaluation interval (epochs)."
    )
    # Additions of the port.
    parser.add_argument(
        "--model-weights",
        default="pretrained/alexnet-owt-4df8aa71.npz",
        help="torchvision AlexNet state dict as .npz (pretrained/), or 'none'",
    )
    parser.add_argument(
        "--drop-last-at-all",
        action="store_true",
        help="reproduce the original's --topk -1 slice that drops the last item",
    )
    parser.add_argument(
        "--keep-best-on-query",
        action="store_true",
        help="keep the evaluation with the best query mAP, as the original does "
        "(this selects on the test queries)",
    )
    parser.add_argument(
        "--save-dir", default="checkpoints", help="where the .keras model and its codes go"
    )
    parser.add_argument(
        "--log-dir",
        default="logs",
        help="the run's text log (<log-dir>/<run name>.log) and TensorBoard summaries "
        "(<log-dir>/<run name>/)",
    )
    parser.add_argument(
        "--tie-break",
        default="index",
        choices=["index", "numpy"],
        help="order of equal Hamming distances: by database index, or NumPy's argsort",
    )
    parser.add_argument(
        "--num-query",
        default=1000,
        type=int,
        help="fashion_mnist: query images, split evenly over the classes, as "
        "the original cifar10_to_png helper's num_query",
    )
    parser.add_argument(
        "--num-train",
        default=5000,
        type=int,
        help="fashion_mnist: training images (the helper's num_train)",
    )
    return parser


def load_config(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.code_length is None:
        parser.error("--code-length is required (the original has no default either)")
    if args.arch == "vgg16":
        parser.error(
            "--arch vgg16 is not ported: the original's VGG16 hash layer is a tuple and "
            "its forward pass fails (models/vgg16.py)"
        )
    if args.arch not in ("alexnet", "small_cnn"):
        parser.error(f"unknown --arch {args.arch!r}: alexnet or small_cnn")
    if args.evaluate_interval <= 0:
        parser.error("--evaluate-interval must be positive")
    return args


# ---------------------------------------------------------------------------------------------
# Data


def dhn_pytorch_class_split(labels, num_query_per_class=100, num_train_per_class=500):
    """The original `cifar10_to_png` rule: sort by class, then per class the first items are
    queries, the next ones training images and the rest the database (train excluded).

    A stable sort keeps file order inside a class (NumPy's default quicksort, used there, does
    not promise it). Returns `(query, train, database)` index arrays."""
    import numpy as np

    order = np.argsort(labels, kind="stable")
    query, train, database = [], [], []
    for label in np.unique(labels):
        members = order[labels[order] == label]
        query.append(members[:num_query_per_class])
        train.append(members[num_query_per_class : num_query_per_class + num_train_per_class])
        database.append(members[num_query_per_class + num_train_per_class :])
    return tuple(np.concatenate(part) for part in (query, train, database))


def fashion_mnist_arrays(root):
    """All 70 000 Fashion-MNIST images (train file, then t10k, in file order) and labels.

    `root` holds the four standard IDX files; default `$FASHION_MNIST_DIR` or Debian's
    `/usr/share/datasets/fashion-mnist`."""
    import numpy as np

    from keras_hashing.data.fashion_mnist import DEFAULT_DATA_DIR
    from keras_hashing.data.fashion_mnist import FILE_NAMES
    from keras_hashing.data.fashion_mnist import load_idx

    root = root or os.environ.get("FASHION_MNIST_DIR") or DEFAULT_DATA_DIR
    arrays = {}
    for key, name in FILE_NAMES.items():
        path = os.path.join(root, name)
        if not os.path.exists(path):
            raise SystemExit(f"{path} not found (--root or $FASHION_MNIST_DIR)")
        arrays[key] = load_idx(path)
    images = np.concatenate([arrays["train_images"], arrays["test_images"]])
    labels = np.concatenate([arrays["train_labels"], arrays["test_labels"]]).astype(np.int64)
    if len(images) != len(labels):
        raise SystemExit(f"{root}: {len(images)} images but {len(labels)} labels")
    return images, labels


def _list_folder_dataset(folder, classes):
    paths, labels = [], []
    for index, name in enumerate(classes):
        class_dir = os.path.join(folder, name)
        if not os.path.isdir(class_dir):
            continue
        files = sorted(os.listdir(class_dir))
        paths.extend(os.path.join(class_dir, f) for f in files)
        labels.extend([index] * len(files))
    return paths, labels


def image_splits(args):
    """`{part: (paths, one-hot labels)}` for the three image datasets of the original."""
    import numpy as np

    root = os.path.expanduser(args.root or "")
    if not root or not os.path.isdir(root):
        raise SystemExit(f"--root {args.root!r} is not a folder (dataset {args.dataset})")
    if args.dataset == "nus-wide-tc21":
        files = {
            "query": ("test_img.txt", "test_label_onehot.txt"),
            "train": ("train_img.txt", "train_label_onehot_tc21.txt"),
            "database": ("database_img.txt", "database_label_onehot.txt"),
        }
        splits = {}
        for part, (image_list, label_file) in files.items():
            with open(os.path.join(root, image_list)) as handle:
                paths = [os.path.join(root, line.strip()) for line in handle if line.strip()]
            labels = np.loadtxt(os.path.join(root, label_file), dtype=np.float32, ndmin=2)
            if len(labels) != len(paths):
                raise SystemExit(f"{label_file}: {len(labels)} label rows for {len(paths)} images")
            splits[part] = (paths, labels)
        return splits
    base = os.path.join(root, "images") if args.dataset == "cifar-10" else root
    train_dir = os.path.join(base, "train")
    if not os.path.isdir(train_dir):
        raise SystemExit(f"{train_dir} does not exist")
    # The class order is the sorted folder names of the training folder, shared by all parts.
    classes = sorted(d.name for d in os.scandir(train_dir) if d.is_dir())
    splits = {}
    for part in ("train", "query", "database"):
        paths, labels = _list_folder_dataset(os.path.join(base, part), classes)
        splits[part] = (paths, np.eye(len(classes), dtype=np.float32)[np.asarray(labels, int)])
    return splits


def make_image_sequence(paths, labels, batch_size, training, seed, workers):
    """A `keras.utils.PyDataset` applying torchvision's transforms with OpenCV and NumPy."""
    import cv2
    import keras
    import numpy as np

    from keras_hashing.backbones import torchvision_preprocess

    def random_resized_crop(image, rng, size=224, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3)):
        height, width = image.shape[:2]
        area = height * width
        for _ in range(10):
            target = area * rng.uniform(*scale)
            aspect = math.exp(rng.uniform(math.log(ratio[0]), math.log(ratio[1])))
            w = int(round(math.sqrt(target * aspect)))
            h = int(round(math.sqrt(target / aspect)))
            if 0 < w <= width and 0 < h <= height:
                top = int(rng.integers(0, height - h + 1))
                left = int(rng.integers(0, width - w + 1))
                break
        else:  # torchvision's fallback: the central crop of the clamped aspect ratio
            in_ratio = width / height
            if in_ratio < ratio[0]:
                w, h = width, int(round(width / ratio[0]))
            elif in_ratio > ratio[1]:
                h, w = height, int(round(height * ratio[1]))
            else:
                w, h = width, height
            top, left = (height - h) // 2, (width - w) // 2
        crop = image[top : top + h, left : left + w]
        return cv2.resize(crop, (size, size), interpolation=cv2.INTER_LINEAR)

    def resize_center_crop(image, resize=256, size=224):
        height, width = image.shape[:2]
        if height <= width:
            new_h, new_w = resize, int(resize * width / height)
        else:
            new_w, new_h = resize, int(resize * height / width)
        image = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
        top = int(round((new_h - size) / 2.0))
        left = int(round((new_w - size) / 2.0))
        return image[top : top + size, left : left + size]

    class TorchvisionImages(keras.utils.PyDataset):
        def __init__(self):
            super().__init__(workers=max(int(workers), 1), use_multiprocessing=False)
            self.order = np.arange(len(paths))
            self.epoch = 0
            self.on_epoch_end()

        def __len__(self):
            return math.ceil(len(paths) / batch_size)  # the last batch is partial, as DataLoader

        def on_epoch_end(self):
            if training:
                self.order = np.random.default_rng([seed, self.epoch]).permutation(len(paths))
                self.epoch += 1

        def __getitem__(self, index):
            rows = self.order[index * batch_size : (index + 1) * batch_size]
            rng = np.random.default_rng([seed, self.epoch, index])
            images = []
            for row in rows:
                image = cv2.imread(paths[row], cv2.IMREAD_COLOR)
                if image is None:
                    raise ValueError(f"cannot read image {paths[row]}")
                image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
                if training:
                    image = random_resized_crop(image, rng)
                    if rng.uniform() < 0.5:
                        image = image[:, ::-1]
                else:
                    image = resize_center_crop(image)
                images.append(image)
            images = torchvision_preprocess(np.stack(images))
            return (images, labels[rows]) if training else images

    return TorchvisionImages()


def load_data(args):
    """`(train, query, query_labels, database, database_labels, num_train, input_kind)`."""
    import numpy as np

    if args.dataset == "fashion_mnist":
        from keras_hashing.data import fashion_mnist_inputs

        images, labels = fashion_mnist_arrays(args.root)
        num_classes = 10
        query, train, database = dhn_pytorch_class_split(
            labels, args.num_query // num_classes, args.num_train // num_classes
        )
        one_hot = np.eye(10, dtype=np.float32)[labels]
        inputs = fashion_mnist_inputs(images)
        return {
            "train": (inputs[train], one_hot[train]),
            "query": (inputs[query], one_hot[query]),
            "database": (inputs[database], one_hot[database]),
            "kind": "gray28",
        }
    splits = image_splits(args)
    data = {"kind": "torch224"}
    for part, (paths, labels) in splits.items():
        data[part] = (
            make_image_sequence(
                paths, labels, args.batch_size, part == "train", args.seed, args.num_workers
            ),
            labels,
        )
        if not paths:
            raise SystemExit(f"the {part} split of {args.root} is empty")
    return data


# ---------------------------------------------------------------------------------------------
# Model, training, evaluation


def build_model(args, num_labels, kind):
    from keras_hashing import backbones
    from keras_hashing.models import DHNPyTorch

    arch = args.arch
    if kind == "gray28" and arch == "alexnet":
        arch = "small_cnn"
        print("fashion_mnist images are 28x28: using --arch small_cnn")
    if arch == "small_cnn":
        if kind != "gray28":
            raise SystemExit("--arch small_cnn takes 28x28 grayscale inputs (fashion_mnist)")
        backbone = backbones.SmallCNN()
    else:
        weights = None if args.model_weights.lower() == "none" else args.model_weights
        if weights and not os.path.exists(weights):
            raise SystemExit(
                f"--model-weights {weights} does not exist; see pretrained/README.md "
                "(convert torchvision's alexnet-owt-4df8aa71.pth), or pass none."
            )
        backbone = backbones.TorchAlexNet(weights=weights)
    return DHNPyTorch(
        backbone, args.code_length, lamda=args.lamda, num_labels=num_labels, name="dhn_pytorch"
    )


def evaluate(model, data, args):
    from keras_hashing.metrics import hamming_pr_curve
    from keras_hashing.metrics import map_at_topk

    batch_size = args.batch_size if data["kind"] == "gray28" else None
    query_codes = model.predict(data["query"][0], batch_size=batch_size, verbose=0)
    database_codes = model.predict(data["database"][0], batch_size=batch_size, verbose=0)
    top_k = None if args.topk == -1 else args.topk
    mean_ap = map_at_topk(
        query_codes,
        database_codes,
        data["query"][1],
        data["database"][1],
        top_k=top_k,
        drop_last=args.drop_last_at_all,
        tie_break=args.tie_break,
    )
    precision, recall = hamming_pr_curve(
        query_codes, database_codes, data["query"][1], data["database"][1]
    )
    return mean_ap, precision, recall


def make_evaluation_callback(args, data, log):
    import keras

    class EvaluateEveryInterval(keras.callbacks.Callback):
        """The original's evaluation every `evaluate_interval` epochs (logged, as there)."""

        def __init__(self):
            super().__init__()
            self.history = []
            self.best = None
            self.training_time = 0.0

        def on_epoch_begin(self, epoch, logs=None):
            self._tic = time.time()

        def on_epoch_end(self, epoch, logs=None):
            self.training_time += time.time() - self._tic
            if epoch % args.evaluate_interval != args.evaluate_interval - 1:
                return
            mean_ap, precision, recall = evaluate(self.model, data, args)
            logs = logs or {}
            logs["map"] = mean_ap
            log(
                f"[iter:{epoch + 1}/{args.max_iter}][loss:{logs.get('loss', float('nan')):.2f}]"
                f"[map:{mean_ap:.4f}][time:{self.training_time:.2f}]"
            )
            self.history.append((epoch + 1, mean_ap))
            if args.keep_best_on_query and (self.best is None or mean_ap > self.best[0]):
                self.best = (mean_ap, self.model.get_weights(), precision, recall, epoch + 1)

    return EvaluateEveryInterval()


def main(argv=None):
    args = load_config(argv)
    os.environ["CUDA_VISIBLE_DEVICES"] = "" if args.gpu is None else str(args.gpu)
    os.makedirs(args.save_dir, exist_ok=True)
    os.makedirs(args.log_dir, exist_ok=True)
    stem = f"{args.dataset}_model_{args.arch}_code_{args.code_length}_lamda_{args.lamda}"
    log_path = os.path.join(args.log_dir, stem + ".log")

    def log(message):
        line = f"{time.strftime('%Y-%m-%d %H:%M:%S')} | INFO | {message}"
        print(line, flush=True)
        with open(log_path, "a") as handle:
            handle.write(line + "\n")

    log(str(vars(args)))
    import keras
    import numpy as np

    from keras_hashing.optimizers import dhn_pytorch_optimizer

    keras.utils.set_random_seed(args.seed)
    data = load_data(args)
    train_inputs, train_labels = data["train"]
    num_labels = np.asarray(data["query"][1]).shape[1]
    num_train = len(train_labels)
    steps_per_epoch = math.ceil(num_train / args.batch_size)
    model = build_model(args, num_labels, data["kind"])
    model.compile(optimizer=dhn_pytorch_optimizer(args.lr, args.max_iter, steps_per_epoch))
    evaluation = make_evaluation_callback(args, data, log)
    callbacks = [evaluation, keras.callbacks.TensorBoard(os.path.join(args.log_dir, stem))]
    if data["kind"] == "gray28":
        # NumPy inputs: reshuffled every epoch, the last batch partial, as DataLoader(shuffle=True).
        model.fit(
            train_inputs,
            train_labels,
            batch_size=args.batch_size,
            epochs=args.max_iter,
            shuffle=True,
            callbacks=callbacks,
            verbose=0,
        )
    else:
        model.fit(train_inputs, epochs=args.max_iter, callbacks=callbacks, verbose=0)
    if args.keep_best_on_query:
        if evaluation.best is None:
            raise SystemExit("no evaluation ran (max-iter < evaluate-interval): nothing to keep")
        mean_ap, weights, precision, recall, epoch = evaluation.best
        model.set_weights(weights)
        log(f"kept the evaluation of epoch {epoch} (best query mAP, as the original)")
    else:
        mean_ap, precision, recall = evaluate(model, data, args)
    log(f"[code_length:{args.code_length}][map:{mean_ap:.4f}]")
    path = os.path.join(args.save_dir, f"{stem}_map_{mean_ap:.4f}.keras")
    model.save(path)
    batch_size = args.batch_size if data["kind"] == "gray28" else None
    query_codes = model.encode(data["query"][0], batch_size=batch_size)
    database_codes = model.encode(data["database"][0], batch_size=batch_size)
    np.savez(
        path[: -len(".keras")] + "_codes.npz",
        qB=query_codes,
        rB=database_codes,
        qL=data["query"][1],
        rL=data["database"][1],
        P=precision,
        R=recall,
        map=mean_ap,
    )
    log(f"saved {path}")
    return {"map": mean_ap, "path": path, "history": evaluation.history}


if __name__ == "__main__":
    main()
