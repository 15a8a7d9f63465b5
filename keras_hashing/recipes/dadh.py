"""DADH as a recipe: the `train` and `test` commands of Zjut-MultimediaPlus/DADH `main.py`.

The original trains on CNN-F image features and bag-of-words texts of MIRFlickr-25K (`--flag mir`)
or NUS-WIDE (`--flag nus`), evaluates image->text and text->image mAP on the query set every
`valid_freq` epochs, and saves the generator. `DADHRecipe` does the same with
`keras_hashing.models.DADH`, `keras_hashing.data.cross_modal` and `keras_hashing.metrics`, and
its settings (`DADHConfig`) are the original's `config.py` options under the same names, plus
the port's own.

Departures from the original (each an explicit choice; see its main.py, `train` and `test`):

- `flag` has a working default (the original crashed unless it was passed);
- no model selection on the test queries by default: the final model is saved and the per-epoch
  query mAP is only reported (`select_on_query=True` restores the original best-epoch choice);
- `flag="fashion_mnist"`: the two-view Fashion-MNIST task (top half as image, bottom half as
  text);
- `flag="openclipart"`: Open Clip Art pictures and their words, the folder of
  `data/openclipart/prepare.py --no-links --features-from lite0` (ImageNet EfficientNet-Lite0
  features in CNN-F's place, standardised as the original's data handler does);
- `imagenet-vgg-f.mat` (`pretrain_model_path`) is accepted but never read: the original loads it
  and does not use it;
- visdom (`vis_env`, `vis_port`) is replaced by Keras logs, `result.json` and TensorBoard
  summaries under `log_dir`; `device` is accepted for compatibility (use CUDA_VISIBLE_DEVICES);
- ties in the Hamming ranking are broken by database index (`convention="dadh"` keeps the
  original denominators; the sort is stable);
- a killed run resumes from `<checkpoint_dir>/<dataset>_<bit>/backup`, and refuses a backup made
  with other settings.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from typing import TYPE_CHECKING

import keras

from keras_hashing import validation
from keras_hashing.recipes.base import Recipe
from keras_hashing.recipes.runs import resumable_callbacks

if TYPE_CHECKING:
    from keras_hashing.callbacks.cross_modal import CrossModalEvaluation
    from keras_hashing.data.cross_modal import CrossModalData
    from keras_hashing.models.dadh import DADH

# The original's data files for `--flag` (config.py, `Default.data`).
DATA_PATHS = {"mir": "./data/FLICKR-25K.mat", "nus": "./data/NUS-WIDE-TC21.mat"}
OPENCLIPART_PATH = "~/data/openclipart"
# Each `flag`'s name in the run folder `<dataset>_<bit>`.
DATASET_NAMES = {
    "mir": "flickr25k",
    "nus": "nus-wide",
    "fashion_mnist": "fashion_mnist",
    "openclipart": "openclipart",
}
# Datasets whose image width comes from the data rather than `image_dim` (CNN-F's 4 096).
OWN_WIDTH = ("fashion_mnist", "openclipart")
COMMANDS = ("train", "test")
CONVENTIONS = ("dadh", "index", "djsrh")
MODEL_FILE = "GEN_module.keras"
# Settings that never change what a run computes: where it writes, which command, and the
# original's options that are accepted but unused. A resumed run may change them.
NOT_RUN_SETTINGS = frozenset(
    {
        "command",
        "checkpoint_dir",
        "load_model_path",
        "vis_env",
        "vis_port",
        "device",
        "modals",
        "pretrain_model_path",
    }
)


@dataclasses.dataclass
class DADHConfig:
    """The settings of a DADH run: the original's `config.py` options, then the port's.

    Every field is the `dest` of a flag of `examples/dadh/main.py`, with the same default.
    `command` is "train" or "test" (the original's subcommands). `split_sizes` is
    "query,train,database" (a string, as the flag) or None for the original split.
    """

    command: str = "train"
    flag: str = "mir"
    batch_size: int = 128
    lr: float = 5e-5
    valid: bool = True
    valid_freq: int = 1
    bit: int = 64
    lamb: float = 1.0
    alpha: float = 10.0
    gamma: float = 1.0
    beta: float = 1.0
    mu: float = 1e-5
    margin: float = 0.4
    max_epoch: int = 300
    vis_env: str = "main"
    vis_port: int = 8097
    device: str = "cuda:0"
    dropout: bool = False
    image_dim: int = 4096
    hidden_dim: int = 8192
    modals: int = 2
    load_model_path: str | None = None
    pretrain_model_path: str = "./data/imagenet-vgg-f.mat"
    data_path: str | None = None
    split_sizes: str | None = None
    checkpoint_dir: str = "checkpoints"
    select_on_query: bool = False
    faithful_constants: bool = True
    second_text_pass: bool = True
    decay_at_epoch_zero: bool = True
    convention: str = "dadh"
    seed: int = 0
    verbose: int = 2
    log_dir: str = "tflog"


class _EpochLog(keras.callbacks.Callback):
    """Times each epoch, prints the original's per-epoch lines, and keeps the query mAPs.

    With `model_path`, the epoch with the best mean query mAP is saved there (the original's
    model selection on the test queries, `select_on_query`).
    """

    def __init__(self, model_path: str | None = None):
        super().__init__()
        self.model_path = model_path
        self.train_times, self.map_i2t, self.map_t2i = [], [], []
        self.best = {"average": -1.0, "map_i2t": 0.0, "map_t2i": 0.0}

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.time()

    def on_epoch_end(self, epoch, logs=None):
        from keras_hashing.callbacks.run_backup import save_model_atomically

        self.train_times.append(time.time() - self._start)
        logs = logs or {}
        print(f"...epoch: {epoch + 1:3d}, loss: {logs.get('loss', float('nan')):3.3f}")
        if "val_map_i2t" not in logs:
            return
        i2t, t2i = logs["val_map_i2t"], logs["val_map_t2i"]
        self.map_i2t.append(i2t)
        self.map_t2i.append(t2i)
        print(f"...epoch: {epoch + 1:3d}, valid MAP: MAP(i->t): {i2t:3.4f}, MAP(t->i): {t2i:3.4f}")
        if 0.5 * (i2t + t2i) > self.best["average"]:
            self.best.update(average=0.5 * (i2t + t2i), map_i2t=i2t, map_t2i=t2i)
            if self.model_path:
                save_model_atomically(self.model, self.model_path)

    def report(self) -> dict:
        """`result.json`'s content: seconds per epoch and the query mAPs of evaluated epochs."""
        return {"train_times": self.train_times, "mapi2t": self.map_i2t, "mapt2i": self.map_t2i}


class DADHRecipe(Recipe):
    """DADH's `main.py` (Zjut-MultimediaPlus/DADH): `train` and `test`, step by step.

    `run()` does what `config.command` names: `train_command()` (load the data, build the
    model, train it with the B-step and learning-rate decay after every epoch and the query mAP
    every `valid_freq` epochs, save it, report the final mAP and the curves) or `test_command()`
    (load a saved model and report its mAP and curves). Each step is public: `load_data()`,
    `build_model(data)`, `train(model, data)`, `evaluate(model, data)`, `save_curves(model, data)`.
    Files go to `<checkpoint_dir>/<dataset>_<bit>/` (`GEN_module.keras`, `result.json`,
    `cross_modal_curves.png` and `.npz`, the resumable `backup/`), TensorBoard summaries to
    `<log_dir>/<dataset>_<bit>`.

    Presets: "mir" and "nus" are the original's `run_mir.sh` and `run_nus.sh` (lr 1e-5, dropout);
    "fashion_mnist" (32 bits, hidden 1 024) is the two-view Fashion-MNIST task; "openclipart"
    (32 bits, hidden 1 024, 60 epochs) the Open Clip Art settings of the README.

    Example:
    >>> recipe = DADHRecipe.preset("nus", bit=32)
    >>> recipe.config.lr, recipe.config.dropout, recipe.file_stem()
    (1e-05, True, 'nus-wide_32')
    """

    config_class = DADHConfig
    presets = {
        "mir": {"flag": "mir"},
        "nus": {"flag": "nus", "lr": 1e-5, "dropout": True},
        "fashion_mnist": {"flag": "fashion_mnist", "bit": 32, "hidden_dim": 1024},
        "openclipart": {"flag": "openclipart", "bit": 32, "hidden_dim": 1024, "max_epoch": 60},
    }

    def __init__(self, config: DADHConfig | None = None, **settings):
        super().__init__(config, **settings)
        for name, value, choices in (
            ("command", self.config.command, COMMANDS),
            ("flag", self.config.flag, tuple(DATASET_NAMES)),
            ("convention", self.config.convention, CONVENTIONS),
        ):
            validation.one_of(name, value, choices, "DADH")
        self.split_sizes()  # a malformed split_sizes fails here, not after the data is read

    def run_settings(self) -> dict:
        """The settings that change the result: not the output folders, command or unused ones."""
        return {k: v for k, v in super().run_settings().items() if k not in NOT_RUN_SETTINGS}

    def file_stem(self) -> str:
        """`<dataset>_<bit>`, the run folder's name (e.g. "flickr25k_64")."""
        return f"{DATASET_NAMES[self.config.flag]}_{self.config.bit}"

    def run_dir(self) -> str:
        """`<checkpoint_dir>/<dataset>_<bit>`: the model, results, curves and backup."""
        return os.path.join(self.config.checkpoint_dir, self.file_stem())

    def model_path(self) -> str:
        """Where `train` saves the model: `<run_dir>/GEN_module.keras`."""
        return os.path.join(self.run_dir(), MODEL_FILE)

    def split_sizes(self) -> dict | None:
        """`split_sizes` as `{"query_size", "train_size", "database_size"}`, or None."""
        sizes = self.config.split_sizes
        if not sizes:
            return None
        parts = sizes.split(",") if isinstance(sizes, str) else list(sizes)
        try:
            query, train, database = (int(part) for part in parts)
        except ValueError:
            raise ValueError(
                f"DADH split_sizes (--split_sizes) must be three integers query,train,database; "
                f"found {sizes!r}."
            ) from None
        return {"query_size": query, "train_size": train, "database_size": database}

    def load_data(self) -> CrossModalData:
        """The `CrossModalData` of `flag`: DADH's `.mat` split, two-view Fashion-MNIST, or Open
        Clip Art with image features (DADH `datasets/data_handler.py`, `datasets/dataset.py`)."""
        from keras_hashing.data.cross_modal import load_dadh_mat
        from keras_hashing.data.cross_modal import two_view_fashion_mnist

        flag, path = self.config.flag, self.config.data_path
        if flag == "fashion_mnist":
            return two_view_fashion_mnist(data_dir=path)
        if flag == "openclipart":
            from keras_hashing.data.openclipart import load_openclipart

            return load_openclipart(path or OPENCLIPART_PATH, require_features=True)
        sizes = self.split_sizes()
        # Small files with their own split sizes may have any text width.
        return load_dadh_mat(
            path or DATA_PATHS[flag],
            flag,
            text_dim=None if sizes else "original",
            split_sizes=sizes,
        )

    def build_model(self, data: CrossModalData) -> DADH:
        """A compiled `keras_hashing.models.DADH` for `data` (DADH main.py, `train`).

        Raises:
            ValueError: for "mir" and "nus", when the image features are not `image_dim` wide.
        """
        from keras_hashing.models import DADH

        config = self.config
        image_dim = data.train.images.shape[1]
        if config.flag not in OWN_WIDTH and image_dim != config.image_dim:
            raise ValueError(
                f"DADH image_dim (--image_dim) is {config.image_dim} but the image features of "
                f"{config.data_path or DATA_PATHS[config.flag]} have {image_dim} columns."
            )
        model = DADH(
            image_dim=image_dim,
            text_dim=data.text_dim,
            num_labels=data.num_labels,
            num_train=len(data.train),
            code_length=config.bit,
            hidden_dim=config.hidden_dim,
            dropout=config.dropout,
            alpha=config.alpha,
            beta=config.beta,
            gamma=config.gamma,
            margin=config.margin,
            lamb=config.lamb,
            mu=config.mu,
            learning_rate=config.lr,
            faithful_constants=config.faithful_constants,
            second_text_pass=config.second_text_pass,
            seed=config.seed,
            name="dadh",
        )
        model.compile()
        return model

    def evaluation(self, data: CrossModalData) -> CrossModalEvaluation:
        """The query-vs-database I->T / T->I mAP callback (`keras_hashing.metrics`), over the
        whole database as the original's `calc_map_k`, every `valid_freq` epochs."""
        from keras_hashing.callbacks import CrossModalEvaluation

        query, database = data.query, data.database
        return CrossModalEvaluation(
            (query.images, query.texts, query.labels),
            (database.images, database.texts, database.labels),
            top_k=None,
            convention=self.config.convention,
            every_n_epochs=self.config.valid_freq,
            prefix="val_",
            batch_size=self.config.batch_size,
        )

    def evaluate(self, model: DADH, data: CrossModalData) -> dict[str, float]:
        """`{"map_i2t", "map_t2i"}` of `model` on the query set against the database."""
        return self.evaluation(data).evaluate(model)

    def train(self, model: DADH, data: CrossModalData) -> dict:
        """Trains `model` for `max_epoch` epochs as the original's `train` loop.

        After each epoch's batches, in this order: the B-step (`DADHCodeUpdate`), the generator's
        learning-rate decay, the backup, the query evaluation (with `valid`), the epoch's lines.
        With `valid` and `select_on_query`, the best epoch is saved to `model_path()`.

        Returns:
            `{"train_times", "mapi2t", "mapt2i"}` per epoch (the evaluated ones for the mAPs),
            plus "best": `{"average", "map_i2t", "map_t2i"}` of the best evaluated epoch.
        """
        from keras_hashing.callbacks import DADHCodeUpdate
        from keras_hashing.callbacks import DADHLearningRateDecay
        from keras_hashing.data.cross_modal import paired_dataset

        config = self.config
        select = config.valid and config.select_on_query
        log = _EpochLog(self.model_path() if select else None)
        guard, backup = resumable_callbacks(
            os.path.join(self.run_dir(), "backup"), settings=self.run_settings()
        )
        # Order matters: the B-step and the decay follow the epoch's batches, then the backup
        # (of the updated codes), then evaluation.
        callbacks = [
            guard,
            DADHCodeUpdate(data.train.labels),
            DADHLearningRateDecay(at_epoch_zero=config.decay_at_epoch_zero),
            backup,
        ]
        if config.valid:
            callbacks.append(self.evaluation(data))
        callbacks.append(log)
        callbacks.append(
            keras.callbacks.TensorBoard(os.path.join(config.log_dir, self.file_stem()))
        )
        dataset = paired_dataset(
            data.train, config.batch_size, training=True, shuffle_seed=config.seed, with_index=True
        )
        model.fit(dataset, epochs=config.max_epoch, callbacks=callbacks, verbose=config.verbose)
        return {**log.report(), "best": dict(log.best)}

    def save_curves(
        self, model: DADH, data: CrossModalData, directory: str | None = None
    ) -> tuple[str, str]:
        """Precision@top-R and PR curves of `model`'s codes, as `cross_modal_curves.png` and
        `.npz` in `directory` (default `run_dir()`). Returns the two paths."""
        import numpy as np

        from keras_hashing.metrics import cross_modal_curves
        from keras_hashing.metrics import plot_cross_modal_curves

        directory = directory or self.run_dir()
        # The same inference-mode encoding as `evaluate`, so the same codes.
        query, database, size = data.query, data.database, self.config.batch_size
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
            title=f"DADH {DATASET_NAMES[self.config.flag]} {self.config.bit} bits",
        )
        npz = os.path.join(directory, "cross_modal_curves.npz")
        np.savez(npz, **{f"{d}_{k}": v for d, part in curves.items() for k, v in part.items()})
        print(f"...cross-modal curves: {png}, {npz}")
        return png, npz

    def train_command(self) -> str:
        """The `train` command: trains, saves `GEN_module.keras`, reports, writes `result.json`.

        Returns:
            The saved model's path.
        """
        from keras_hashing.callbacks.run_backup import save_model_atomically

        config = self.config
        keras.utils.set_random_seed(config.seed)
        data = self.load_data()
        os.makedirs(self.run_dir(), exist_ok=True)
        model = self.build_model(data)
        result = self.train(model, data)
        selected = config.valid and config.select_on_query
        if not selected:
            save_model_atomically(model, self.model_path())
        print("...training procedure finish")
        if selected:
            best = result["best"]
            print(
                f"   max MAP: MAP(i->t): {best['map_i2t']:3.4f}, MAP(t->i): {best['map_t2i']:3.4f}"
            )
        else:
            final = self.evaluate(model, data)
            print(
                f"   final MAP: MAP(i->t): {final['map_i2t']:3.4f}, "
                f"MAP(t->i): {final['map_t2i']:3.4f}"
            )
            self.save_curves(model, data)
        report = {key: result[key] for key in ("train_times", "mapi2t", "mapt2i")}
        with open(os.path.join(self.run_dir(), "result.json"), "w") as handle:
            json.dump(report, handle)
        return self.model_path()

    def test_command(self) -> dict:
        """The `test` command: the saved model's query mAP, printed, and its curves.

        Returns:
            `{"map_i2t", "map_t2i"}`.

        Raises:
            FileNotFoundError: no model at `load_model_path` (default `model_path()`).
        """
        path = self.config.load_model_path or self.model_path()
        if not os.path.exists(path):
            raise FileNotFoundError(
                f"no trained model at {path}; run `main.py train --flag {self.config.flag} "
                f"--bit {self.config.bit}` first or pass --load_model_path."
            )
        data = self.load_data()
        model = keras.models.load_model(path)
        results = self.evaluate(model, data)
        print(
            f"...test MAP: MAP(i->t): {results['map_i2t']:3.4f}, "
            f"MAP(t->i): {results['map_t2i']:3.4f}"
        )
        self.save_curves(model, data)
        return results

    def run(self) -> str | dict:
        """`train_command()` (returns the model's path) or `test_command()` (returns the mAPs),
        as `command` says."""
        if self.config.command == "train":
            return self.train_command()
        return self.test_command()
