"""DQN, DVSQ and DTQ as thulab/DeepHash's example scripts run them, as recipes.

thulab/DeepHash examples/{dqn,dvsq,dtq}/train_val_script.py each read a dataset, put an AlexNet
in front of a hash layer with a codebook, train it while refitting the codes and the codebook
in NumPy, and report `MAPs_CQ`: mAP@R by feature, AQD and SQD. `DQNRecipe`, `DVSQRecipe` and
`DTQRecipe` are those scripts; their settings are the scripts' flags (DQN and DVSQ keep the
original's positional arguments `lr output_dim iter_num cq_lambda subspace_num dataset gpu
log_dir data_root`).

    recipe = DQNRecipe.preset("fashion_mnist", iter_num=200)
    report = recipe.run()  # {"i2i_nocq": ..., "i2i_AQD": ..., "i2i_SQD": ...}

Or step by step: `data = recipe.load_data()`, `model = recipe.build_model(data)`,
`recipe.train(model, data)`, `recipe.evaluate(model, data)`.

What the trained models give: `model.predict(x)` the real outputs that are quantized;
`model.encode(x)` their signs as `{-1, +1}` int8 codes (Hamming codes, not the quantization);
the quantization codes, `(N, M)` codeword indices, by `model.quantize_outputs(model.predict(x))`
or `model.encode_quantized(x)` (outputs, codes, reconstructions), and the codebook by
`model.quantizer.get_codebook()`; `quantize_sets` encodes a whole query and database set as
the evaluation does.

Departures from the originals (each an explicit choice, with the setting that restores it):
- DQN/DVSQ evaluate with the trained codebook, not a random one (`random_codebook_eval=True`
  reproduces the original's bug: `DQN.load_model` ignores the saved `'C'`);
- DQN's R is the dataset's (cifar10 54000, nuswide_81/coco 5000, fashion_mnist the whole
  database), not the script's `R: 5`, most likely a typo for 5000 (`original_r=True`);
- DQN's evaluation runs (the original script's `validation` call crashes before it); coco has a
  label width; a code update does not cut the current data epoch short;
- DVSQ's `paper_loss=True` sums the ranking hinge over negative labels only (the paper);
- DTQ's `decay_factor` is a float (declared `int` there, so `0.5` was refused); `finetune_all`
  parses true/false; `data_dir` is user-expanded; `log_dir` is not deleted;
- DTQ's validation fits its database codebook into a copy, so the training codebook is no longer
  overwritten (`DTQ.validation` re-fits `self.C`; `val_overwrites_codebook=True` restores it);
- DTQ's embedding refresh covers every training sample (the original leaves `n mod 3T` stale);
  an anchor with no negative in its group is skipped and zero triplets raise (the original
  crashes);
- DTQ runs one `fit` per epoch (`fit_variable_epochs`), so that every re-mined epoch trains on
  all its batches;
- `trunk_cache`: the lower EfficientNet-Lite blocks frozen and cached (CPU path, a departure:
  the originals fine-tune every layer; leave it empty to train the whole network). Blocks
  `train_from` on and the hash layer are fine-tuned on the cached maps (DQN and DVSQ on indexed
  batches, DTQ on triplets mined from them; `keras_hashing.recipes.deephash.cached`), and
  `<run name>.images.keras` beside the model encodes RGB images.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from typing import TYPE_CHECKING
from typing import Any

import keras
import numpy as np

from keras_hashing.metrics.report import QUANTIZED_REPORT_KEYS
from keras_hashing.recipes.base import Recipe
from keras_hashing.recipes.deephash import cached
from keras_hashing.recipes.deephash import common

if TYPE_CHECKING:
    from keras_hashing.callbacks.quantization import TripletQuantizationUpdate
    from keras_hashing.recipes.deephash.cached import CachedTrunkData

# DTQ's `validation` keys (thulab/DeepHash DeepHash/model/dtq/dtq.py).
DTQ_REPORT_KEYS = ("map_feature_ip", "map_AQD_ip", "map_SQD_ip")
# The repository holding `data/glove/` (an editable install or a source checkout).
REPOSITORY_ROOT = os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
)
FASHION_MNIST_GLOVE = os.path.join(REPOSITORY_ROOT, "data", "glove", "fashion_mnist_glove.txt")


@dataclasses.dataclass
class QuantizerData:
    """Training inputs addressable by index (the per-sample codes need it), and the evaluation.

    Attributes:
        name: the dataset name.
        input_kind: "gray28" (Fashion-MNIST, float32 `(28, 28, 1)`) or "caffe256" (list-file
            images, uint8 256x256 BGR).
        num_labels: the label width.
        train_inputs: a NumPy array, or an `ImageListDataset` (list files).
        train_labels: float32 `(num_train, L)`.
        query, database: NumPy arrays (Fashion-MNIST) or `tf.data` input pipelines.
        query_labels, database_labels: float32 label matrices.
        top_k: the R of mAP@R.
        class_names: the label names, or None (list files).
    """

    name: str
    input_kind: str
    num_labels: int
    train_inputs: Any
    train_labels: np.ndarray
    query: Any
    query_labels: np.ndarray
    database: Any
    database_labels: np.ndarray
    top_k: int
    class_names: list | None = None

    @property
    def num_train(self) -> int:
        return len(self.train_labels)

    @property
    def input_shape(self) -> tuple:
        """The shape of one training input."""
        if isinstance(self.train_inputs, np.ndarray):
            return tuple(self.train_inputs.shape[1:])
        return tuple(np.asarray(self.train_inputs.load(0)).shape)

    def limited(self, train_limit: int = 0, eval_limit: int = 0) -> QuantizerData:
        """Evenly spaced subsets for a quick run (the splits are class-ordered).

        `train_limit` training items; `eval_limit` queries and `4 * eval_limit` database items
        (in-memory datasets only). 0 keeps everything.
        """
        data = dataclasses.replace(self)
        if train_limit:
            if not isinstance(self.train_inputs, np.ndarray):
                raise ValueError(
                    f"--train-limit works on in-memory datasets such as fashion_mnist; "
                    f"{self.name} reads its training images from a list file."
                )
            keep = _evenly_spaced(len(self.train_labels), train_limit)
            data.train_inputs, data.train_labels = self.train_inputs[keep], self.train_labels[keep]
        if eval_limit and isinstance(self.query, np.ndarray):
            keep = _evenly_spaced(len(self.query), eval_limit)
            data.query, data.query_labels = self.query[keep], self.query_labels[keep]
            keep = _evenly_spaced(len(self.database), 4 * int(eval_limit))
            data.database = self.database[keep]
            data.database_labels = self.database_labels[keep]
            data.top_k = min(self.top_k, len(data.database))
        return data


def _evenly_spaced(total: int, count: int) -> np.ndarray:
    return np.linspace(0, total - 1, int(count)).astype(np.int64)


def load_quantizer_data(
    dataset: str,
    data_dir: str | None = None,
    val_batch_size: int = 100,
    seed: int | None = 0,
    on_bad_image: str = "raise",
    validation: int | None = None,
) -> QuantizerData:
    """The dataset `dataset` as the quantizer scripts read it.

    Fashion-MNIST is the benchmark-protocol split (5 000 train, 1 000 query, 69 000 database)
    in memory, R the whole database. A DeepHash list-file dataset serves its training images
    by index from `<data_dir>/<dataset>/train.txt` and its query and database sets as
    `load_retrieval_data` does, with the original's R.

    Args:
        dataset: "fashion_mnist" or a DeepHash list-file dataset (cifar10, nuswide_81, coco).
        data_dir: the IDX folder (None: the default one) or the list-file root.
        val_batch_size: images per batch of the list-file query and database passes.
        seed: the shuffling seed of the list-file pipelines.
        on_bad_image: "raise" or "skip", for a missing or unreadable list-file image.
        validation: Fashion-MNIST only: hold this many training images out as the queries,
            searched in the protocol database less them (tuning without the query set).

    Returns:
        A `QuantizerData`.
    """
    if dataset == "fashion_mnist":
        from keras_hashing.data.fashion_mnist import load_fashion_mnist
        from keras_hashing.data.pipelines import fashion_mnist_inputs

        split = load_fashion_mnist(data_dir)
        if validation:
            split = split.validation_split(int(validation), seed=0, database="database")
        return QuantizerData(
            name=dataset,
            input_kind="gray28",
            num_labels=split.train_labels.shape[1],
            train_inputs=fashion_mnist_inputs(split.train_images),
            train_labels=np.asarray(split.train_labels, np.float32),
            query=fashion_mnist_inputs(split.query_images),
            query_labels=np.asarray(split.query_labels, np.float32),
            database=fashion_mnist_inputs(split.database_images),
            database_labels=np.asarray(split.database_labels, np.float32),
            top_k=len(split.database_images),
            class_names=list(split.class_names),
        )
    from keras_hashing.data import ImageListDataset
    from keras_hashing.data.registry import load_retrieval_data

    retrieval = load_retrieval_data(
        dataset,
        data_dir=data_dir,
        batch_size=1,
        val_batch_size=val_batch_size,
        seed=seed,
        on_error=on_bad_image,
    )
    root = os.path.join(data_dir, dataset)
    train = ImageListDataset(
        os.path.join(root, "train.txt"),
        data_root=root,
        num_labels=retrieval.num_labels,
        on_error=on_bad_image,
    )
    return QuantizerData(
        name=dataset,
        input_kind="caffe256",
        num_labels=retrieval.num_labels,
        train_inputs=train,
        train_labels=train.labels.astype(np.float32),
        query=retrieval.query,
        query_labels=np.asarray(retrieval.query_labels, np.float32),
        database=retrieval.database,
        database_labels=np.asarray(retrieval.database_labels, np.float32),
        top_k=retrieval.top_k,
    )


@dataclasses.dataclass
class QuantizedSets:
    """The query and database sets as a trained quantizer encodes them (`quantize_sets`).

    Attributes:
        query_outputs, database_outputs: the real outputs.
        query_codes, database_codes: int64 `(N, M)` codeword indices.
        query_reconstructions, database_reconstructions: `B C`, the quantized vectors.
        codebook: the `(M*K, D)` codebook they were encoded with.
        encode_images_per_s: database images encoded per second.
    """

    query_outputs: np.ndarray
    database_outputs: np.ndarray
    query_codes: np.ndarray
    database_codes: np.ndarray
    query_reconstructions: np.ndarray
    database_reconstructions: np.ndarray
    codebook: np.ndarray
    encode_images_per_s: float

    def report(self, data: QuantizerData, top_k: int, keys=QUANTIZED_REPORT_KEYS) -> dict:
        """mAP@R by feature, AQD and SQD (`keras_hashing.metrics.quantized_report`)."""
        from keras_hashing.metrics import quantized_report

        return quantized_report(
            self.query_outputs,
            self.query_codes,
            self.database_outputs,
            self.database_codes,
            self.codebook,
            data.query_labels,
            data.database_labels,
            top_k,
            keys=keys,
        )

    def save(self, path: str, data: QuantizerData) -> None:
        """The original's `_codes.npy` content (features, reconstructions, labels, codes) as an
        `.npz` (thulab/DeepHash DeepHash/model/dqn/dqn.py, `validation`)."""
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        np.savez(
            path,
            db_features=self.database_outputs,
            db_reconstr=self.database_reconstructions,
            db_label=data.database_labels,
            val_features=self.query_outputs,
            val_reconstr=self.query_reconstructions,
            val_label=data.query_labels,
            db_codes=self.database_codes,
            val_codes=self.query_codes,
        )


def quantize_sets(
    model,
    data: QuantizerData,
    codebook: np.ndarray | None = None,
    seed: int = 0,
    database_codebook_fit: bool = False,
    max_iter_update_cb: int = 1,
    verbose: int = 0,
) -> QuantizedSets:
    """Encodes the query and database sets with ICM codes, as `MAPs_CQ` evaluates them.

    thulab/DeepHash DeepHash/model/dqn/dqn.py, `validation`: the outputs of both sets, their
    ICM codes against the codebook (one generator seeded by `seed`, database first), and their
    reconstructions.

    Args:
        model: a trained `QuantizationModel` (DQN, DVSQ, DTQ).
        data: the `QuantizerData` (its `query` and `database`).
        codebook: optional codebook to encode with (default the model's; DQN's
            `random_codebook_eval` passes a random one, as the original evaluates).
        seed: seeds ICM's codebook order.
        database_codebook_fit: DTQ's validation (DeepHash/model/dtq/dtq.py, `validation`):
            fit k-means and `max_iter_update_cb` rounds of (ICM, least squares) on the database
            outputs into a new codebook; the model's is left unchanged.
        max_iter_update_cb: rounds of that fit.
        verbose: 1 shows ICM progress bars.

    Returns:
        A `QuantizedSets`.
    """
    from keras_hashing.quantization import icm_codes
    from keras_hashing.quantization import kmeans_init_codebook
    from keras_hashing.quantization import least_squares_codebook

    query_outputs, database_outputs, seconds = common.encode(model, data)
    rng = np.random.default_rng(seed)
    M, K = model.num_codebooks, model.num_codewords

    def codes_of(outputs, codebook):
        return icm_codes(
            outputs,
            codebook,
            M,
            K,
            model.max_iter_update_b,
            model.code_batch_size,
            rng=rng,
            label_embeddings=model.label_embeddings_for_icm(),
            verbose=verbose,
        )

    if database_codebook_fit:
        codebook = kmeans_init_codebook(database_outputs, M, K, seed=seed).astype(np.float32)
        for _ in range(max_iter_update_cb):
            codes = codes_of(database_outputs, codebook)
            codebook = least_squares_codebook(database_outputs, codes, codebook, M, K)
    if codebook is None:
        codebook = model.quantizer.get_codebook()
    codebook = np.asarray(codebook, np.float32)
    database_codes = codes_of(database_outputs, codebook)
    query_codes = codes_of(query_outputs, codebook)
    return QuantizedSets(
        query_outputs=query_outputs,
        database_outputs=database_outputs,
        query_codes=query_codes,
        database_codes=database_codes,
        query_reconstructions=model.quantizer.reconstruct_numpy(query_codes, codebook),
        database_reconstructions=model.quantizer.reconstruct_numpy(database_codes, codebook),
        codebook=codebook,
        encode_images_per_s=len(database_outputs) / max(seconds, 1e-9),
    )


def before_summaries(callbacks: list, extra: list) -> list:
    """`extra` placed before TensorBoard, so that the summaries hold what `extra` logs."""
    at = next(
        (i for i, c in enumerate(callbacks) if isinstance(c, keras.callbacks.TensorBoard)),
        len(callbacks),
    )
    return callbacks[:at] + list(extra) + callbacks[at:]


class QuantizerRecipe(Recipe):
    """What DQN, DVSQ and DTQ share: the data, the backbone, the evaluation and the files.

    Steps, as the other DeepHash recipes name them: `load_data()`, `build_model(data)`,
    `train(data, model=None, callbacks=())`, `load_model(data)` (the `.keras` file of
    `evaluate=True`), `evaluate(model, data)`; `run()` chains them. Subclasses name their
    settings for the GPUs, data folder, codebooks and codewords (the originals spell them
    differently) and define `model_class_and_arguments`, `fit` and `evaluate`.
    """

    model_name = ""
    gpu_setting, data_dir_setting = "gpu", "data_root"
    codebooks_setting, codewords_setting = "subspace_num", "num_codewords"
    # On the cached path: whether `fit` trains on the cache's indexed batches (DQN, DVSQ) or
    # reads the maps by index itself (DTQ's triplets).
    cached_training_batches = True

    def setting(self, name: str):
        return getattr(self.config, name)

    def settings(self) -> dict:
        # The cached path's settings count only when it is on (whole-network names unchanged).
        return cached.without_unused_settings(super().settings())

    def visible_gpus(self) -> str:
        return str(self.setting(self.gpu_setting))

    def data_dir(self) -> str | None:
        """The dataset folder: the user-expanded setting, or None for Fashion-MNIST's default."""
        return common.fashion_mnist_data_dir(
            self.config.dataset, self.setting(self.data_dir_setting)
        )

    def run_dir(self) -> str:
        """`<save_dir>/<run name>`: the run's backup."""
        return os.path.join(self.config.save_dir, self.run_name())

    def model_path(self) -> str:
        """`<save_dir>/<run name>.keras`, the trained model `train` writes."""
        return os.path.join(self.config.save_dir, self.run_name() + ".keras")

    def codes_path(self) -> str:
        """`<save_dir>/<run name>_codes.npz`, the codes `evaluate` writes."""
        return os.path.join(self.config.save_dir, self.run_name() + "_codes.npz")

    def load_data(self) -> QuantizerData | CachedTrunkData:
        """Seeds Keras and loads the dataset, cut to `train_limit` / `eval_limit` when set; with
        `trunk_cache`, the cached maps of its list files (`cached.load_cached_data`, built on
        first use)."""
        keras.utils.set_random_seed(self.config.seed)
        cached.refuse_validation_without_cache(self.config)
        if self.config.trunk_cache:
            if self.config.train_limit:
                raise ValueError(
                    "--train-limit works on in-memory datasets such as fashion_mnist; "
                    "trunk_cache caches the whole training list."
                )
            batch_size = self.config.batch_size if self.cached_training_batches else None
            return cached.load_cached_data(
                self.config,
                self.setting(self.data_dir_setting),
                batch_size=batch_size,
                with_indices=True,
            )
        data = load_quantizer_data(
            self.config.dataset,
            self.data_dir(),
            self.config.val_batch_size,
            self.config.seed,
            on_bad_image=self.config.on_bad_image,
        )
        return data.limited(self.config.train_limit, self.config.eval_limit)

    def model_class_and_arguments(self, data: QuantizerData) -> tuple:
        """`(model class, positional arguments after the backbone, keyword arguments)`."""
        raise NotImplementedError

    def build_model(self, data: QuantizerData) -> keras.Model:
        """The quantizer on the `img_model` backbone (with the original's `.npy` weights, fc8 and
        codebook included when the file has them); the backbone frozen unless `finetune_all`.
        With `trunk_cache`, the backbone is the upper blocks of the cached EfficientNet-Lite."""
        config = self.config
        parts = common.backbone_parts(config, data)
        model_class, args, kwargs = self.model_class_and_arguments(data)
        model = model_class(
            parts.backbone,
            *args,
            num_train=data.num_train,
            num_codebooks=self.setting(self.codebooks_setting),
            num_codewords=self.setting(self.codewords_setting),
            cq_lambda=config.cq_lambda,
            max_iter_update_b=config.max_iter_update_b,
            code_batch_size=config.code_batch_size,
            preprocessor=parts.preprocessor,
            name=self.model_name,
            **kwargs,
        )
        common.load_deephash_file(model, parts.deephash_weights, data.input_shape)
        if not config.finetune_all:
            model.backbone.trainable = False
        return model

    def load_model(self, data: QuantizerData) -> keras.Model:
        """The `.keras` model `model_weights` names (the scripts' `-e`)."""
        return keras.models.load_model(self.config.model_weights)

    def training_callbacks(self, extra: list, iter_num: int | None = None) -> list:
        """Resume, NaN guard, step budget, the method's `extra` callbacks, TensorBoard."""
        return before_summaries(
            common.training_callbacks(
                self.run_dir(), self.config.log_dir, self.run_name(), iter_num, self.run_settings()
            ),
            extra,
        )

    def train(self, model: keras.Model, data: QuantizerData, callbacks=()) -> keras.Model:
        """Trains (resuming a stopped run) and writes the model files.

        Args:
            model: the model to train (`build_model(data)`).
            data: the `QuantizerData` of `load_data()`.
            callbacks: optional extra Keras callbacks.

        Returns:
            The trained model, also written to `model_path()` (and, for AlexNet on list
            files, the original's `.npy` with the codebook `'C'` beside it; with
            `trunk_cache`, the image model `<run name>.images.keras`).
        """
        model.build((None,) + data.input_shape)
        self.fit(model, data, list(callbacks))
        alexnet = self.config.img_model == "alexnet" and data.input_kind == "caffe256"
        common.save_trained_model(
            model,
            self.config.save_dir,
            self.run_name(),
            alexnet,
            trunk=cached.trunk_of(data),
        )
        return model

    def final_report(self, model: keras.Model, data: QuantizerData) -> dict | None:
        """The figures `run()` returns after training: `evaluate(model, data)`."""
        return self.evaluate(model, data)

    def run(self) -> dict | None:
        """The whole script: data, model (trained, or loaded with `evaluate`), report, files.

        Returns:
            The report under the original's keys.
        """
        # As the scripts always have: an environment that already chose the GPUs wins.
        os.environ.setdefault("CUDA_VISIBLE_DEVICES", self.visible_gpus())
        os.makedirs(self.config.save_dir, exist_ok=True)
        data = self.load_data()
        if self.config.evaluate:
            return self.evaluate(self.load_model(data), data)
        return self.final_report(self.train(self.build_model(data), data), data)


