"""DCH and DHN as recipes: thulab/DeepHash's two binary-code scripts, from Python.

`DCHRecipe` is thulab/DeepHash examples/dch/train_val_script.py and `DHNRecipe`
examples/dhn/train_val_script.py: the settings are the scripts' flags (DHN's nine positional
arguments included, with examples/dhn/train_val.sh's values as defaults), `run()` is the whole
script, and its steps can be called one by one:

>>> recipe = DCHRecipe.preset("fashion_mnist", output_dim=16, iter_num=100)
>>> (recipe.config.lr, recipe.config.img_model, recipe.config.iter_num)
(0.02, 'small_cnn', 100)

    data = recipe.load_data()
    model = recipe.new_model(data)      # build_model(data) under the GPUs' strategy
    recipe.train(model, data)           # writes <save_dir>/<run name>.keras
    figures = recipe.evaluate(model, data)

Departures from the originals (each one a choice, see README):
- a run's files are named by the original's stem plus a digest of every setting, and
  `<log_dir>/<run name>` is kept, not deleted, so that a killed run resumes from its backup;
- evaluation batches are not padded by overlapping the last batch (a static-graph artefact);
- ties in rankings are broken by database index (`tie_break="numpy"` for the original order);
- DCH's `finetune_all` is a real boolean (the original's `type=bool` could never be false);
- DHN reads its lists from `data_root` (`<data_root>/{train,test,database}.txt` or
  `<data_root>/<dataset>/...`) instead of the hard-coded `/home/caoyue/data/<dataset>/`, takes
  `gpu` as a `CUDA_VISIBLE_DEVICES` list (`-1` or `cpu` for none), and reloads the saved
  `.keras` model for evaluation as the original reloads its `.npy`;
- `trunk_cache`: the lower EfficientNet-Lite blocks frozen and cached (CPU path, a departure:
  the originals fine-tune every layer; leave it empty to train the whole network). Blocks
  `train_from` on and the hash layer are fine-tuned on the cached maps
  (`keras_hashing.recipes.deephash.cached`); `<run name>.images.keras` beside the model encodes
  RGB images.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

import keras

from keras_hashing.recipes.base import Recipe
from keras_hashing.recipes.deephash import cached
from keras_hashing.recipes.deephash import common

if TYPE_CHECKING:
    from keras_hashing.data.registry import RetrievalData
    from keras_hashing.recipes.deephash.cached import CachedTrunkData

# The original's `MAPs` keys, the figures DCH and DHN report.
REPORT_KEYS = (
    "i2i_by_feature",
    "i2i_after_sign",
    "i2i_prec_radius_2",
    "i2i_recall_radius_2",
    "i2i_map_radius_2",
)


class _HasherRecipe(Recipe):
    """The steps DCH and DHN share: a strategy, a dataset, a step-budgeted resumable `fit`."""

    # DCH draws one progress bar over the iterations; DHN prints Keras' epoch lines.
    progress_bar = False

    def visible_gpus(self) -> str:
        raise NotImplementedError

    def settings(self) -> dict:
        # The cached path's settings count only when it is on (whole-network names unchanged).
        return cached.without_unused_settings(super().settings())

    def load_cached_data(self, data_dir: str | None) -> CachedTrunkData:
        """The `trunk_cache` path's data: the cached maps of the list files under `data_dir`
        (built on first use), in training batches of `batch_size`."""
        return cached.load_cached_data(self.config, data_dir, batch_size=self.config.batch_size)

    def strategy(self):
        """The distribution strategy of the GPU setting (made once; sets CUDA_VISIBLE_DEVICES,
        so call it before TensorFlow starts, as `run()` does)."""
        if getattr(self, "_strategy", None) is None:
            from keras_hashing.distribute import training_strategy

            self._strategy = training_strategy(
                self.visible_gpus(), cpu_replicas=self.config.cpu_replicas
            )
        return self._strategy

    def run_dir(self) -> str:
        """`<save_dir>/<run name>`: the backup, codes and figures of this run."""
        return os.path.join(self.config.save_dir, self.run_name())

    def model_path(self) -> str:
        """`<save_dir>/<run name>.keras`, the trained model `train` writes."""
        return os.path.join(self.config.save_dir, self.run_name() + ".keras")

    def build_model(self, data: RetrievalData) -> keras.Model:
        raise NotImplementedError

    def _evaluation_during_training(self, data):
        return None

    def new_model(self, data: RetrievalData) -> keras.Model:
        """`build_model(data)` under the run's distribution strategy."""
        with self.strategy().scope():
            return self.build_model(data)

    def train(
        self,
        model: keras.Model,
        data: RetrievalData,
        callbacks: Iterable[keras.callbacks.Callback] = (),
    ) -> keras.Model:
        """Trains for `iter_num` steps, resuming an interrupted run, and saves the model.

        Args:
            model: the model to train, built under `strategy().scope()` (`new_model(data)`).
            data: the `RetrievalData` of `load_data()`.
            callbacks: optional extra Keras callbacks.

        Returns:
            The trained model, also written to `model_path()` (and, for AlexNet on list
            files, the original's `.npy` beside it; with `trunk_cache`, the image model
            `<run name>.images.keras`).
        """
        config = self.config
        with self.strategy().scope():
            model.compile(optimizer=common.deephash_optimizer_for(config))
            # Built up front so that a backup restores into existing weights and slots.
            model.build((None,) + tuple(data.train.element_spec[0].shape[1:]))
            model.optimizer.build(model.trainable_variables)
        callbacks = common.training_callbacks(
            self.run_dir(),
            config.log_dir,
            self.run_name(),
            config.iter_num,
            self.run_settings(),
            evaluation=self._evaluation_during_training(data),
        ) + list(callbacks)
        if self.progress_bar:
            from keras_hashing.callbacks import IterationProgress

            # One bar over the iterations instead of a line per (short) epoch.
            callbacks.append(IterationProgress(config.iter_num))
        seconds = common.fit_iterations(
            model,
            data.train,
            data.num_train,
            config.batch_size,
            config.iter_num,
            callbacks,
            verbose=0 if self.progress_bar else 2,
        )
        print(f"trained {int(model.optimizer.iterations.numpy())} iterations in {seconds:.1f} s")
        os.makedirs(config.save_dir, exist_ok=True)
        alexnet = config.img_model == "alexnet" and data.input_kind == "caffe256"
        common.save_trained_model(
            model,
            config.save_dir,
            self.run_name(),
            deephash_npy=alexnet,
            trunk=cached.trunk_of(data),
        )
        return model


