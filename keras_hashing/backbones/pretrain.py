"""Classification pretraining of a backbone on a training set's own labels.

Every DeepHash original fine-tunes an ImageNet-pretrained AlexNet, and their learning rates
(DHN 5e-5, DQN 0.002, DTQ 3e-5) are fine-tuning rates. Where no pretrained weights exist (SmallCNN
on 28x28 Fashion-MNIST, and nothing can be downloaded here), the closest stand-in is to train the
backbone first as a softmax classifier on the hashing training set itself, then hand it to the
hashing model. No image outside the training set is used.
"""

from __future__ import annotations

import keras

from keras_hashing import validation
from keras_hashing._types import Dataset


def pretrain_classifier(
    backbone: keras.Model,
    train: Dataset,
    num_labels: int,
    steps: int,
    steps_per_epoch: int | None = None,
    learning_rate: float = 0.05,
    momentum: float = 0.9,
    preprocessor: keras.layers.Layer | None = None,
    verbose: int | str = 0,
) -> keras.callbacks.History:
    """Trains `backbone` in place under a linear softmax head, then drops the head.

    Args:
        backbone: a backbone (`SmallCNN`, ...) with `image_shape`; its weights are updated.
        train: tf.data of `(images, labels)` batches with one-hot (single-label) rows; it is
            repeated, so it may be finite.
        num_labels: number of classes.
        steps: number of SGD steps (the last epoch stops short when `steps_per_epoch` does not
            divide it).
        steps_per_epoch: steps between Keras epoch ends (progress and logs); default `steps`.
        learning_rate: initial rate of SGD with momentum on a half-cosine decay to 0.
        momentum: SGD momentum.
        preprocessor: optional augmentation layer applied before the backbone in training
            (e.g. `RandomFlipCrop`); it must produce one view per image.
        verbose: Keras `fit` verbosity.

    Returns:
        The `keras.callbacks.History` of the classification run; its "accuracy" is the training
        accuracy under augmentation and dropout.
    """
    steps = validation.positive_int("steps", steps, "pretrain_classifier")
    num_labels = validation.positive_int("num_labels", num_labels, "pretrain_classifier")
    if num_labels < 2:
        raise ValueError(
            f"pretrain_classifier: `num_labels` must be at least 2, found {num_labels}."
        )
    if preprocessor is not None and int(getattr(preprocessor, "num_views", 1) or 1) != 1:
        raise ValueError(
            "pretrain_classifier: the preprocessor must make one view per image "
            f"(found num_views={preprocessor.num_views})."
        )
    if steps_per_epoch is not None:
        validation.positive_int("steps_per_epoch", steps_per_epoch, "pretrain_classifier")
    steps_per_epoch = min(int(steps_per_epoch or steps), steps)
    inputs = keras.Input(tuple(backbone.image_shape), name="images")
    features = backbone(preprocessor(inputs) if preprocessor is not None else inputs)
    logits = keras.layers.Dense(int(num_labels), name="classifier")(features)
    classifier = keras.Model(inputs, logits, name=f"{backbone.name}_classifier")
    schedule = keras.optimizers.schedules.CosineDecay(float(learning_rate), steps)
    classifier.compile(
        optimizer=keras.optimizers.SGD(schedule, momentum=float(momentum)),
        loss=keras.losses.CategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    # Imported here: the callbacks package builds on the models, which build on the backbones.
    from keras_hashing.callbacks.training import StopAtStep

    return classifier.fit(
        train.repeat(),
        steps_per_epoch=steps_per_epoch,
        epochs=-(-steps // steps_per_epoch),
        verbose=verbose,
        callbacks=[StopAtStep(steps)],
    )
