"""The weight files shipped in `pretrained/` load and carry what they claim."""

import os

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SMALL_CNN = os.path.join(ROOT, "pretrained", "fashion_mnist_small_cnn.weights.h5")
FASHION_MNIST = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"


def _nearest_class_mean_accuracy(backbone, split):
    from keras_hashing.data.pipelines import fashion_mnist_inputs

    train = np.asarray(backbone.predict(fashion_mnist_inputs(split.train_images), verbose=0))
    query = np.asarray(backbone.predict(fashion_mnist_inputs(split.query_images), verbose=0))
    train_classes = split.train_labels.argmax(1)
    means = np.stack([train[train_classes == c].mean(0) for c in range(10)])
    means /= np.linalg.norm(means, axis=1, keepdims=True)
    query /= np.linalg.norm(query, axis=1, keepdims=True) + 1e-12
    return float(np.mean((query @ means.T).argmax(1) == split.query_labels.argmax(1)))


@pytest.mark.skipif(
    not os.path.exists(FASHION_MNIST),
    reason="Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)",
)
def test_fashion_mnist_small_cnn_features_separate_the_classes():
    # The file is the preset SmallCNN pretrained as a classifier on the protocol's 5 000
    # training images (benchmarks/pretrain_small_cnn.py); its features must separate the query
    # classes far better than the same network's random initialisation.
    import keras

    from keras_hashing.data import load_fashion_mnist
    from keras_hashing.models.presets import fashion_mnist_backbone

    split = load_fashion_mnist()
    pretrained = _nearest_class_mean_accuracy(fashion_mnist_backbone(weights=SMALL_CNN), split)
    keras.utils.set_random_seed(0)
    random = _nearest_class_mean_accuracy(fashion_mnist_backbone(), split)
    assert pretrained > 0.8 and pretrained > random + 0.05, (pretrained, random)