@dataclasses.dataclass
class DCHConfig:
    """The settings of thulab/DeepHash examples/dch/train_val_script.py (its flags), plus the
    port's. See the script's `--help` for each one."""

    lr: float = 0.005
    output_dim: int = 64
    gamma: float = 20.0
    iter_num: int = 2000
    q_lambda: float = 0.0
    dataset: str = "cifar10"
    gpus: str = "0"
    log_dir: str = "tflog"
    batch_size: int = 128
    val_batch_size: int = 16
    decay_step: int = 10000
    decay_factor: float = 0.1
    with_tanh: bool = True
    lr_schedule: str = "step"
    img_model: str = "alexnet"
    model_weights: str = "pretrained/reference_pretrain.npy"
    finetune_all: bool = True
    save_dir: str = "./models/"
    data_dir: str = "~/data/"
    evaluate: bool = False
    eval_every: int = 0
    tie_break: str = "index"
    seed: int = 0
    cpu_replicas: int = 0
    on_bad_image: str = "raise"
    no_plots: bool = False
    inference_views: int = 10
    trunk_cache: str = ""
    train_from: int = 15
    train_views: int = 3
    validation: bool = False


class DCHRecipe(_HasherRecipe):
    """Deep Cauchy Hashing: thulab/DeepHash examples/dch/train_val_script.py.

    The script trains DCH (DeepHash/model/dch/dch.py, `train`), saves it, and reports `MAPs`
    (`validation`); the port adds a precision-recall figure, the codes, mAP after sign at 1 000
    and the encoding speed, and writes the figures as JSON with the settings that made them.

    Presets:
        fashion_mnist: what scripts/run_main.sh runs. DCH at 32 bits fine-tunes the preset
            SmallCNN pretrained as a classifier on the 5 000 Fashion-MNIST training images
            for 10 000 steps (`pretrained/fashion_mnist_small_cnn_10k.weights.h5`, the
            stand-in for the originals' ImageNet AlexNet), with the rate, decay, iteration
            count and gamma chosen on a validation split (`benchmarks/bench_dch.py
            --validation 1000`, against a backbone pretrained on the other 4 000 images).

    Example:
    >>> DCHRecipe(dataset="fashion_mnist", output_dim=32).file_stem()
    'lr_0.005_cqlambda_0.0_gamma_20.0_dataset_fashion_mnist'
    """

    config_class = DCHConfig
    presets = {
        "fashion_mnist": {
            "dataset": "fashion_mnist",
            "img_model": "small_cnn",
            "output_dim": 32,
            "model_weights": "pretrained/fashion_mnist_small_cnn_10k.weights.h5",
            "lr": 0.02,
            "decay_step": 750,
            "iter_num": 1000,
            "gamma": 80.0,
        },
    }
    progress_bar = True
    # The port's figures beside the original's keys.
    EXTRA_KEYS = ("i2i_after_sign@1000", "encode_images_per_s")

    def settings(self) -> dict:
        settings = super().settings()
        # The data folder as the script read it, so that run names do not depend on `~`.
        settings["data_dir"] = os.path.expanduser(settings["data_dir"])
        return settings

    def file_stem(self) -> str:
        config = self.config
        return (
            f"lr_{config.lr}_cqlambda_{config.q_lambda}_gamma_{config.gamma}"
            f"_dataset_{config.dataset.replace(':', '_')}"
        )

    def visible_gpus(self) -> str:
        return self.config.gpus

    def title(self) -> str:
        return f"DCH, {self.config.dataset}, {self.config.output_dim} bits"

    def load_data(self) -> RetrievalData | CachedTrunkData:
        """The `RetrievalData` of `dataset` under `data_dir` (see `common.load_data`); with
        `trunk_cache`, the cached maps of its list files (`cached.load_cached_data`)."""
        config = self.config
        cached.refuse_validation_without_cache(config)
        if config.trunk_cache:
            return self.load_cached_data(config.data_dir)
        return common.load_data(
            config.dataset,
            config.data_dir,
            config.batch_size,
            config.val_batch_size,
            seed=config.seed,
            on_bad_image=config.on_bad_image,
        )

    def build_model(self, data: RetrievalData) -> keras.Model:
        """DCH on the `img_model` backbone, started from `model_weights` (with `trunk_cache`, on
        the upper blocks of the cached EfficientNet-Lite).

        On Fashion-MNIST, the preset SmallCNN with its augmentation and `inference_views`
        (`keras_hashing.models.presets.fashion_mnist_dch`), started from a `.weights.h5`
        classifier when `model_weights` names one (the stand-in for the ImageNet AlexNet).
        """
        from keras_hashing.models import DCH
        from keras_hashing.recipes.image_networks import resolve_img_model

        config = self.config
        if resolve_img_model(config.img_model, data.input_kind) == "small_cnn":
            from keras_hashing.models.presets import fashion_mnist_dch

            weights = config.model_weights
            weights = weights if str(weights).endswith(".weights.h5") else None
            if weights and not os.path.exists(weights):
                raise FileNotFoundError(
                    f"--model-weights {weights} does not exist; make it with "
                    "benchmarks/pretrain_small_cnn.py, or pass --model-weights none."
                )
            model = fashion_mnist_dch(
                config.output_dim,
                gamma=config.gamma,
                q_lambda=config.q_lambda,
                seed=config.seed,
                with_tanh=config.with_tanh,
                inference_views=config.inference_views,
                backbone_weights=weights,
            )
        else:
            parts = common.backbone_parts(config, data)
            model = DCH(
                parts.backbone,
                config.output_dim,
                gamma=config.gamma,
                q_lambda=config.q_lambda,
                with_tanh=config.with_tanh,
                preprocessor=parts.preprocessor,
                num_labels=data.num_labels,
                name="dch",
            )
            common.load_deephash_file(model, parts.deephash_weights)
        if not config.finetune_all:
            model.backbone.trainable = False
        return model

    def load_model(self, data: RetrievalData) -> keras.Model:
        """The model `evaluate=True` evaluates: the `.keras` file `model_weights` names, else
        `build_model(data)` (an AlexNet `.npy` dict, loaded with its fc8)."""
        if str(self.config.model_weights).endswith(".keras"):
            return keras.models.load_model(self.config.model_weights)
        with self.strategy().scope():
            return self.build_model(data)

    def _evaluation_during_training(self, data):
        return (data, self.config.eval_every, self.config.tie_break)

    def evaluate(self, model: keras.Model, data: RetrievalData) -> dict:
        """The original's `MAPs` keys, then `EXTRA_KEYS`; writes `codes.npz` and (unless
        `no_plots`) `precision_recall.png` under `run_dir()`.

        Returns:
            A dict: `REPORT_KEYS` then `EXTRA_KEYS`.
        """
        import numpy as np

        from keras_hashing.metrics import collapse_warning
        from keras_hashing.metrics import map_after_sign
        from keras_hashing.metrics import plot_precision_recall_curves

        config = self.config
        run_dir = self.run_dir()
        os.makedirs(run_dir, exist_ok=True)
        print(f"encoding {len(data.database_labels)} database images", flush=True)
        query_outputs, database_outputs, seconds = common.encode(model, data, verbose=1)
        warning = collapse_warning(database_outputs, data.num_labels)
        if warning:
            print(warning)
        print(
            f"evaluating {len(data.query_labels)} queries against {len(data.database_labels)} "
            "database items",
            flush=True,
        )
        figures = common.retrieval_report(
            query_outputs, database_outputs, data, config.tie_break, with_curves=True
        )
        precision, recall, curve_map = figures.pop("curves")
        if not config.no_plots:
            plot_precision_recall_curves(
                precision,
                recall,
                curve_map,
                os.path.join(run_dir, "precision_recall.png"),
                title=self.title(),
            )
        figures["i2i_after_sign@1000"] = float(
            map_after_sign(
                query_outputs,
                data.query_labels,
                database_outputs,
                data.database_labels,
                min(1000, len(database_outputs)),
                tie_break=config.tie_break,
            )
        )
        figures["encode_images_per_s"] = len(database_outputs) / max(seconds, 1e-9)
        np.savez(
            os.path.join(run_dir, "codes.npz"),
            query_outputs=query_outputs,
            database_outputs=database_outputs,
            query_labels=data.query_labels,
            database_labels=data.database_labels,
        )
        return figures

    def run(self) -> dict:
        """The script: train (or load, with `evaluate`), evaluate, print the table, and write
        `<save_dir>/<run name>.json` (the figures and every run setting).

        Returns:
            The report under the original's keys (`REPORT_KEYS`).
        """
        from keras_hashing.metrics import format_table

        config = self.config
        self.strategy()  # first: it picks the GPUs before TensorFlow starts
        keras.utils.set_random_seed(config.seed)
        data = self.load_data()
        os.makedirs(self.run_dir(), exist_ok=True)
        if config.evaluate:
            model = self.load_model(data)
        else:
            model = self.train(self.new_model(data), data)
        figures = self.evaluate(model, data)
        print(format_table(figures, title=self.title()))
        report = {key: value for key, value in figures.items() if key not in self.EXTRA_KEYS}
        extra = {key: figures[key] for key in self.EXTRA_KEYS}
        results = os.path.join(config.save_dir, self.run_name() + ".json")
        with open(results, "w") as handle:
            json.dump(
                {"report": report, **extra, "settings": self.run_settings()},
                handle,
                indent=1,
                default=float,
            )
        print(f"results written to {results}")
        return report


