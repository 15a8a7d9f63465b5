"""DJSRH as a recipe: zs-zhong/DJSRH `train.py`, configured as its `settings.py`.

The original trains an image network (torchvision's AlexNet up to fc7, plus a code layer) and a
text network (an MLP on bag-of-words vectors) so that the inner products of their codes
reconstruct a joint affinity of the frozen image features and the texts, evaluates image->text
and text->image mAP@50 every `EVAL_INTERVAL` epochs, and saves the last epoch's model
(train.py, `Session` and `main`). `DJSRHRecipe` does the same with `keras_hashing.models.DJSRH`,
`keras_hashing.data.cross_modal` and `keras_hashing.metrics`. Its settings (`DJSRHConfig`) are
the original's `settings.py` values under the flag names of `examples/djsrh/train.py`; the
settings that `settings.py` sets per dataset (rates, loss weights, epochs) are `None` by default
and then take the dataset's values, which are also the named presets (`DJSRHRecipe.presets`).

Departures from zs-zhong/DJSRH:

- the per-label split is seeded (`seed`; the original never seeds NumPy) and saved next to the
  model as `split_indices.npz`;
- ties in the Hamming ranking are broken by database index;
- the model is a `.keras` file (`<model_dir>/latest.keras`, the final epoch with no selection,
  as the original); `resume=True` continues an interrupted run from `<model_dir>/backup`
  (and refuses a backup made with other settings);
- each evaluation at the last epoch also writes precision@top-R and precision-recall curves
  (`cross_modal_curves.png` / `.npz` in `model_dir`), and TensorBoard summaries go to
  `<log_dir>/<dataset>_<code_len>`;
- `dataset="fashion_mnist"`: the two-view task (top half as image, bottom half as text) with a
  small MLP instead of AlexNet, the raw half-image vectors as the frozen features of the image
  affinity, and MIRFlickr's settings;
- `dataset="openclipart"`: the folder of `data/openclipart/prepare.py --features-from lite0`,
  the same small MLP on its ImageNet EfficientNet-Lite0 features, and WIKI's settings for 80
  epochs (evaluated every 40), both chosen on a validation split of the training pairs with
  `benchmarks/bench_cross_modal.py --validation`.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING
from typing import Any

import keras
import numpy as np

from keras_hashing import validation
from keras_hashing._types import Dataset
from keras_hashing._types import Tensor
from keras_hashing.models.djsrh import DJSRH_SETTINGS
from keras_hashing.recipes.base import Recipe

if TYPE_CHECKING:

    from keras_hashing.data.cross_modal import CrossModalData
    from keras_hashing.data.cross_modal import CrossModalPart
    from keras_hashing.models.djsrh import DJSRH

DATASETS = ("WIKI", "MIRFlickr", "NUSWIDE", "fashion_mnist", "openclipart")
# Datasets whose "images" are feature vectors: a small MLP takes AlexNet's place.
FEATURE_DATASETS = ("fashion_mnist", "openclipart")
# The settings that zs-zhong/DJSRH settings.py sets per dataset; None in `DJSRHConfig` means
# "the dataset's value".
PER_DATASET_SETTINGS = (
    "num_epoch",
    "eval_interval",
    "lr_img",
    "lr_txt",
    "beta",
    "lambda1",
    "lambda2",
)
# settings.py's `PATHS` (placeholders in the original), used when `data_dir` is None.
DATA_DIRS = {
    "WIKI": "path/to/wiki",
    "MIRFlickr": "path/to/mirflickr",  # mirflickr25k-{lall,yall,iall}.mat
    "NUSWIDE": "path/to/NUS-WIDE-TC10",  # nus-wide-tc10-{lall,yall}.mat, IAll/...
    "fashion_mnist": None,  # Debian's IDX folder
    "openclipart": "~/data/openclipart",  # data/openclipart/prepare.py --out
}
IMAGE_DIRS = {"WIKI": "path/to/wiki/images"}
PRESETS = {
    **{name: {"dataset": name, **values} for name, values in DJSRH_SETTINGS.items()},
    "fashion_mnist": {**DJSRH_SETTINGS["MIRFlickr"], "dataset": "fashion_mnist"},
    # Chosen for this collection on a validation split of the training pairs.
    "openclipart": {
        **DJSRH_SETTINGS["WIKI"],
        "dataset": "openclipart",
        "num_epoch": 80,
        "eval_interval": 40,
    },
}


@dataclasses.dataclass
class DJSRHConfig:
    """The settings of a DJSRH run: zs-zhong/DJSRH settings.py's values, then the port's.

    Every field is the `dest` of a flag of `examples/djsrh/train.py`, with the same default.
    The fields of `PER_DATASET_SETTINGS` default to None: the dataset's value (its preset).
    `eval=True` is the original's `EVAL = True`: load `<model_dir>/latest.keras` and only
    evaluate. `data_dir=None` is the original's placeholder path for the dataset (Debian's
    Fashion-MNIST folder for fashion_mnist); `image_dir` is WIKI's image folder
    (`<data_dir>/images` when None and `data_dir` is given).
    """

    dataset: str = "MIRFlickr"
    eval: bool = False
    data_dir: str | None = None
    image_dir: str | None = None
    code_len: int = 64
    batch_size: int = 32
    num_epoch: int | None = None
    eval_interval: int | None = None
    lr_img: float | None = None
    lr_txt: float | None = None
    beta: float | None = None
    lambda1: float | None = None
    lambda2: float | None = None
    mu: float = 1.5
    eta: float = 0.4
    momentum: float = 0.9
    weight_decay: float = 5e-4
    model_dir: str = "./checkpoint"
    alexnet_weights: str = "pretrained/alexnet_torchvision.npz"
    top_k: int = 50
    seed: int = 0
    hidden: int = 1024
    text_hidden: int = 4096
    resume: bool = False
    verbose: int = 2
    log_dir: str = "tflog"


class _EpochLog(keras.callbacks.Callback):
    """The original's epoch lines, epoch times, and the evaluation every `eval_interval` epochs
    (zs-zhong/DJSRH train.py, `Session.train` and `main`)."""

    def __init__(self, recipe: DJSRHRecipe, data: CrossModalData, logger: logging.Logger):
        super().__init__()
        self.recipe, self.data, self.logger = recipe, data, logger
        self.results = {}
        self.epoch_seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.time()
        # Both nets' tanh slope, as DJSRHSlopeSchedule sets it.
        slope = np.sqrt(epoch + 1.0)
        self.logger.info(
            "Epoch [%d/%d], alpha for ImgNet: %.3f, alpha for TxtNet: %.3f",
            epoch + 1,
            self.recipe.config.num_epoch,
            slope,
            slope,
        )

    def on_epoch_end(self, epoch, logs=None):
        config = self.recipe.config
        self.epoch_seconds.append(time.time() - self.start)
        logs = logs or {}
        self.logger.info(
            "Epoch [%d/%d] Loss1: %.4f Loss2: %.4f Loss3: %.4f Total Loss: %.4f",
            epoch + 1,
            config.num_epoch,
            *(logs.get(key, np.nan) for key in ("loss1", "loss2", "loss3", "reconstruction_loss")),
        )
        if (epoch + 1) % config.eval_interval == 0:
            final = epoch + 1 == config.num_epoch
            self.results.update(self.recipe.evaluate(self.model, self.data, curves=final))


class DJSRHRecipe(Recipe):
    """zs-zhong/DJSRH `train.py`: data, the image and text nets, training, mAP@50 evaluation.

    Args:
        config: optional `DJSRHConfig`; default all defaults.
        **settings: `DJSRHConfig` fields overriding `config`'s. A per-dataset setting left None
            takes the dataset's value (`presets[dataset]`), and `data_dir` / `image_dir` the
            original's path of the dataset.

    Example:
    >>> recipe = DJSRHRecipe(dataset="NUSWIDE", code_len=32)
    >>> recipe.config.beta, recipe.config.num_epoch, recipe.file_stem()
    (0.6, 80, 'NUSWIDE_32')
    >>> DJSRHRecipe.preset("openclipart").config.lr_img
    0.01
    >>> # results = DJSRHRecipe(dataset="fashion_mnist", code_len=32).run()
    """

    config_class = DJSRHConfig
    presets = PRESETS

    def __init__(self, config: DJSRHConfig | None = None, **settings):
        super().__init__(config, **settings)
        config = self.config
        validation.one_of("--dataset", config.dataset, DATASETS, "DJSRH")
        table = self.presets[config.dataset]
        filled = {key: table[key] for key in PER_DATASET_SETTINGS if getattr(config, key) is None}
        # As settings.py's PATHS: with data_dir given, WIKI's images default to <data_dir>/images.
        if config.data_dir is None:
            filled["data_dir"] = DATA_DIRS[config.dataset]
            if config.image_dir is None:
                filled["image_dir"] = IMAGE_DIRS.get(config.dataset)
        self.config = dataclasses.replace(config, **filled)

    def run_settings(self) -> dict[str, Any]:
        """The settings that change the result: not the folders written to, `eval` or `resume`."""
        return {
            key: value
            for key, value in super().run_settings().items()
            if key not in ("model_dir", "eval", "resume")
        }

    def file_stem(self) -> str:
        """`<dataset>_<code_len>`, the TensorBoard folder under `log_dir`."""
        return f"{self.config.dataset}_{self.config.code_len}"

    def model_path(self) -> str:
        """`<model_dir>/latest.keras` (the original's `latest.pth`)."""
        return os.path.join(self.config.model_dir, "latest.keras")

    def logger(self) -> logging.Logger:
        """The "djsrh" logger: the console and `<model_dir>/log/<time>_log.txt`, as the
        original's `settings.logger`; a recipe with another `model_dir` gets a new file."""
        folder = os.path.abspath(os.path.join(self.config.model_dir, "log"))
        os.makedirs(folder, exist_ok=True)
        logger = logging.getLogger("djsrh")
        logger.setLevel(logging.INFO)
        files = [h for h in logger.handlers if isinstance(h, logging.FileHandler)]
        if files and os.path.dirname(files[0].baseFilename) == folder:
            return logger
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
            handler.close()
        name = time.strftime("%Y%m%d%H%M%S", time.localtime()) + "_log.txt"
        for handler in (logging.FileHandler(os.path.join(folder, name)), logging.StreamHandler()):
            handler.setFormatter(logging.Formatter("%(asctime)s - %(levelname)s - %(message)s"))
            logger.addHandler(handler)
        return logger

    def log_settings(self, logger: logging.Logger) -> None:
        """The original's first log line: the dataset's settings."""
        config = self.config
        logger.info(
            "DATASET = %s, BETA = %.4f, LAMBDA1 = %.4f, LAMBDA2 = %.4f, NUM_EPOCH = %d, "
            "LR_IMG = %.4f, LR_TXT = %.4f, BATCH_SIZE = %d, CODE_LEN = %d, MU = %.4f, ETA = %.4f",
            config.dataset,
            config.beta,
            config.lambda1,
            config.lambda2,
            config.num_epoch,
            config.lr_img,
            config.lr_txt,
            config.batch_size,
            config.code_len,
            config.mu,
            config.eta,
        )

    def load_data(self) -> CrossModalData:
        """The dataset's train, query and database pairs, a `CrossModalData`.

        MIRFlickr and NUSWIDE are split per label as zs-zhong/DJSRH datasets.py, seeded by
        `seed`; WIKI keeps its train/test lists; fashion_mnist is the two-view task; openclipart
        the raw EfficientNet-Lite0 features (unstandardised, as the original's fc7 features:
        they also give the image affinity).
        """
        from keras_hashing.data import cross_modal

        config = self.config
        if config.dataset == "fashion_mnist":
            return cross_modal.two_view_fashion_mnist(data_dir=config.data_dir)
        if config.dataset == "openclipart":
            from keras_hashing.data.openclipart import load_openclipart

            return load_openclipart(config.data_dir, standardize=False, require_features=True)
        if config.dataset == "MIRFlickr":
            return cross_modal.load_djsrh_mirflickr(config.data_dir, seed=config.seed)
        if config.dataset == "NUSWIDE":
            return cross_modal.load_djsrh_nuswide(config.data_dir, seed=config.seed)
        return cross_modal.load_djsrh_wiki(config.data_dir, image_dir=config.image_dir)

    def save_split(self, data: CrossModalData) -> str:
        """Writes the split's item indices to `<model_dir>/split_indices.npz`; returns the path."""
        os.makedirs(self.config.model_dir, exist_ok=True)
        path = os.path.join(self.config.model_dir, "split_indices.npz")
        np.savez(
            path,
            train=data.train.indices,
            query=data.query.indices,
            database=data.database.indices,
        )
        return path

    def _feature_mlp(self, width: int) -> keras.Model:
        # The classifier half of AlexNet in small: dropout, fc6, ReLU, dropout, fc7, ReLU.
        return keras.Sequential(
            [
                keras.Input((width,)),
                keras.layers.Dropout(0.5),
                keras.layers.Dense(self.config.hidden, activation="relu", name="fc6"),
                keras.layers.Dropout(0.5),
                keras.layers.Dense(self.config.hidden, activation="relu", name="fc7"),
            ],
            name="image_mlp",
        )

    def build_model(self, data: CrossModalData) -> DJSRH:
        """A compiled `keras_hashing.models.DJSRH` for `data` (zs-zhong/DJSRH train.py,
        `Session.__init__`): two SGDs with momentum at `lr_img` / `lr_txt`.

        Raises:
            FileNotFoundError: `alexnet_weights` names a missing file (AlexNet datasets).
        """
        from keras_hashing.models import DJSRH

        config = self.config
        if config.dataset in FEATURE_DATASETS:
            image_backbone = self._feature_mlp(data.train.images.shape[1])
            feature_backbone, trainable = None, None
        else:
            from keras_hashing.backbones import TorchAlexNet

            weights = config.alexnet_weights
            weights = None if str(weights).lower() == "none" else weights
            if weights and not os.path.exists(weights):
                raise FileNotFoundError(
                    f"--alexnet-weights {weights} does not exist; see pretrained/README.md "
                    "or pass --alexnet-weights none."
                )
            image_backbone = TorchAlexNet(weights=weights, name="code_alexnet")
            feature_backbone = TorchAlexNet(weights=weights, name="feature_alexnet")
            # WIKI trains only fc_encode and the classifier (train.py, `Session.__init__`).
            trainable = ["fc6", "fc7"] if config.dataset == "WIKI" else None
        model = DJSRH(
            image_backbone,
            text_dim=data.text_dim,
            code_length=config.code_len,
            feature_backbone=feature_backbone,
            beta=config.beta,
            eta=config.eta,
            mu=config.mu,
            lambda1=config.lambda1,
            lambda2=config.lambda2,
            weight_decay=config.weight_decay,
            text_hidden_dim=config.text_hidden,
            trainable_image_layers=trainable,
            seed=config.seed,
            name="djsrh",
        )
        model.compile(optimizer=model.make_optimizer(config.lr_img, config.lr_txt, config.momentum))
        return model

    def load_model(self) -> keras.Model:
        """The trained model at `model_path()` (the original's `Session.load_checkpoints`).

        Raises:
            FileNotFoundError: no model there.
        """
        path = self.model_path()
        if not os.path.exists(path):
            raise FileNotFoundError(
                f"********** No checkpoint {path}! ********* (train first, or pass the "
                "--model-dir of a trained run)"
            )
        return keras.models.load_model(path)

    def image_transform(self) -> Callable[[Tensor, bool], Tensor] | None:
        """`fn(images, training)` for image datasets (torchvision's ImageNet crops), or None."""
        config = self.config
        if config.dataset in FEATURE_DATASETS:
            return None
        from keras_hashing.data.cross_modal import imagenet_transform

        # WIKI uses the test transform in both phases (datasets.py, `wiki_train_transform`).
        if config.dataset == "WIKI":
            return lambda images, training: imagenet_transform(images, False)
        return lambda images, training: imagenet_transform(images, training, seed=config.seed)

    def train_dataset(self, data: CrossModalData) -> Dataset:
        """Shuffled training pairs in full batches (the original's DataLoader, `drop_last`)."""
        from keras_hashing.data.cross_modal import paired_dataset

        return paired_dataset(
            data.train,
            self.config.batch_size,
            training=True,
            shuffle_seed=self.config.seed,
            drop_remainder=True,
            with_labels=False,
            image_transform=self.image_transform(),
        )

    def encode(
        self, model: keras.Model, part: CrossModalPart
    ) -> tuple[np.ndarray, np.ndarray]:
        """`(image codes, text codes)` of one `CrossModalPart`, in inference mode."""
        if self.config.dataset in FEATURE_DATASETS:
            return model.encode_image(part.images), model.encode_text(part.texts)
        from keras_hashing.data.cross_modal import paired_dataset

        images = paired_dataset(
            part,
            self.config.batch_size,
            training=False,
            modalities=("image",),
            image_transform=self.image_transform(),
            with_labels=False,
        )
        return model.encode_image(images), model.encode_text(part.texts)

    def evaluate(
        self, model: keras.Model, data: CrossModalData, curves: bool = False
    ) -> dict:
        """Image->text and text->image mAP@`top_k` of the query set against the database
        (zs-zhong/DJSRH train.py, `Session.eval`, and metric.py, `calculate_top_map`).

        Args:
            model: a DJSRH model.
            data: the `CrossModalData` of `load_data()`.
            curves: also write the curves of `save_curves`.

        Returns:
            `{"map_i2t": float, "map_t2i": float}`.
        """
        from keras_hashing.metrics.cross_modal import evaluate_cross_modal

        logger = self.logger()
        logger.info("--------------------Evaluation: Calculate top MAP-------------------")
        query_images, query_texts = self.encode(model, data.query)
        database_images, database_texts = self.encode(model, data.database)
        results = evaluate_cross_modal(
            query_images,
            query_texts,
            data.query.labels,
            database_images,
            database_texts,
            data.database.labels,
            top_k=self.config.top_k or None,
            convention="djsrh",
        )
        logger.info(
            "MAP of Image to Text: %.3f, MAP of Text to Image: %.3f",
            results["map_i2t"],
            results["map_t2i"],
        )
        if curves:
            query_labels, database_labels = data.query.labels, data.database.labels
            self.save_curves(
                (query_images, query_labels, query_texts, query_labels),
                (database_images, database_labels, database_texts, database_labels),
            )
        logger.info("--------------------------------------------------------------------")
        return results

    def save_curves(self, query: tuple, database: tuple) -> tuple[str, str]:
        """Precision@top-R and PR curves as `cross_modal_curves.png` and `.npz` in `model_dir`.

        Args:
            query: `(image codes, image labels, text codes, text labels)` of the query set.
            database: the same four arrays of the database.

        Returns:
            The paths of the PNG and the NPZ.
        """
        from keras_hashing.metrics import cross_modal_curves
        from keras_hashing.metrics import plot_cross_modal_curves

        curves = cross_modal_curves(*query, *database)
        folder = self.config.model_dir
        os.makedirs(folder, exist_ok=True)
        title = f"DJSRH {self.config.dataset} {self.config.code_len} bits"
        png = plot_cross_modal_curves(
            curves, os.path.join(folder, "cross_modal_curves.png"), title=title
        )
        npz = os.path.join(folder, "cross_modal_curves.npz")
        arrays = {
            f"{direction}_{key}": value
            for direction, part in curves.items()
            for key, value in part.items()
        }
        np.savez(npz, **arrays)
        self.logger().info("Cross-modal curves: %s, %s", png, npz)
        return png, npz

    def callbacks(self, epoch_log: keras.callbacks.Callback) -> list:
        """The slope schedule, `epoch_log`, TensorBoard, and the backup when `resume`."""
        from keras_hashing.callbacks import DJSRHSlopeSchedule

        config = self.config
        callbacks = [
            DJSRHSlopeSchedule(),
            epoch_log,
            keras.callbacks.TensorBoard(os.path.join(config.log_dir, self.file_stem())),
        ]
        if config.resume:
            from keras_hashing.callbacks import RunBackup

            # Refuses a backup made with other settings (a changed flag must not continue it).
            backup = os.path.join(config.model_dir, "backup")
            callbacks.insert(0, RunBackup(backup, self.run_settings()))
        return callbacks

    def train(self, model: keras.Model, data: CrossModalData) -> dict:
        """Trains `model` for `num_epoch` epochs, evaluating every `eval_interval`, and saves it
        to `model_path()` (zs-zhong/DJSRH train.py, `main`).

        Returns:
            The last evaluation's `{"map_i2t", "map_t2i"}` (absent when none ran) and
            "epoch_seconds", the time of each epoch.
        """
        config = self.config
        logger = self.logger()
        epoch_log = _EpochLog(self, data, logger)
        model.fit(
            self.train_dataset(data),
            epochs=config.num_epoch,
            callbacks=self.callbacks(epoch_log),
            verbose=config.verbose,
        )
        model.save(self.model_path())
        logger.info("**********Save the trained model successfully.**********")
        return {**epoch_log.results, "epoch_seconds": epoch_log.epoch_seconds}

    def run(self) -> dict:
        """The whole script: seed, log, data; then with `eval` load and evaluate (with curves),
        else save the split, build, train and save.

        Returns:
            `{"map_i2t", "map_t2i"}`, plus "epoch_seconds" after training.
        """
        keras.utils.set_random_seed(self.config.seed)
        self.log_settings(self.logger())
        data = self.load_data()
        if self.config.eval:
            return self.evaluate(self.load_model(), data, curves=True)
        self.save_split(data)
        model = self.build_model(data)
        return self.train(model, data)