class _IterationQuantizerRecipe(QuantizerRecipe):
    """DQN and DVSQ: `iter_num` steps of index-carrying batches, a code update every epoch."""

    def file_stem(self) -> str:
        """`train_val_script.py`'s `lr_{lr}_cqlambda_{q}_subspace_num_{M}_dataset_{ds}`."""
        c = self.config
        return f"lr_{c.lr}_cqlambda_{c.cq_lambda}_subspace_num_{c.subspace_num}_dataset_{c.dataset}"

    def fit(self, model: keras.Model, data: QuantizerData, callbacks: list) -> None:
        """`iter_num` steps with the codes and codebook refitted every data epoch
        (thulab/DeepHash DeepHash/model/dqn/dqn.py, `train`)."""
        from keras_hashing.callbacks import CodebookUpdate
        from keras_hashing.callbacks import update_period
        from keras_hashing.data import indexed_dataset

        config = self.config
        model.compile(optimizer=common.deephash_optimizer_for(config))
        update = CodebookUpdate(
            update_period(data.num_train, config.batch_size),
            config.max_iter_update_cb,
            seed=config.seed,
        )
        if config.trunk_cache:
            train = data.train  # the cached maps, one random view per item per epoch
        else:
            train = indexed_dataset(
                data.train_inputs, data.train_labels, config.batch_size, shuffle_seed=config.seed
            )
        common.fit_iterations(
            model,
            train,
            data.num_train,
            config.batch_size,
            config.iter_num,
            self.training_callbacks([update, *callbacks], config.iter_num),
        )

    def top_k(self, data: QuantizerData) -> int:
        return data.top_k

    def random_codebook(self, model: keras.Model) -> np.ndarray:
        """A uniform(-1, 1) codebook, the one the original evaluates with."""
        shape = (model.num_codebooks * model.num_codewords, model.code_length)
        return np.random.default_rng(self.config.seed).uniform(-1, 1, shape).astype(np.float32)

    def evaluate(self, model: keras.Model, data: QuantizerData) -> dict:
        """`MAPs_CQ` (by feature, AQD, SQD) under the original's keys; writes the codes file and
        prints the report and the encoding speed."""
        codebook = self.random_codebook(model) if self.config.random_codebook_eval else None
        sets = quantize_sets(model, data, codebook=codebook, seed=self.config.seed)
        report = sets.report(data, self.top_k(data))
        sets.save(self.codes_path(), data)
        print(report)
        print(f"encode_images_per_s: {sets.encode_images_per_s:.1f}")
        return report