@dataclasses.dataclass
class DHNConfig:
    """The settings of thulab/DeepHash examples/dhn/train_val_script.py: its nine positional
    arguments (defaults: examples/dhn/train_val.sh's values), then the values its config
    hard-codes and the port's additions, as flags."""

    lr: float = 0.00005
    output_dim: int = 64
    iter_num: int = 2000
    cq_lambda: float = 0.0
    alpha: float = 10.0
    dataset: str = "cifar10"
    gpu: str = "0"
    log_dir: str = "tflog"
    data_root: str = "~/data/"
    batch_size: int = 256
    val_batch_size: int = 100
    decay_step: int = 5000
    decay_factor: float = 0.5
    lr_schedule: str = "step"
    loss_type: str = "normed_cross_entropy"
    img_model: str = "alexnet"
    model_weights: str = "pretrained/reference_pretrain.npy"
    finetune_all: str = "true"
    save_dir: str = "./models/"
    tie_break: str = "index"
    seed: int = 0
    on_bad_image: str = "raise"
    cpu_replicas: int = 0
    trunk_cache: str = ""
    train_from: int = 15
    train_views: int = 3
    validation: bool = False


class DHNRecipe(_HasherRecipe):
    """Deep Hashing Network: thulab/DeepHash examples/dhn/train_val_script.py.

    The script prints its config, trains DHN (DeepHash/model/dhn/dhn.py, `train`), saves the
    model, reloads it into a fresh one and prints the `MAPs` keys (`validation`).

    Example:
    >>> DHNRecipe(dataset="fashion_mnist", data_root="-", output_dim=32).file_stem()
    'lr_5e-05_cqlambda_0.0_alpha_10.0_dataset_fashion_mnist'
    """

    config_class = DHNConfig

    def file_stem(self) -> str:
        config = self.config
        return (
            f"lr_{config.lr}_cqlambda_{config.cq_lambda}_alpha_{config.alpha}"
            f"_dataset_{config.dataset}"
        )

    def visible_gpus(self) -> str:
        gpu = str(self.config.gpu)
        return "" if gpu.lower() in ("-1", "cpu", "none") else gpu

    def load_data(self) -> RetrievalData | CachedTrunkData:
        """Fashion-MNIST (`data_root`: the IDX folder, or `-` for the default one) or the list
        files under `data_root` (with `trunk_cache`, their cached maps).

        Raises:
            ValueError: an unknown dataset, or a missing list file.
        """
        from keras_hashing.data.registry import LABEL_DIMS

        config = self.config
        if config.dataset not in LABEL_DIMS:
            raise ValueError(
                f"unknown dataset {config.dataset!r}; expected one of {sorted(LABEL_DIMS)}"
            )
        cached.refuse_validation_without_cache(config)
        if config.trunk_cache:
            return self.load_cached_data(config.data_root)
        try:
            return common.load_data(
                config.dataset,
                config.data_root,
                config.batch_size,
                config.val_batch_size,
                seed=config.seed,
                on_bad_image=config.on_bad_image,
            )
        except ValueError as error:
            if config.dataset == "fashion_mnist":
                raise
            raise ValueError(f"{error} (lists are read from data_root)") from None

    def original_config(self, data: RetrievalData) -> dict:
        """The config dict the original prints, under its keys (`R` is the mAP cut-off)."""
        config = self.config
        return {
            "max_iter": config.iter_num,
            "batch_size": config.batch_size,
            "val_batch_size": config.val_batch_size,
            "decay_step": config.decay_step,
            "learning_rate_decay_factor": config.decay_factor,
            "learning_rate": config.lr,
            "output_dim": config.output_dim,
            "alpha": config.alpha,
            "R": data.top_k,
            "loss_type": config.loss_type,
            "cq_lambda": config.cq_lambda,
            "label_dim": data.num_labels,
            "dataset": config.dataset,
            "save_dir": config.save_dir,
            "log_dir": config.log_dir,
        }

    def build_model(self, data: RetrievalData) -> keras.Model:
        """DHN on the `img_model` backbone (see `common.backbone_parts`), with the `.npy` dict's
        conv1..fc7, and fc8 when the file has one."""
        from keras_hashing.models import DHN

        config = self.config
        parts = common.backbone_parts(config, data)
        model = DHN(
            parts.backbone,
            config.output_dim,
            preprocessor=parts.preprocessor,
            alpha=config.alpha,
            q_lambda=config.cq_lambda,
            normed=config.loss_type == "normed_cross_entropy",
            num_labels=data.num_labels,
            name="dhn",
        )
        common.load_deephash_file(model, parts.deephash_weights)
        if str(config.finetune_all).lower() == "false":
            model.backbone.trainable = False
        return model

    def evaluate(self, model: keras.Model, data: RetrievalData) -> dict:
        """The original's `MAPs` keys (`REPORT_KEYS`) of `model` on the query and database."""
        query_outputs, database_outputs, _ = common.encode(model, data)
        report = common.retrieval_report(
            query_outputs, database_outputs, data, self.config.tie_break
        )
        return {key: report[key] for key in REPORT_KEYS}

    def run(self) -> dict:
        """The script: print the config, train, reload the saved model, print the figures.

        Returns:
            The report under the original's keys (`REPORT_KEYS`).
        """
        config = self.config
        os.makedirs(config.save_dir, exist_ok=True)
        self.strategy()  # first: it picks the GPUs before TensorFlow starts
        keras.utils.set_random_seed(config.seed)
        data = self.load_data()
        print(self.original_config(data))
        self.train(self.new_model(data), data)
        # A fresh model from the saved file, as the original reloads its `.npy`.
        maps = self.evaluate(keras.models.load_model(self.model_path()), data)
        for key in maps:
            print(f"{key}: {maps[key]}")
        return maps
