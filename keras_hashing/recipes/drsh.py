"""DRSH as frankenstan/DRSH runs it: `train.py` (triplet training) and `test.py` (encoding).

`DRSHRecipe` is the original's `train.py` `run(...)`: HDF5 feature and attribute files keyed by
image id, the two membership files, triplets drawn per anchor, 20 epochs of batch-1 steps with
the original's Adam, and the parameters saved every `save_freq` samples as
`{saveto}{epoch}_{position}.npz` with the original's names. `DRSHTestRecipe` is its `test.py`:
the {0,1} codes of the test and training ids as `.mat` files, plus mAP when the categories are
given.

Additions of the port, kept from the example scripts: a backup under `{saveto}backup/`
resumes an interrupted run (model, optimiser, epoch) and refuses a backup made with other
settings (`keras_hashing.callbacks.RunBackup`); the final model is saved
as `{saveto}drsh.keras`; TensorBoard summaries go to `{log_dir}/<the saveto folder's name>`;
`mode="batched"` trains any batch size with standard Adam at `lrate` (the original: batch 1 and
its own Adam at 2e-4, `lrate` unused). Departures: the triplet order comes from a seeded NumPy
generator; the negative list defaults to the original's 21 NUS-WIDE categories when the category
file has them all, else every category; the test recipe's mAP is an addition (the original
evaluated outside its repository).

Example:
>>> recipe = DRSHRecipe(feature="NUSF.h5", attribute="NUSGlove.h5", steps=32)
>>> recipe.file_stem()
'v34'
>>> DRSHTestRecipe(loadfile="models/v34/drsh.keras").config.steps
96
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from typing import TYPE_CHECKING
from typing import Any

import keras
import numpy as np

from keras_hashing.recipes.base import Recipe

if TYPE_CHECKING:  # the data path reads through tf.data: TensorFlow loads only when it is used
    from keras_hashing.data.drsh import DRSHTripletSampler
    from keras_hashing.data.drsh import H5Entries
    from keras_hashing.data.drsh import Membership
    from keras_hashing.models import DRSH


@dataclasses.dataclass
class DRSHConfig:
    """The settings of frankenstan/DRSH `train.py`, `run(...)`, plus the port's additions.

    The fields are the example's flags (`examples/drsh/train.py`) with the same defaults: the
    original's `run(...)` arguments (`print_freq` .. `test_ids`), then `mode`,
    `strict_negatives`, `negative_categories`, `max_steps`, `seed` and `log_dir`.
    `valid_freq`, `weight` and `momentum` are kept for the signature; the original never uses
    them either.
    """

    print_freq: int = 100
    reload: bool = False
    loadfile: str = "0_83999.npz"
    feature: str = "NUSF.h5"
    attribute: str = "NUSGlove.h5"
    saveto: str = "models/v34/"
    maxepoch: int = 20
    steps: int = 32
    dim_frame: int = 4096
    att_frame: int = 300
    hidden_dim: int = 512
    batch_size: int = 1
    lrate: float = 0.001
    l2_decay: float = 1e-4
    save_freq: int = 4000
    valid_freq: int = 5000
    weight: float = 0.01
    epsilon: float = 1e-10
    momentum: float = 0.99
    axis_bn: int = 1
    image_categories: str = "imageclas.h5"
    category_images: str = "class.h5"
    train_ids: str = "truetrainid.npy"
    test_ids: str = "truetestid.npy"
    mode: str = "faithful"
    strict_negatives: bool = False
    negative_categories: list[str] | None = None
    max_steps: int = 0
    seed: int = 0
    log_dir: str = "tflog"


@dataclasses.dataclass
class DRSHData:
    """What `DRSHRecipe.load_data` reads: both entry files, the training ids, the triplets."""

    features: H5Entries
    attributes: H5Entries
    train_ids: list[str]
    sampler: DRSHTripletSampler
    dataset: object  # an endless `tf.data.Dataset` of triplet batches


class OriginalCheckpoint(keras.callbacks.Callback):
    """Writes `{saveto}{epoch}_{position}.npz` with the original's parameter names.

    frankenstan/DRSH `train.py`, `run`, saves every `saveFreq` samples under the data epoch and
    the anchor's position in it, with the loss history (`train_loss_his`). Here one Keras epoch
    is `save_freq` samples, so the file is written at each epoch end.

    Args:
        saveto: str, the file prefix (a folder ends in "/").
        batch_size: int, samples per training step.
        samples_per_epoch: int, the number of training ids (one data epoch).
    """

    def __init__(self, saveto: str, batch_size: int, samples_per_epoch: int):
        super().__init__()
        self.saveto = saveto
        self.batch_size = batch_size
        self.samples_per_epoch = samples_per_epoch
        self.history = []

    def on_train_batch_end(self, batch, logs=None):
        if logs and "loss" in logs:
            self.history.append(float(logs["loss"]))

    def on_epoch_end(self, epoch, logs=None):
        steps = int(keras.ops.convert_to_numpy(self.model.optimizer.iterations))
        data_epoch, position = divmod(steps * self.batch_size - 1, self.samples_per_epoch)
        path = f"{self.saveto}{data_epoch}_{position}.npz"
        np.savez(
            path,
            train_loss_his=np.asarray(self.history, np.float32),
            **self.model.get_original_weights(),
        )
        print(f"saved {path}")


class DRSHRecipe(Recipe):
    """DRSH training as frankenstan/DRSH `train.py`, `run(...)`.

    `run()` is the whole script; its steps are `load_data()`, `build_model(data)`,
    `train(model, data)` and `save(model)`.

    Example:
    >>> recipe = DRSHRecipe(saveto="models/v34/", maxepoch=20)
    >>> recipe.schedule(num_train=10000)  # (steps per epoch, epochs, total steps)
    (4000, 50, 200000)
    """

    config_class = DRSHConfig

    def run_settings(self) -> dict[str, Any]:
        """The settings that change the result: not where or how often files are written."""
        return {
            key: value
            for key, value in super().run_settings().items()
            if key not in ("saveto", "print_freq", "save_freq")
        }

    def file_stem(self) -> str:
        """The `saveto` folder's name, which names the TensorBoard run."""
        return os.path.basename(os.path.normpath(self.config.saveto))

    def negative_categories(self, membership: Membership) -> list[str] | None:
        """The categories negatives come from: the setting, else the original's 21 NUS-WIDE
        categories when the membership has them all, else None (every category)."""
        from keras_hashing.data.drsh import NUS_NEGATIVE_CATEGORIES

        negatives = self.config.negative_categories
        if negatives is None and all(
            category in membership.category_images for category in NUS_NEGATIVE_CATEGORIES
        ):
            negatives = list(NUS_NEGATIVE_CATEGORIES)
        return negatives

    def load_data(self) -> DRSHData:
        """Seeds Keras, reads the entry, membership and id files, and builds the triplets.

        Raises:
            ValueError: a file is missing, an attribute entry is not `(slots, att_frame)`, or an
                id the sampler can draw has no entry in the feature or attribute file.
        """
        from keras_hashing.data.drsh import DRSHTripletSampler
        from keras_hashing.data.drsh import H5Entries
        from keras_hashing.data.drsh import drsh_triplet_dataset
        from keras_hashing.data.drsh import load_membership
        from keras_hashing.data.drsh import read_ids

        config = self.config
        keras.utils.set_random_seed(config.seed)
        features = H5Entries(config.feature, "feature file", (config.dim_frame,))
        attributes = H5Entries(config.attribute, "attribute file")
        if len(attributes.shape) != 2 or attributes.shape[1] != config.att_frame:
            raise ValueError(
                f"{config.attribute}: entries are {attributes.shape}, expected "
                f"(slots, {config.att_frame}) (--att-frame)."
            )
        membership = load_membership(config.image_categories, config.category_images)
        train_ids = read_ids(config.train_ids)
        sampler = DRSHTripletSampler(
            membership,
            train_ids,
            read_ids(config.test_ids),
            self.negative_categories(membership),
            strict_negatives=config.strict_negatives,
            seed=config.seed,
        )
        dataset = drsh_triplet_dataset(features, attributes, sampler, config.batch_size)
        return DRSHData(features, attributes, train_ids, sampler, dataset)

    def build_model(self, data: DRSHData) -> DRSH:
        """The compiled DRSH model (the original's Adam in faithful mode), reloaded from
        `loadfile` when `reload` is set."""
        from keras_hashing.models import DRSH
        from keras_hashing.optimizers import DRSHAdam

        config = self.config
        model = DRSH(
            config.steps,
            config.hidden_dim,
            mode=config.mode,
            l2_decay=config.l2_decay,
            feature_dim=config.dim_frame,
            attribute_shape=data.attributes.shape,
            epsilon=config.epsilon,
            name="drsh",
        )
        if config.reload:
            with np.load(config.loadfile) as params:
                model.set_original_weights(params, source=config.loadfile)
            print(f"reloaded {config.loadfile}")
        if config.mode == "faithful":
            optimizer = DRSHAdam()
        else:
            optimizer = keras.optimizers.Adam(config.lrate, epsilon=1e-8)
        model.compile(optimizer=optimizer)
        return model

    def schedule(self, num_train: int) -> tuple[int, int, int]:
        """`(steps per Keras epoch, Keras epochs, total steps)`: `maxepoch` passes over the
        `num_train` anchors, one Keras epoch per checkpoint (`save_freq` samples), cut at
        `max_steps` when set."""
        config = self.config
        steps_per_epoch = max(1, config.save_freq // config.batch_size)
        total_steps = config.maxepoch * num_train // config.batch_size
        if config.max_steps:
            total_steps = min(total_steps, config.max_steps)
        return steps_per_epoch, math.ceil(total_steps / steps_per_epoch), total_steps

    def callbacks(self, num_train: int, total_steps: int) -> list:
        """NaN guard, resume from `{saveto}backup/`, the original's `.npz` checkpoints, the step
        budget, and TensorBoard under `{log_dir}/{file_stem()}`."""
        from keras_hashing.callbacks import RunBackup
        from keras_hashing.callbacks import StopAtStep
        from keras_hashing.callbacks import TerminateOnNonFiniteLoss

        config = self.config
        backup_dir = os.path.join(config.saveto, "backup")
        callbacks = [
            TerminateOnNonFiniteLoss(checkpoint_hint=backup_dir),
            # Refuses a backup made with other settings (a changed flag must not continue it).
            RunBackup(backup_dir, self.run_settings()),
            OriginalCheckpoint(config.saveto, config.batch_size, num_train),
        ]
        if total_steps:
            callbacks.append(StopAtStep(total_steps))
        log_dir = os.path.join(config.log_dir, self.file_stem())
        callbacks.append(keras.callbacks.TensorBoard(log_dir))
        return callbacks

    def train(self, model: DRSH, data: DRSHData) -> dict:
        """Fits `model` on the triplets; returns `{"steps", "triplets", "seconds"}`."""
        config = self.config
        os.makedirs(os.path.dirname(config.saveto) or ".", exist_ok=True)
        num_train = len(data.train_ids)
        steps_per_epoch, epochs, total_steps = self.schedule(num_train)
        start = time.time()
        model.fit(
            data.dataset,
            steps_per_epoch=steps_per_epoch,
            epochs=epochs,
            callbacks=self.callbacks(num_train, total_steps),
            shuffle=False,
            verbose=2 if config.print_freq else 0,
        )
        elapsed = time.time() - start
        steps = int(keras.ops.convert_to_numpy(model.optimizer.iterations))
        triplets = steps * config.batch_size
        print(f"trained {steps} steps ({triplets} triplets) in {elapsed:.1f} s")
        return {"steps": steps, "triplets": triplets, "seconds": elapsed}

    def save(self, model: DRSH) -> str:
        """Saves `model` as `{saveto}drsh.keras`; returns the path."""
        path = os.path.join(self.config.saveto, "drsh.keras")
        model.save(path)
        print(f"model saved to {path}")
        return path

    def run(self) -> dict:
        """The whole `train.py`: returns `{"model", "model_path", "steps", "triplets",
        "seconds"}`."""
        data = self.load_data()
        model = self.build_model(data)
        report = self.train(model, data)
        return {"model": model, "model_path": self.save(model), **report}


@dataclasses.dataclass
class DRSHTestConfig:
    """The settings of frankenstan/DRSH `test.py` (the example's `examples/drsh/test.py`).

    `loadfile` is the port's `.keras` model or an original `.npz` checkpoint; for the latter
    `steps` (96, the original test's), `dim_frame`, `hidden_dim` and `mode` describe it.
    `att_frame` is unused (the attribute file has it). With `image_categories`, mAP is reported;
    `category_images` defaults to `class.h5` beside it.
    """

    loadfile: str = "v34_96bit/2_1049.npz"
    feature: str = "NUSF.h5"
    attribute: str = "NUSGlove.h5"
    steps: int = 96
    dim_frame: int = 4096
    att_frame: int = 300
    hidden_dim: int = 512
    mode: str = "faithful"
    train_ids: str = "truetrainid.npy"
    test_ids: str = "truetestid.npy"
    image_categories: str | None = None
    category_images: str | None = None
    code_dir: str = "code"
    test_name: str = "test34_2_1k_96"
    train_name: str = "train34_2_1k_96"
    batch_size: int = 1024


@dataclasses.dataclass
class DRSHTestData:
    """What `DRSHTestRecipe.load_data` reads: both entry files and both id lists."""

    features: H5Entries
    attributes: H5Entries
    test_ids: list[str]
    train_ids: list[str]


def membership_labels(membership: Membership, ids: list[str], categories: list[str]) -> np.ndarray:
    """Multi-hot `(len(ids), len(categories))` float32 labels of `ids` from `membership`.

    Raises:
        ValueError: an id has no entry in the image-category file.

    Example:
    >>> from keras_hashing.data.drsh import Membership
    >>> membership = Membership({"7": ["sky", "sea"]}, {"sky": ["7"], "sea": ["7"]})
    >>> membership_labels(membership, ["7"], ["cat", "sea", "sky"]).tolist()
    [[0.0, 1.0, 1.0]]
    """
    column = {category: j for j, category in enumerate(categories)}
    labels = np.zeros((len(ids), len(categories)), np.float32)
    for row, key in enumerate(ids):
        if key not in membership.image_categories:
            raise ValueError(f"id {key!r} has no entry in the image-category file")
        for category in membership.image_categories[key]:
            labels[row, column[category]] = 1.0
    return labels


class DRSHTestRecipe(Recipe):
    """DRSH encoding as frankenstan/DRSH `test.py`, plus mAP.

    Encodes every test id, then every training id, and writes the {0,1} codes as the original:
    `{code_dir}/{test_name}.mat` (variable `test`, shape N x 1 x K) and `{train_name}.mat`
    (`train`), plus `.npy` copies (N x K, uint8). `run()` is the whole script; its steps are
    `load_data()`, `load_model(data)`, `encode(model, data)` and `evaluate(codes, data)`.
    """

    config_class = DRSHTestConfig

    def file_stem(self) -> str:
        """The test codes' file stem."""
        return self.config.test_name

    def load_data(self) -> DRSHTestData:
        """Opens the feature and attribute files and reads both id lists.

        Raises:
            ValueError: a file is missing.
        """
        from keras_hashing.data.drsh import H5Entries
        from keras_hashing.data.drsh import read_ids

        config = self.config
        return DRSHTestData(
            H5Entries(config.feature, "feature file"),
            H5Entries(config.attribute, "attribute file"),
            read_ids(config.test_ids),
            read_ids(config.train_ids),
        )

    def load_model(self, data: DRSHTestData) -> DRSH:
        """The `.keras` model at `loadfile`, or a DRSH model holding an original `.npz`."""
        from keras_hashing.models import DRSH

        config = self.config
        if config.loadfile.endswith(".keras"):
            return keras.models.load_model(config.loadfile)
        model = DRSH(
            config.steps,
            config.hidden_dim,
            mode=config.mode,
            feature_dim=config.dim_frame,
            attribute_shape=data.attributes.shape,
        )
        with np.load(config.loadfile) as params:
            model.set_original_weights(params, source=config.loadfile)
        return model

    def encode(self, model: DRSH, data: DRSHTestData) -> dict:
        """Encodes and writes the test, then the training codes; returns `{"test", "train"}`
        {0,1} arrays."""
        import scipy.io

        config = self.config
        os.makedirs(config.code_dir, exist_ok=True)
        codes = {}
        start = time.time()
        for ids, name, variable in (
            (data.test_ids, config.test_name, "test"),
            (data.train_ids, config.train_name, "train"),
        ):
            data.attributes.check_ids(ids)  # the original reads both entries of every id
            bits = model.encode_bits(data.features.gather(ids), batch_size=config.batch_size)
            codes[variable] = bits
            path = os.path.join(config.code_dir, name + ".mat")
            scipy.io.savemat(path, {variable: bits[:, None, :]})
            np.save(os.path.join(config.code_dir, name + ".npy"), bits)
            print(f"{variable}: {bits.shape[0]} codes of {bits.shape[1]} bits -> {path}")
        count = len(data.test_ids) + len(data.train_ids)
        print(f"encoded {count} images in {time.time() - start:.1f} s")
        return codes

    def evaluate(self, codes: dict, data: DRSHTestData) -> dict:
        """mAP@ALL and mAP@1000: queries the test ids, database the training ids, Hamming
        ranking with ties by database index, relevant when an image shares a category."""
        from keras_hashing.data.drsh import load_membership
        from keras_hashing.metrics import map_after_sign

        config = self.config
        if not config.image_categories:
            raise ValueError("DRSHTestRecipe.evaluate needs image_categories (--image-categories).")
        category_path = config.category_images or os.path.join(
            os.path.dirname(config.image_categories), "class.h5"
        )
        membership = load_membership(config.image_categories, category_path)
        categories = sorted(membership.category_images)
        query_labels = membership_labels(membership, data.test_ids, categories)
        database_labels = membership_labels(membership, data.train_ids, categories)
        signs = {key: value.astype(np.float32) * 2 - 1 for key, value in codes.items()}
        num_database = len(data.train_ids)
        results = {}
        for key, top_k in (("mAP@ALL", num_database), ("mAP@1000", min(1000, num_database))):
            value = map_after_sign(
                signs["test"], query_labels, signs["train"], database_labels, top_k
            )
            results[key] = float(value)
            print(f"{key}: {value:.4f}")
        return results

    def run(self) -> dict:
        """The whole `test.py`: `{"test", "train"}` codes, and mAP@ALL / mAP@1000 when
        `image_categories` is set."""
        data = self.load_data()
        codes = self.encode(self.load_model(data), data)
        if self.config.image_categories:
            codes.update(self.evaluate(codes, data))
        return codes