@dataclasses.dataclass
class IterationQuantizerConfig:
    """The flags DQN's and DVSQ's scripts share (thulab/DeepHash `train_val.sh`)."""

    lr: float = 0.002
    output_dim: int = 300
    iter_num: int = 5000
    cq_lambda: float = 0.0001
    subspace_num: int = 4
    dataset: str = "cifar10"
    gpu: str = "0"
    log_dir: str = "tflog"
    data_root: str = "~/data/"
    num_codewords: int = 256
    batch_size: int = 256
    val_batch_size: int = 100
    decay_step: int = 500
    decay_factor: float = 0.5
    lr_schedule: str = "step"
    max_iter_update_b: int = 3
    max_iter_update_cb: int = 1
    code_batch_size: int = 500
    img_model: str = "alexnet"
    model_weights: str = "pretrained/reference_pretrain.npy"
    finetune_all: bool = True
    save_dir: str = "./models/"
    evaluate: bool = False
    random_codebook_eval: bool = False
    seed: int = 0
    on_bad_image: str = "raise"
    train_limit: int = 0
    eval_limit: int = 0
    trunk_cache: str = ""
    train_from: int = 15
    train_views: int = 3
    validation: bool = False


@dataclasses.dataclass
class DQNConfig(IterationQuantizerConfig):
    """The flags of examples/dqn/train_val_script.py (thulab/DeepHash `train_val.sh`)."""

    original_r: bool = False


