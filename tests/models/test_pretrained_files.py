"""The weight files shipped in `pretrained/` load and carry what they claim."""

import os

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The classifier backbones: 4 000 pretraining steps (the Fashion-MNIST benchmarks' rows) and
# 10 000 (the main job's).
SMALL_CNNS = [
    os.path.join(ROOT, "pretrained", name)
    for name in ("fashion_mnist_small_cnn.weights.h5", "fashion_mnist_small_cnn_10k.weights.h5")
]
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
@pytest.mark.parametrize("weights", SMALL_CNNS, ids=os.path.basename)
def test_fashion_mnist_small_cnn_features_separate_the_classes(weights):
    # Each file is the preset SmallCNN pretrained as a classifier on the protocol's 5 000
    # training images (benchmarks/pretrain_small_cnn.py); its features must separate the query
    # classes far better than the same network's random initialisation.
    import keras

    from keras_hashing.data import load_fashion_mnist
    from keras_hashing.models.presets import fashion_mnist_backbone

    split = load_fashion_mnist()
    pretrained = _nearest_class_mean_accuracy(fashion_mnist_backbone(weights=weights), split)
    keras.utils.set_random_seed(0)
    random = _nearest_class_mean_accuracy(fashion_mnist_backbone(), split)
    assert pretrained > 0.8 and pretrained > random + 0.05, (pretrained, random)


def test_every_preset_loads_and_gives_its_recorded_outputs():
    # Each preset's file and the outputs it gave on its fixed inputs when it was made
    # (pretrained/make_presets.py: scikit-learn's two sample photos for CIFAR-10, four
    # Fashion-MNIST queries): the trained part, the frozen ImageNet blocks from the wheel and
    # the input scaling must all come back as they were.
    import json
    import sys

    from keras_hashing.recipes.presets import PRESETS
    from keras_hashing.recipes.presets import list_presets
    from keras_hashing.recipes.presets import load_preset

    sys.path.insert(0, os.path.join(ROOT, "pretrained"))
    try:
        from make_presets import sample_inputs
    finally:
        sys.path.pop(0)
    assert set(list_presets()) == set(PRESETS)
    total = 0
    for name, entry in PRESETS.items():
        path = os.path.join(ROOT, "pretrained", entry["file"])
        total += os.path.getsize(path)
        with open(os.path.join(ROOT, "pretrained", f"{name}.check.json")) as handle:
            check = json.load(handle)
        expected = np.array(check["sample_outputs"])
        model = load_preset(name)
        inputs = sample_inputs(name)
        outputs = model.predict_outputs(inputs, batch_size=2)
        assert outputs.shape == (len(inputs), entry.get("output_dim", entry["code_length"]))
        np.testing.assert_allclose(outputs, expected, atol=2e-3)
        if "sample_codes" in check:
            # A quantizer: 256-word codebooks, one byte of the code each.
            codes = model.encode_quantized(inputs, batch_size=2, seed=0)[1]
            assert codes.shape == (len(inputs), entry["code_length"] // 8)
            np.testing.assert_array_equal(codes, check["sample_codes"])
        else:
            codes = model.encode(inputs, batch_size=2)
            clear = np.abs(expected) > 0.01
            np.testing.assert_array_equal(codes[clear], np.where(expected[clear] >= 0, 1, -1))
    assert total < 30e6, "all presets together stay under 30 MB"


@pytest.mark.slow
@pytest.mark.skipif(
    not os.path.exists(FASHION_MNIST),
    reason="Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)",
)
def test_fashion_mnist_preset_is_the_trained_model():
    # Beyond its four recorded outputs: the preset retrieves by class. The 1 000 protocol
    # queries searched against the first 5 000 database images (a tenth of the README's
    # 69 000, to stay quick) must give about the preset's figure (mAP@ALL 0.867 on the whole
    # database), which only the trained weights reach.
    from keras_hashing.data import load_fashion_mnist
    from keras_hashing.data.pipelines import fashion_mnist_inputs
    from keras_hashing.metrics import map_after_sign
    from keras_hashing.recipes.presets import load_preset

    split = load_fashion_mnist()
    model = load_preset("dch_fashion_mnist_32")
    queries = model.encode(fashion_mnist_inputs(split.query_images), batch_size=500)
    database = model.encode(fashion_mnist_inputs(split.database_images[:5000]), batch_size=500)
    labels = split.database_labels[:5000]
    score = map_after_sign(queries, split.query_labels, database, labels, None)
    assert score > 0.8, score


def test_load_preset_names_what_is_missing(tmp_path, monkeypatch):
    from keras_hashing.recipes.presets import load_preset

    with pytest.raises(ValueError, match="dch_cifar10_32"):
        load_preset("no_such_preset")
    monkeypatch.setenv("KERAS_HASHING_PRETRAINED", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="KERAS_HASHING_PRETRAINED"):
        load_preset("dch_cifar10_32")
