"""DHN as TreezzZ/DHN_PyTorch trains it (`run.py`, `dhn.py`), as one recipe.

Protocol (TreezzZ/DHN_PyTorch run.py, `run`; dhn.py, `train`; models/alexnet.py): a
torchvision-layout AlexNet -> `Linear(4096, K)` -> tanh; the DHN_PyTorch loss (`DHNPyTorch`);
`TorchRMSprop(lr, weight_decay=5e-4)` with a cosine schedule stepped once per epoch down to
lr/100 over `max_iter` epochs; batches of 256, reshuffled, the last one partial; every
`evaluate_interval` epochs, mAP@top-k of the sign codes and the Hamming-radius PR curve; the
model and its codes saved under a name holding the mAP.

Datasets: `cifar-10`, `nus-wide-tc21` and `imagenet-tc100` in the original's layouts
(`keras_hashing.data.torchvision_images.dhn_pytorch_image_splits`), and `fashion_mnist`, the
default here since the others cannot be downloaded: the rule of the original's CIFAR-10 helper
(`dhn_pytorch_class_split`) applied to all 70 000 images (train file then t10k; 1 000 query /
5 000 train / 64 000 database) with `SmallCNN`. `cifar10` (no hyphen) is the library's CIFAR-10
benchmark: the DeepHash list files of `data/cifar10/prepare.py` under `root`, for an ImageNet
EfficientNet-Lite (`arch="efficientnet_lite0"`), trained whole from the images or, with
`trunk_cache` set, on the frozen lower blocks' cached maps as the DeepHash recipes do
(`keras_hashing.recipes.deephash.cached`).

Departures from the original (each one an explicit choice):
- `topk=-1` ranks the whole database; the original's `[:-1]` slice drops the last-ranked item
  (`drop_last_at_all=True` reproduces it);
- the original keeps the checkpoint with the best *query* mAP; here the model after the last
  epoch is saved and reported, and `keep_best_on_query=True` restores the original selection;
- `arch="vgg16"` is refused: the original's hash layer is wrapped in a tuple and cannot run;
- images are decoded with OpenCV instead of PIL (bilinear resizes differ slightly), class files
  are read in sorted order (the original uses `os.listdir` order), and `sign(0) = 0` as torch;
- the logged loss is Keras' mean over the batches of the last epoch (the original logs the
  batch-loss sum over the interval divided by the interval);
- `dataset` defaults to `fashion_mnist` and `code_length` must be given (the original
  defaults both to None and fails later);
- EfficientNet-Lite and the `cifar10` list files are additions: the list files' training
  batches are full ones (the last partial batch of an epoch is left out), so an epoch of the
  cosine schedule is `floor(num_train / batch_size)` updates; with `trunk_cache`, only the
  blocks from `train_from` on and the hash layer are trained (the CPU path; the original trains
  every layer).
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
import types
from typing import Any

import keras
import numpy as np

from keras_hashing import validation
from keras_hashing.recipes.base import Recipe

DATASETS = ("cifar-10", "nus-wide-tc21", "imagenet-tc100", "fashion_mnist", "cifar10")
# The DeepHash list-file datasets (data/cifar10/prepare.py), read as the DeepHash recipes do.
LIST_FILE_DATASETS = ("cifar10",)
EFFICIENTNET_ARCHS = ("efficientnet_lite0", "efficientnet_lite1")
ARCHS = ("alexnet", "small_cnn", *EFFICIENTNET_ARCHS)
TIE_BREAKS = ("index", "numpy")


@dataclasses.dataclass
class DHNPyTorchConfig:
    """The settings of TreezzZ/DHN_PyTorch `run.py` (`load_config`) and of the port.

    Field names and defaults are those of `examples/dhn_pytorch/run.py`'s flags (`--max-iter`
    is `max_iter`); see that script's `--help` for each one.
    """

    dataset: str = "fashion_mnist"
    root: str | None = None
    code_length: int | None = None
    arch: str = "alexnet"
    batch_size: int = 256
    lr: float = 1e-5
    max_iter: int = 500
    num_workers: int = 6
    topk: int = -1
    gpu: int | None = None
    # An int, as the original's default: the run's file names read "lamda_1".
    lamda: float = 1
    seed: int = 3367
    evaluate_interval: int = 10
    model_weights: str = "pretrained/alexnet-owt-4df8aa71.npz"
    drop_last_at_all: bool = False
    keep_best_on_query: bool = False
    save_dir: str = "checkpoints"
    log_dir: str = "logs"
    tie_break: str = "index"
    num_query: int = 1000
    num_train: int = 5000
    trunk_cache: str = ""
    train_from: int = 15
    train_views: int = 3
    validation: bool = False


@dataclasses.dataclass
class DHNPyTorchData:
    """The three parts of a DHN_PyTorch dataset.

    Attributes:
        train, query, database: `(inputs, one-hot labels)`. The inputs are float32 arrays
            `(N, 28, 28, 1)` for Fashion-MNIST, `TorchvisionImages` batches for the original's
            layouts, and tf.data batches for the `cifar10` list files (images or cached maps).
        kind: "gray28" (in-memory Fashion-MNIST), "torch224" (image files, 224x224 RGB),
            "caffe256" (list-file images, 256x256 BGR) or "trunk_cache" (cached maps).
        cached: for "trunk_cache", the `CachedTrunkData` whose frozen blocks made the maps.
        train_count: for "caffe256", the number of training images (its `train` labels are
            None: the labels travel in the batches).
    """

    train: tuple
    query: tuple
    database: tuple
    kind: str
    cached: Any = None
    train_count: int | None = None

    @property
    def num_train(self) -> int:
        if self.train_count is not None:
            return self.train_count
        return len(self.train[1])

    @property
    def num_labels(self) -> int:
        return int(np.asarray(self.query[1]).shape[1])

    def steps_per_epoch(self, batch_size: int) -> int:
        """Updates per epoch: list-file batches are full ones, the others end with a partial
        batch (as the original's `DataLoader`)."""
        num_train = self.num_train
        if self.kind in ("caffe256", "trunk_cache"):
            return max(1, num_train // batch_size)
        return math.ceil(num_train / batch_size)


class IntervalEvaluation(keras.callbacks.Callback):
    """DHN_PyTorch's evaluation every `evaluate_interval` epochs, logged as the original does.

    Writes `map` into the epoch's logs (so TensorBoard records it), logs
    `[iter:e/E][loss:..][map:..][time:..]` (TreezzZ/DHN_PyTorch dhn.py, `train`), keeps
    `history` = [(epoch, mAP)], and with `keep_best_on_query` the weights of the best one in
    `best` = (mAP, weights, precision, recall, epoch).

    Args:
        recipe: the `DHNPyTorchRecipe` whose settings, `evaluate` and `log` are used.
        data: the `DHNPyTorchData` evaluated.
    """

    def __init__(self, recipe: DHNPyTorchRecipe, data: DHNPyTorchData):
        super().__init__()
        self.recipe = recipe
        self.data = data
        self.history = []
        self.best = None
        self.training_time = 0.0
        self._tic = time.time()

    def on_epoch_begin(self, epoch, logs=None):
        self._tic = time.time()

    def on_epoch_end(self, epoch, logs=None):
        config = self.recipe.config
        self.training_time += time.time() - self._tic
        if (epoch + 1) % config.evaluate_interval:
            return
        mean_ap, precision, recall = self.recipe.evaluate(self.model, self.data)
        logs = logs if logs is not None else {}
        logs["map"] = mean_ap
        self.recipe.log(
            f"[iter:{epoch + 1}/{config.max_iter}][loss:{logs.get('loss', float('nan')):.2f}]"
            f"[map:{mean_ap:.4f}][time:{self.training_time:.2f}]"
        )
        self.history.append((epoch + 1, mean_ap))
        if config.keep_best_on_query and (self.best is None or mean_ap > self.best[0]):
            self.best = (mean_ap, self.model.get_weights(), precision, recall, epoch + 1)


class DHNPyTorchRecipe(Recipe):
    """TreezzZ/DHN_PyTorch `run.py`: data, model, training, evaluation and files, as steps.

    `run()` is the whole script; `load_data`, `build_model`, `train`, `evaluate` and `save` are
    its steps. Settings are `DHNPyTorchConfig`'s fields; a setting the original refuses or
    cannot run (`code_length` missing, `arch="vgg16"`) is a `ValueError` when the recipe is made.

    Example:
    >>> recipe = DHNPyTorchRecipe(code_length=32, max_iter=50, root="/data/fashion-mnist")
    >>> recipe.file_stem()
    'fashion_mnist_model_alexnet_code_32_lamda_1'
    >>> report = recipe.run()  # doctest: +SKIP
    """

    config_class = DHNPyTorchConfig
    presets = {
        # The README's command: 32 bits on Fashion-MNIST with the original's other settings.
        "fashion_mnist_32": {"dataset": "fashion_mnist", "code_length": 32},
    }

    def __init__(self, config: DHNPyTorchConfig | None = None, **settings):
        super().__init__(config, **settings)
        self.check()

    def check(self) -> None:
        """Refuses settings the original rejects or cannot run, naming the flag."""
        config = self.config
        if config.code_length is None:
            raise ValueError("--code-length is required (the original has no default either)")
        if config.arch == "vgg16":
            raise ValueError(
                "--arch vgg16 is not ported: the original's VGG16 hash layer is a tuple and "
                "its forward pass fails (models/vgg16.py)"
            )
        where = "DHN_PyTorch"
        validation.one_of("--arch", config.arch, ARCHS, where)
        validation.one_of("--dataset", config.dataset, DATASETS, where)
        validation.one_of("--tie-break", config.tie_break, TIE_BREAKS, where)
        validation.positive_int("--evaluate-interval", config.evaluate_interval, where)
        if config.dataset in LIST_FILE_DATASETS and config.arch not in EFFICIENTNET_ARCHS:
            raise ValueError(
                f"--dataset {config.dataset} is the ImageNet-network benchmark: --arch must be "
                f"one of {', '.join(EFFICIENTNET_ARCHS)}, found {config.arch!r}"
            )
        if config.arch in EFFICIENTNET_ARCHS and config.dataset not in LIST_FILE_DATASETS:
            raise ValueError(
                f"--arch {config.arch} reads the DeepHash list files of --dataset "
                f"{', '.join(LIST_FILE_DATASETS)}, found --dataset {config.dataset!r}"
            )
        from keras_hashing.recipes.deephash.cached import refuse_validation_without_cache

        refuse_validation_without_cache(config)
        if config.trunk_cache and config.arch not in EFFICIENTNET_ARCHS:
            raise ValueError(
                f"--trunk-cache caches the frozen blocks of an EfficientNet-Lite: --arch must be "
                f"one of {', '.join(EFFICIENTNET_ARCHS)}, found {config.arch!r}"
            )

    def cached_path_settings(self) -> types.SimpleNamespace:
        """The settings `keras_hashing.recipes.deephash.cached` reads, under the DeepHash
        recipes' names: the same dataset, network and split share one cache with them."""
        config = self.config
        return types.SimpleNamespace(
            trunk_cache=config.trunk_cache,
            train_from=config.train_from,
            train_views=config.train_views,
            validation=config.validation,
            img_model=config.arch,
            model_weights="none" if config.model_weights.lower() == "none" else "imagenet",
            dataset=config.dataset,
            val_batch_size=config.batch_size,
            seed=config.seed,
            on_bad_image="raise",
        )

    def file_stem(self) -> str:
        """The original's name for the run's log and checkpoint files (`_from<train_from>`
        added on the cached path, so that it never shares names with a whole-network run)."""
        config = self.config
        stem = (
            f"{config.dataset}_model_{config.arch}_code_{config.code_length}_lamda_{config.lamda}"
        )
        if config.trunk_cache:
            stem += f"_from{config.train_from}"
        return stem

    def log_path(self) -> str:
        """`<log_dir>/<file stem>.log`, the original's text log."""
        return os.path.join(self.config.log_dir, self.file_stem() + ".log")

    def log(self, message: str) -> None:
        """Prints `message` with a time stamp and appends it to `log_path()`, as the original's
        logger does."""
        line = f"{time.strftime('%Y-%m-%d %H:%M:%S')} | INFO | {message}"
        print(line, flush=True)
        os.makedirs(self.config.log_dir, exist_ok=True)
        with open(self.log_path(), "a") as handle:
            handle.write(line + "\n")

    def load_data(self) -> DHNPyTorchData:
        """The dataset of `dataset` / `root` (TreezzZ/DHN_PyTorch data/data_loader.py,
        `load_data`), split and transformed as the original does."""
        from keras_hashing.data import torchvision_images

        config = self.config
        if config.dataset in LIST_FILE_DATASETS:
            return self._load_list_files()
        if config.dataset == "fashion_mnist":
            from keras_hashing.data.fashion_mnist import read_fashion_mnist

            try:
                images, labels = read_fashion_mnist(config.root)
            except ValueError as error:
                raise ValueError(f"--root {config.root}: {error}") from error
            num_classes = 10
            query, train, database = torchvision_images.dhn_pytorch_class_split(
                labels, config.num_query // num_classes, config.num_train // num_classes
            )
            one_hot = np.eye(num_classes, dtype=np.float32)[labels]
            # As `keras_hashing.data.fashion_mnist_inputs`, without its tf.data module, so
            # that a JAX-only install runs this recipe.
            inputs = (images.astype(np.float32) / np.float32(255.0))[..., None]
            return DHNPyTorchData(
                train=(inputs[train], one_hot[train]),
                query=(inputs[query], one_hot[query]),
                database=(inputs[database], one_hot[database]),
                kind="gray28",
            )
        from keras_hashing.backbones import torchvision_preprocess

        splits = torchvision_images.dhn_pytorch_image_splits(config.dataset, config.root)
        parts = {}
        for part, (paths, labels) in splits.items():
            images = torchvision_images.TorchvisionImages(
                paths,
                labels,
                config.batch_size,
                training=part == "train",
                seed=config.seed,
                workers=config.num_workers,
                preprocess=torchvision_preprocess,
            )
            parts[part] = (images, labels)
        return DHNPyTorchData(kind="torch224", **parts)

    def _load_list_files(self) -> DHNPyTorchData:
        """The DeepHash list files under `root`: cached maps with `trunk_cache`, else images
        (`keras_hashing.data.load_retrieval_data`, 256x256 BGR, cropped in the model)."""
        config = self.config
        if config.trunk_cache:
            from keras_hashing.recipes.deephash.cached import load_cached_data

            data = load_cached_data(self.cached_path_settings(), config.root, config.batch_size)
            return DHNPyTorchData(
                train=(data.train, data.train_labels),
                query=(data.query, data.query_labels),
                database=(data.database, data.database_labels),
                kind="trunk_cache",
                cached=data,
            )
        from keras_hashing.data.registry import load_retrieval_data

        data = load_retrieval_data(
            config.dataset,
            config.root,
            batch_size=config.batch_size,
            val_batch_size=config.batch_size,
            seed=config.seed,
        )
        return DHNPyTorchData(
            train=(data.train, None),
            query=(data.query, np.asarray(data.query_labels, dtype=np.float32)),
            database=(data.database, np.asarray(data.database_labels, dtype=np.float32)),
            kind="caffe256",
            train_count=data.num_train,
        )

    def build_model(self, data: DHNPyTorchData) -> keras.Model:
        """`DHNPyTorch` on the backbone of `arch`, compiled with the original's optimizer.

        Fashion-MNIST images are 28x28, so `arch="alexnet"` trains `SmallCNN` there (printed).
        The cosine schedule steps once per epoch, so it needs the training set's size.
        """
        from keras_hashing import backbones
        from keras_hashing.models import DHNPyTorch
        from keras_hashing.optimizers import dhn_pytorch_optimizer

        config = self.config
        arch = config.arch
        preprocessor = None
        if data.kind == "gray28" and arch == "alexnet":
            arch = "small_cnn"
            print("fashion_mnist images are 28x28: using --arch small_cnn")
        if data.kind == "trunk_cache":
            from keras_hashing.recipes.deephash.cached import upper_backbone

            backbone = upper_backbone(data.cached)
        elif arch in EFFICIENTNET_ARCHS:
            from keras_hashing.recipes.image_networks import efficientnet_parts

            backbone, preprocessor = efficientnet_parts(arch, config.model_weights, config.seed)
        elif arch == "small_cnn":
            if data.kind != "gray28":
                raise ValueError("--arch small_cnn takes 28x28 grayscale inputs (fashion_mnist)")
            backbone = backbones.SmallCNN()
        else:
            weights = None if config.model_weights.lower() == "none" else config.model_weights
            if weights and not os.path.exists(weights):
                raise FileNotFoundError(
                    f"--model-weights {weights} does not exist; see pretrained/README.md "
                    "(convert torchvision's alexnet-owt-4df8aa71.pth), or pass none."
                )
            backbone = backbones.TorchAlexNet(weights=weights)
        model = DHNPyTorch(
            backbone,
            config.code_length,
            lamda=config.lamda,
            preprocessor=preprocessor,
            num_labels=data.num_labels,
            name="dhn_pytorch",
        )
        steps_per_epoch = data.steps_per_epoch(config.batch_size)
        model.compile(optimizer=dhn_pytorch_optimizer(config.lr, config.max_iter, steps_per_epoch))
        return model

    def _predict_batch_size(self, data):
        # Arrays are batched here; `TorchvisionImages` batches itself.
        return self.config.batch_size if data.kind == "gray28" else None

    def train(self, model: keras.Model, data: DHNPyTorchData) -> IntervalEvaluation:
        """`max_iter` epochs with the interval evaluation and TensorBoard summaries under
        `<log_dir>/<file stem>/`. Returns the evaluation callback (its `history`, `best`)."""
        config = self.config
        evaluation = IntervalEvaluation(self, data)
        callbacks = [
            evaluation,
            keras.callbacks.TensorBoard(os.path.join(config.log_dir, self.file_stem())),
        ]
        inputs, labels = data.train
        if data.kind == "gray28":
            # Reshuffled every epoch, the last batch partial, as DataLoader(shuffle=True).
            model.fit(
                inputs,
                labels,
                batch_size=config.batch_size,
                epochs=config.max_iter,
                shuffle=True,
                callbacks=callbacks,
                verbose=0,
            )
        else:
            # tf.data batches (list files) are reshuffled by the dataset itself, each epoch.
            model.fit(
                inputs,
                epochs=config.max_iter,
                shuffle=data.kind == "torch224",
                callbacks=callbacks,
                verbose=0,
            )
        return evaluation

    def evaluate(
        self, model: keras.Model, data: DHNPyTorchData
    ) -> tuple[float, np.ndarray, np.ndarray]:
        """`(mAP@topk, precision, recall)` of the query against the database
        (TreezzZ/DHN_PyTorch utils/evaluate.py, `mean_average_precision` and `pr_curve`)."""
        from keras_hashing.metrics import hamming_pr_curve
        from keras_hashing.metrics import map_at_topk

        config = self.config
        batch_size = self._predict_batch_size(data)
        query_codes = model.predict(data.query[0], batch_size=batch_size, verbose=0)
        database_codes = model.predict(data.database[0], batch_size=batch_size, verbose=0)
        mean_ap = map_at_topk(
            query_codes,
            database_codes,
            data.query[1],
            data.database[1],
            top_k=None if config.topk == -1 else config.topk,
            drop_last=config.drop_last_at_all,
            tie_break=config.tie_break,
        )
        precision, recall = hamming_pr_curve(
            query_codes, database_codes, data.query[1], data.database[1]
        )
        return mean_ap, precision, recall

    def save(
        self,
        model: keras.Model,
        data: DHNPyTorchData,
        mean_ap: float,
        precision: np.ndarray,
        recall: np.ndarray,
    ) -> str:
        """Saves `<save_dir>/<stem>_map_<mAP>.keras` and, beside it, `..._codes.npz` with the
        original's keys (`qB`, `rB`, `qL`, `rL`, `P`, `R`, `map`). On the cached path, also
        `..._map_<mAP>.images.keras`: the model behind the frozen blocks, which encodes RGB
        images in 0..255. Returns the model's path."""
        os.makedirs(self.config.save_dir, exist_ok=True)
        path = os.path.join(self.config.save_dir, f"{self.file_stem()}_map_{mean_ap:.4f}.keras")
        model.save(path)
        if data.kind == "trunk_cache":
            # The same model behind the frozen blocks, which encodes RGB images (0..255).
            from keras_hashing.recipes.cached_trunk import with_trunk

            images_path = path[: -len(".keras")] + ".images.keras"
            with_trunk(model, data.cached.trunk).save(images_path)
        batch_size = self._predict_batch_size(data)
        np.savez(
            path[: -len(".keras")] + "_codes.npz",
            qB=model.encode(data.query[0], batch_size=batch_size),
            rB=model.encode(data.database[0], batch_size=batch_size),
            qL=data.query[1],
            rL=data.database[1],
            P=precision,
            R=recall,
            map=mean_ap,
        )
        return path

    def run(self) -> dict:
        """The whole of `run.py`: returns `{"map", "path", "history"}`, history being
        [(epoch, query mAP)] of the interval evaluations."""
        config = self.config
        os.makedirs(config.save_dir, exist_ok=True)
        self.log(str(self.settings()))
        keras.utils.set_random_seed(config.seed)
        data = self.load_data()
        model = self.build_model(data)
        evaluation = self.train(model, data)
        if config.keep_best_on_query:
            if evaluation.best is None:
                raise ValueError(
                    "no evaluation ran (--max-iter < --evaluate-interval): nothing to keep"
                )
            mean_ap, weights, precision, recall, epoch = evaluation.best
            model.set_weights(weights)
            self.log(f"kept the evaluation of epoch {epoch} (best query mAP, as the original)")
        else:
            mean_ap, precision, recall = self.evaluate(model, data)
        self.log(f"[code_length:{config.code_length}][map:{mean_ap:.4f}]")
        path = self.save(model, data, mean_ap, precision, recall)
        self.log(f"saved {path}")
        return {"map": mean_ap, "path": path, "history": evaluation.history}