# The pretrained SmallCNN of benchmarks/pretrain_small_cnn.py, the stand-in for ImageNet AlexNet.
SMALL_CNN_WEIGHTS = "small_cnn.weights.h5"


class DQNRecipe(_IterationQuantizerRecipe):
    """Deep Quantization Network, as thulab/DeepHash examples/dqn/train_val_script.py runs it.

    Presets: "fashion_mnist" (the README's command: 32-d outputs, 1 000 steps) and
    "fashion_mnist_pretrained" (the README's table: the SmallCNN pretrained by
    benchmarks/pretrain_small_cnn.py, 2 000 steps, 4 codebooks = 32 bits).

    Example:
    >>> DQNRecipe.preset("fashion_mnist").config.output_dim
    32
    >>> DQNRecipe(dataset="fashion_mnist").run_name()[:49]
    'lr_0.002_cqlambda_0.0001_subspace_num_4_dataset_f'
    """

    config_class = DQNConfig
    presets = {
        "fashion_mnist": {"dataset": "fashion_mnist", "output_dim": 32, "iter_num": 1000},
        "fashion_mnist_pretrained": {
            "dataset": "fashion_mnist",
            "iter_num": 2000,
            "model_weights": SMALL_CNN_WEIGHTS,
        },
    }
    model_name = "dqn"

    def model_class_and_arguments(self, data: QuantizerData) -> tuple:
        from keras_hashing.models import DQN

        return DQN, (self.config.output_dim,), {"num_labels": data.num_labels}

    def top_k(self, data: QuantizerData) -> int:
        return 5 if self.config.original_r else data.top_k


