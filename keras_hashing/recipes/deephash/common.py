"""What the five thulab/DeepHash recipes (DCH, DHN, DQN, DVSQ, DTQ) share.

Every DeepHash script (thulab/DeepHash examples/<method>/train_val_script.py) does the same
around its model: it reads a dataset by name, puts an AlexNet started from
`reference_pretrain.npy` in front of the hash layer, trains it with TF1 momentum on a staircase
schedule for `iter_num` steps, and reports retrieval figures. These functions are those steps,
each taking plain settings, so that every recipe wires them the same way:

- `deephash_optimizer_for(config)`: the optimiser from `lr`, `decay_step`, `decay_factor`,
  `lr_schedule`, `iter_num`;
- `fashion_mnist_data_dir` and `load_data`: the dataset by name (`fashion_mnist`, list files,
  `tfds:<name>`);
- `image_parts` and `load_deephash_file`: the `img_model` backbone, its preprocessor and the
  original's `.npy` weights; `backbone_parts` the same, or with `trunk_cache` the upper blocks
  of the cached EfficientNet-Lite (`keras_hashing.recipes.deephash.cached`, the CPU path);
- `training_callbacks`, `fit_iterations`, `save_trained_model`: resumable training on a step
  budget, and the files it leaves (with a cached trunk, the image model too);
- `encode` and `retrieval_report`: the outputs of the query and database sets, and the
  original's `MAPs` figures.

Nothing here imports TensorFlow at module level: a recipe imports without it, and `--gpus` is
applied before TensorFlow starts.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import time
from typing import Any

import keras

# What the scripts' `--data-dir` / `data_root` default to, or say for "the default folder":
# with `fashion_mnist` each means the library's own rule (`FASHION_MNIST_DIR`, else the Debian
# dataset-fashion-mnist folder), since Fashion-MNIST does not live under `~/data/`.
DEFAULT_DATA_DIRS = ("~/data/", "-", "", "default")


def deephash_optimizer_for(config: Any) -> keras.optimizers.Optimizer:
    """TF1 momentum with the DeepHash gradient multipliers, on the schedule the settings name.

    thulab/DeepHash DeepHash/model/dch/dch.py, `apply_loss_function`: a staircase
    `lr * decay_factor ** floor(step / decay_step)`; `lr_schedule="cosine"` (not in the
    originals) is a half cosine from `lr` to 0 over `iter_num` steps.

    Args:
        config: any object with `lr`, `decay_step`, `decay_factor` and `iter_num` attributes
            (a recipe's config, or parsed flags); `lr_schedule` defaults to "step".

    Returns:
        A compiled-ready `TF1Momentum` optimiser.

    Example:
    >>> import types
    >>> settings = types.SimpleNamespace(
    ...     lr=0.005, decay_step=10000, decay_factor=0.1, iter_num=2000, lr_schedule="step")
    >>> deephash_optimizer_for(settings).get_config()["learning_rate"]["config"]["decay_steps"]
    10000
    """
    from keras_hashing.optimizers import deephash_optimizer

    return deephash_optimizer(
        config.lr,
        config.decay_step,
        config.decay_factor,
        schedule=getattr(config, "lr_schedule", "step"),
        total_steps=config.iter_num,
    )


def fashion_mnist_data_dir(dataset: str, data_dir: str | None) -> str | None:
    """The folder to read `dataset` from: `data_dir` user-expanded, or None for the default.

    A script's default `--data-dir ~/data/` (or `-`) holds DeepHash list files; with
    `fashion_mnist` it means "the library's default folder" (None).

    Example:
    >>> fashion_mnist_data_dir("fashion_mnist", "~/data/") is None
    True
    >>> fashion_mnist_data_dir("cifar10", "/data")
    '/data'
    """
    if data_dir is None:
        return None
    if dataset == "fashion_mnist" and data_dir in DEFAULT_DATA_DIRS:
        return None
    return os.path.expanduser(data_dir)


def load_data(
    dataset: str,
    data_dir: str | None,
    batch_size: int,
    val_batch_size: int,
    seed: int | None = None,
    on_bad_image: str = "raise",
):
    """A `RetrievalData` (train / query / database) by name, as the DeepHash scripts read it.

    Args:
        dataset: "fashion_mnist" (offline), a DeepHash list-file dataset (cifar10, nuswide_81,
            coco, ...), or "tfds:<name>".
        data_dir: the list-file root (`<data_dir>/<dataset>/{train,test,database}.txt`, or the
            lists directly in it), the Fashion-MNIST IDX folder, or a default (see
            `fashion_mnist_data_dir`).
        batch_size: training batch size.
        val_batch_size: batch size of the query and database passes.
        seed: shuffling seed.
        on_bad_image: "raise" or "skip" for a missing or unreadable list-file image.

    Returns:
        A `keras_hashing.data.registry.RetrievalData`.
    """
    from keras_hashing.data.registry import load_retrieval_data

    return load_retrieval_data(
        dataset,
        data_dir=fashion_mnist_data_dir(dataset, data_dir),
        batch_size=batch_size,
        val_batch_size=val_batch_size,
        seed=seed,
        on_error=on_bad_image,
    )


@dataclasses.dataclass
class ImageParts:
    """What `image_parts` chooses for `img_model`.

    Attributes:
        img_model: the image model used ("alexnet" becomes "small_cnn" on 28x28 images).
        backbone: the feature network.
        preprocessor: its preprocessing layer (crops, flips), or None.
        deephash_weights: the original's `.npy` file to load into the whole model once it is
            built (conv1..fc7, and fc8 / the codebook when the file has them), or None.
    """

    img_model: str
    backbone: Any
    preprocessor: Any
    deephash_weights: str | None


def alexnet_weights_file(model_weights: str | None) -> str | None:
    """The `.npy` dict `--model-weights` names for AlexNet, or None (random weights).

    Anything but a `.npy` path (`none`, a `.keras` model for `-e`) starts from random weights,
    as the scripts have always done.

    Raises:
        FileNotFoundError: the `.npy` file does not exist.
    """
    if not str(model_weights).endswith(".npy"):
        return None
    if not os.path.exists(model_weights):
        raise FileNotFoundError(
            f"--model-weights {model_weights} does not exist; see pretrained/README.md for "
            "reference_pretrain.npy, or pass --model-weights none to start from random weights."
        )
    return model_weights


def image_parts(
    img_model: str, model_weights: str | None, input_kind: str, seed: int | None = None
) -> ImageParts:
    """The backbone and preprocessor `--img-model` / `--model-weights` name, for the data.

    thulab/DeepHash DeepHash/architecture/__init__.py, `img_alexnet_layers`: CaffeNet on
    256x256 BGR images, randomly cropped to 227 and flipped in training and ten-cropped at test
    time (`CaffeCrop`). The port adds ImageNet EfficientNet-Lite on the same images, and SmallCNN
    on 28x28 Fashion-MNIST (`alexnet` becomes `small_cnn` there).

    Args:
        img_model: "alexnet", "efficientnet_lite0", "efficientnet_lite1" or "small_cnn".
        model_weights: AlexNet: a `.npy` dict (else random weights); EfficientNet-Lite: "none"
            for random weights, else ImageNet; SmallCNN: a `.weights.h5` file starts the
            Fashion-MNIST preset backbone (with its augmentation) from it.
        input_kind: the data's, "caffe256" (list files) or "gray28" (Fashion-MNIST).
        seed: seeds the training crops and flips.

    Returns:
        An `ImageParts`; load `deephash_weights` with `load_deephash_file` once the model exists.

    Raises:
        ValueError: the image model does not exist or does not fit the data.
        FileNotFoundError: a weights file that does not exist.
    """
    from keras_hashing.recipes.image_networks import efficientnet_parts
    from keras_hashing.recipes.image_networks import resolve_img_model
    from keras_hashing.recipes.image_networks import small_cnn_parts

    img_model = resolve_img_model(img_model, input_kind)
    if img_model == "small_cnn":
        return ImageParts(img_model, *small_cnn_parts(model_weights, seed), None)
    if img_model != "alexnet":
        return ImageParts(img_model, *efficientnet_parts(img_model, model_weights, seed), None)
    from keras_hashing.backbones import AlexNet
    from keras_hashing.layers import CaffeCrop

    weights = alexnet_weights_file(model_weights)
    return ImageParts(img_model, AlexNet(), CaffeCrop(seed=seed), weights)


def backbone_parts(config: Any, data: Any) -> ImageParts:
    """`image_parts` of the settings, or on the cached path the upper blocks to fine-tune.

    With `config.trunk_cache` set, `data` holds cached maps (`cached.load_cached_data`): the
    backbone is a copy of its trunk's upper part, with no preprocessor (the maps are already
    scaled) and no `.npy` file.

    Args:
        config: a DeepHash recipe's settings (`img_model`, `model_weights`, `seed`, and
            `trunk_cache` when it has one).
        data: what the recipe's `load_data` returned.

    Returns:
        An `ImageParts`.
    """
    if getattr(config, "trunk_cache", ""):
        from keras_hashing.recipes.deephash import cached

        return ImageParts(config.img_model, cached.upper_backbone(data), None, None)
    return image_parts(config.img_model, config.model_weights, data.input_kind, config.seed)


def load_deephash_file(model, path: str | None, input_shape: tuple | None = None):
    """Loads the original's `.npy` model file into `model` (nothing when `path` is None).

    Args:
        model: a `HashingModel` on an AlexNet backbone.
        path: the `.npy` dict: conv1..fc7, and fc8 (and a quantizer's codebook `'C'`) when the
            file has them (`HashingModel.load_deephash_weights`).
        input_shape: optional shape of one input, without the batch axis; the model is built
            on it first (a quantization model needs its codebook variable before loading).

    Returns:
        `model`.
    """
    if path:
        if input_shape is not None:
            model.build((None,) + tuple(input_shape))
        model.load_deephash_weights(path)
    return model


def training_callbacks(
    run_dir: str,
    log_dir: str,
    run_name: str,
    iter_num: int | None = None,
    settings: dict | None = None,
    evaluation: Any = None,
) -> list:
    """The callbacks every DeepHash recipe trains with.

    A non-finite loss stops the run; a backup under `<run_dir>/backup` resumes it (refusing
    another run's backup); `iter_num` steps end it; TensorBoard writes the original's summaries
    to `<log_dir>/<run_name>` (skipped, with a message, when TensorBoard is not installed).

    Args:
        run_dir: the run's folder; the backup goes in its `backup` sub-folder.
        log_dir: the TensorBoard root (`--log-dir`).
        run_name: the run's name (`Recipe.run_name()`).
        iter_num: optional int, stop after this many training steps.
        settings: the run settings the backup must match.
        evaluation: optional `(data, every_n_epochs, tie_break)`: a `RetrievalEvaluation` of
            the query set against the database every that many epochs, logged as `test_*`
            (to watch, never to choose on). Off when None or `every_n_epochs` is 0.

    Returns:
        A list of Keras callbacks.
    """
    from keras_hashing.recipes.runs import resumable_callbacks

    callbacks = resumable_callbacks(os.path.join(run_dir, "backup"), iter_num, settings)
    if importlib.util.find_spec("tensorboard") is not None:
        callbacks.append(keras.callbacks.TensorBoard(os.path.join(log_dir, run_name)))
    else:
        print("tensorboard is not installed: no summaries are written to", log_dir)
    if evaluation is not None and evaluation[1]:
        from keras_hashing.callbacks import RetrievalEvaluation

        data, every_n_epochs, tie_break = evaluation
        callbacks.append(
            RetrievalEvaluation(
                (data.query, data.query_labels),
                (data.database, data.database_labels),
                top_k=data.top_k,
                every_n_epochs=every_n_epochs,
                tie_break=tie_break,
                prefix="test_",
            )
        )
    return callbacks


def fit_iterations(
    model,
    train,
    num_train: int,
    batch_size: int,
    iter_num: int,
    callbacks: list,
    verbose: int | str = 2,
) -> float:
    """`model.fit` for `iter_num` steps of full batches, as the originals count training.

    Args:
        model: a compiled model, built (so that a backup restores into existing variables).
        train: a `tf.data.Dataset` of training batches; it is repeated.
        num_train: number of training items.
        batch_size: items per batch.
        iter_num: training steps (the callbacks must hold a `StopAtStep(iter_num)`, as
            `training_callbacks` does, for the budget to end mid-epoch).
        callbacks: the Keras callbacks.
        verbose: `fit`'s verbosity.

    Returns:
        The seconds `fit` took.

    Raises:
        ValueError: the batch is larger than the training set.
    """
    from keras_hashing.recipes.runs import step_budget

    steps_per_epoch, epochs = step_budget(num_train, batch_size, iter_num)
    start = time.time()
    model.fit(
        train.repeat(),
        steps_per_epoch=steps_per_epoch,
        epochs=epochs,
        callbacks=callbacks,
        verbose=verbose,
        shuffle=False,
    )
    return time.time() - start


def save_trained_model(
    model, save_dir: str, run_name: str, deephash_npy: bool, trunk: Any = None
) -> str:
    """Writes `<save_dir>/<run_name>.keras` and, for AlexNet, the original's `.npy` beside it.

    thulab/DeepHash DeepHash/model/dch/dch.py, `save_model`, writes conv1..fc8 as a pickled
    `.npy` dict; `deephash_npy=True` writes that file too (`save_deephash_weights`).

    Args:
        model: the trained model.
        save_dir, run_name: the files are `<save_dir>/<run_name>.*`.
        deephash_npy: also write the original's `.npy` dict.
        trunk: optional, the `Trunk` whose cached maps `model` was trained on: also write
            `<run_name>.images.keras`, `with_trunk(model, trunk)`, which encodes RGB images.

    Returns:
        The `.keras` path (of the model as trained).
    """
    from keras_hashing.callbacks import save_model_atomically

    path = os.path.join(save_dir, run_name + ".keras")
    save_model_atomically(model, path)
    print(f"model saved to {path}")
    if deephash_npy:
        model.save_deephash_weights(path[: -len(".keras")] + ".npy")
    if trunk is not None:
        from keras_hashing.recipes.cached_trunk import with_trunk

        images_path = os.path.join(save_dir, run_name + ".images.keras")
        save_model_atomically(with_trunk(model, trunk), images_path)
        print(f"image model (frozen blocks + trained model) saved to {images_path}")
    return path


def encode(model, data, verbose: int = 0) -> tuple:
    """`(query_outputs, database_outputs, database_seconds)`: the real-valued outputs.

    Args:
        model: a trained hashing model.
        data: a `RetrievalData` (or anything with `query` and `database` inputs).
        verbose: `predict`'s verbosity for the database pass (the long one).
    """
    start = time.time()
    database_outputs = model.predict(data.database, verbose=verbose)
    database_seconds = time.time() - start
    query_outputs = model.predict(data.query, verbose=0)
    return query_outputs, database_outputs, database_seconds


def retrieval_report(
    query_outputs,
    database_outputs,
    data,
    tie_break: str = "index",
    with_curves: bool = False,
) -> dict:
    """The original's `MAPs` figures of DCH and DHN (`keras_hashing.metrics.deephash_report`).

    thulab/DeepHash DeepHash/model/dch/dch.py, `validation`: `i2i_by_feature`,
    `i2i_after_sign`, `i2i_prec_radius_2`, `i2i_recall_radius_2`, `i2i_map_radius_2`, over
    `data.top_k` ranked database items.

    Args:
        query_outputs, database_outputs: the outputs of `encode`.
        data: the `RetrievalData` they come from (labels and `top_k`).
        tie_break: "index" (equal distances by database index) or "numpy" (the original's
            argpartition + argsort order).
        with_curves: also return the all-radius precision/recall curves under `curves`.

    Returns:
        A dict of the figures.
    """
    from keras_hashing.metrics import deephash_report

    return deephash_report(
        query_outputs,
        data.query_labels,
        database_outputs,
        data.database_labels,
        data.top_k,
        tie_break=tie_break,
        with_curves=with_curves,
    )