@dataclasses.dataclass
class DVSQConfig(IterationQuantizerConfig):
    """The flags of examples/dvsq/train_val_script.py (thulab/DeepHash `train_val.sh`)."""

    lr: float = 0.02
    loss_type: str = "cos_softmargin_multi_label"
    margin_param: float = 0.7
    paper_loss: bool = False
    wordvec: str | None = None
    wordvec_format: str = "deephash"
    label_names: list | None = None
    on_missing_word: str = "raise"


class DVSQRecipe(_IterationQuantizerRecipe):
    """Deep Visual-Semantic Quantization, as thulab/DeepHash examples/dvsq runs it.

    The label word vectors: `wordvec` (default `<data_root>/<dataset>_wordvec.txt`, the
    original's file), or a word2vec/GloVe file (`wordvec_format`) looked up by label name
    (`label_names`, default the dataset's class names). For fashion_mnist the default is GloVe
    6B 50-d written by data/glove/prepare_glove.py, so `output_dim` must be 50 (the original
    asserts output_dim == the word-vector dimension).

    Presets: "fashion_mnist" (50-d, 2 codebooks, 1 000 steps) and "fashion_mnist_pretrained"
    (the README's table: the pretrained SmallCNN, 2 000 steps, 4 codebooks = 32 bits).

    Example:
    >>> DVSQRecipe.preset("fashion_mnist").config.output_dim
    50
    """

    config_class = DVSQConfig
    presets = {
        "fashion_mnist": {
            "dataset": "fashion_mnist",
            "output_dim": 50,
            "iter_num": 1000,
            "subspace_num": 2,
        },
        "fashion_mnist_pretrained": {
            "dataset": "fashion_mnist",
            "output_dim": 50,
            "iter_num": 2000,
            "model_weights": SMALL_CNN_WEIGHTS,
        },
    }
    model_name = "dvsq"

    def word_vectors(self, data: QuantizerData) -> np.ndarray:
        """The `(L, d)` label word vectors the settings name (see the class docstring)."""
        from keras_hashing.data import label_embeddings
        from keras_hashing.data import load_deephash_wordvec

        config = self.config
        path, file_format = config.wordvec, config.wordvec_format
        if path is None and config.dataset == "fashion_mnist":
            path, file_format = FASHION_MNIST_GLOVE, "glove"
            if not os.path.exists(path):
                script = os.path.join(REPOSITORY_ROOT, "data", "glove", "prepare_glove.py")
                words = ["--words", *data.class_names, "--out", path]
                subprocess.run([sys.executable, script, *words], check=True)
        if path is None:
            path = os.path.join(
                os.path.expanduser(config.data_root), f"{config.dataset}_wordvec.txt"
            )
        if file_format == "deephash":
            return load_deephash_wordvec(path)
        names = config.label_names or data.class_names
        if not names:
            raise ValueError("--label-names is needed to look up word vectors for this dataset.")
        return label_embeddings(
            names,
            path,
            file_format="glove" if file_format == "glove" else "word2vec",
            binary=file_format == "word2vec-binary",
            on_missing=config.on_missing_word,
        )

    def model_class_and_arguments(self, data: QuantizerData) -> tuple:
        from keras_hashing.models import DVSQ

        config = self.config
        vectors = self.word_vectors(data)
        if config.output_dim != vectors.shape[1]:
            raise ValueError(
                f"output_dim {config.output_dim} must equal the word-vector dimension "
                f"{vectors.shape[1]} (the original asserts it)."
            )
        return (
            DVSQ,
            (vectors,),
            {
                "code_length": config.output_dim,
                "loss_type": config.loss_type,
                "margin": config.margin_param,
                "negatives_only": config.paper_loss,
            },
        )


@dataclasses.dataclass
class DTQConfig:
    """The flags of examples/dtq/train_val_script.py (thulab/DeepHash examples/dtq)."""

    lr: float = 3e-5
    triplet_margin: float = 30.0
    select_strategy: str = "margin"
    output_dim: int = 64
    epochs: int = 100
    cq_lambda: float = 0.0
    subspace: int = 4
    subcenter: int = 256
    dataset: str = "cifar10"
    gpus: str = "0"
    log_dir: str = "tflog"
    dist_type: str = "euclidean2"
    batch_size: int = 128
    val_batch_size: int = 16
    decay_step: int = 10000
    decay_factor: float = 0.1
    with_tanh: bool = True
    img_model: str = "alexnet"
    model_weights: str = "pretrained/reference_pretrain.npy"
    finetune_all: bool = True
    max_iter_update_b: int = 3
    max_iter_update_cb: int = 1
    code_batch_size: int = 500
    n_part: int = 20
    triplet_thresold: int = 64000
    save_dir: str = "./models/"
    data_dir: str = "~/data/"
    evaluate: bool = False
    val_freq: int = 1
    val_overwrites_codebook: bool = False
    seed: int = 0
    on_bad_image: str = "raise"
    train_limit: int = 0
    eval_limit: int = 0
    trunk_cache: str = ""
    train_from: int = 15
    train_views: int = 3
    validation: bool = False


class DTQValidation(keras.callbacks.Callback):
    """DTQ's validation every `val_freq` epochs and after the last, its figures in the logs.

    The epoch's code and codebook update runs first, as the original orders them
    (thulab/DeepHash DeepHash/model/dtq/dtq.py, `train`). `report` holds the last figures.
    """

    def __init__(self, recipe: DTQRecipe, data: QuantizerData, update: TripletQuantizationUpdate):
        super().__init__()
        self.recipe, self.data, self.update = recipe, data, update
        self.report = None

    def on_epoch_end(self, epoch, logs=None):
        config = self.recipe.config
        if (epoch + 1) % config.val_freq == 0 or epoch + 1 == config.epochs:
            self.update._catch_up(epoch + 1)
            self.report = self.recipe.evaluate(self.model, self.data)
            if logs is not None:
                logs.update(self.report)


class DTQRecipe(QuantizerRecipe):
    """Deep Triplet Quantization, as thulab/DeepHash examples/dtq/train_val_script.py runs it.

    Triplets are re-mined every epoch, so the epoch length changes; training runs one `fit`
    per epoch (`fit_variable_epochs`). `run()` returns the last validation's figures (no
    separate final validation, as the original).

    Presets: "fashion_mnist" (the README's command: 32-d outputs, 5 epochs) and
    "fashion_mnist_pretrained" (the README's table: the pretrained SmallCNN, 2 epochs).

    Example:
    >>> DTQRecipe.preset("fashion_mnist").config.epochs
    5
    """

    config_class = DTQConfig
    presets = {
        "fashion_mnist": {"dataset": "fashion_mnist", "output_dim": 32, "epochs": 5},
        "fashion_mnist_pretrained": {
            "dataset": "fashion_mnist",
            "epochs": 2,
            "model_weights": SMALL_CNN_WEIGHTS,
        },
    }
    model_name = "dtq"
    gpu_setting, data_dir_setting = "gpus", "data_dir"
    cached_training_batches = False  # triplets are mined from `train_inputs` each epoch
    codebooks_setting, codewords_setting = "subspace", "subcenter"

    def settings(self) -> dict:
        # The run name's digest has always been taken over the user-expanded data folder.
        settings = super().settings()
        settings["data_dir"] = os.path.expanduser(settings["data_dir"])
        return settings

    def file_stem(self) -> str:
        c = self.config
        return (
            f"lr_{c.lr}_margin_{c.triplet_margin}_{c.select_strategy}_dim_{c.output_dim}"
            f"_subspace_{c.subspace}_subcenter_{c.subcenter}_{c.dist_type}"
            f"_n_part_{c.n_part}_{c.triplet_thresold}_ds_{c.dataset}"
        )

    def model_class_and_arguments(self, data: QuantizerData) -> tuple:
        from keras_hashing.models import DTQ

        config = self.config
        kwargs = {
            "triplet_margin": config.triplet_margin,
            "dist_type": config.dist_type,
            "with_tanh": config.with_tanh,
            "num_labels": data.num_labels,
        }
        return DTQ, (config.output_dim,), kwargs

    def evaluate(self, model: keras.Model, data: QuantizerData) -> dict:
        """DTQ's `validation`: a codebook fitted on the database outputs, `MAPs_CQ` under the
        original's keys (`map_feature_ip`, `map_AQD_ip`, `map_SQD_ip`); writes the codes file,
        prints the report. `val_overwrites_codebook` puts that codebook into the model."""
        sets = quantize_sets(
            model,
            data,
            seed=self.config.seed,
            database_codebook_fit=True,
            max_iter_update_cb=self.config.max_iter_update_cb,
        )
        report = sets.report(data, data.top_k, keys=DTQ_REPORT_KEYS)
        if self.config.val_overwrites_codebook:
            model.quantizer.set_codebook(sets.codebook)
        sets.save(self.codes_path(), data)
        print(report)
        return report

    def fit(self, model: keras.Model, data: QuantizerData, callbacks: list) -> None:
        """`epochs` epochs of re-mined triplets, validated every `val_freq` epochs (the last
        report in `self.validation.report`); thulab/DeepHash DeepHash/model/dtq/dtq.py,
        `train`."""
        from keras_hashing.callbacks import TripletQuantizationUpdate
        from keras_hashing.data import TripletSampler
        from keras_hashing.data import triplet_dataset
        from keras_hashing.optimizers import deephash_optimizer
        from keras_hashing.recipes.fitting import fit_variable_epochs

        config = self.config
        model.compile(
            optimizer=deephash_optimizer(config.lr, config.decay_step, config.decay_factor)
        )
        sampler = TripletSampler(
            data.train_inputs,
            data.train_labels,
            config.batch_size,
            margin=config.triplet_margin,
            strategy=config.select_strategy,
            n_part=config.n_part,
            threshold=config.triplet_thresold,
            seed=config.seed,
        )
        update = TripletQuantizationUpdate(sampler, config.max_iter_update_cb, seed=config.seed)
        self.validation = DTQValidation(self, data, update)
        fit_variable_epochs(
            model,
            triplet_dataset(sampler),
            config.epochs,
            self.training_callbacks([update, self.validation, *callbacks]),
            verbose=2,
        )

    def final_report(self, model: keras.Model, data: QuantizerData) -> dict | None:
        """The last validation's figures: no separate final validation, as the original. A run
        that resumed with every epoch already trained (stopped during its last validation)
        validated nothing in this process, so it validates once now."""
        if self.validation.report is None:
            return self.evaluate(model, data)
        return self.validation.report
