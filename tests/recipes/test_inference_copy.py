"""`keras_hashing.recipes.presets.inference_copy`: what a preset file keeps of a trained model."""

import os

import keras
import numpy as np

from keras_hashing import backbones
from keras_hashing import models
from keras_hashing.recipes.presets import inference_copy


def images(count=6, seed=0):
    return np.random.default_rng(seed).uniform(0, 1, (count, 28, 28, 1)).astype("float32")


def test_a_hasher_copy_encodes_alike_without_its_optimizer(tmp_path):
    model = models.DCH(backbones.SmallCNN(), 8, num_labels=3, name="dch")
    model.compile(optimizer="sgd")
    labels = np.eye(3, dtype="float32")[[0, 1, 2, 0, 1, 2]]
    model.fit(images(), labels, batch_size=6, epochs=1, verbose=0)
    copy = inference_copy(model, name="preset")
    assert copy.name == "preset" and not copy.compiled
    outputs = copy.predict(images(), verbose=0)
    np.testing.assert_allclose(outputs, model.predict(images(), verbose=0))
    copy.save(tmp_path / "preset.keras")
    model.save(tmp_path / "trained.keras")
    reloaded = keras.models.load_model(tmp_path / "preset.keras")
    np.testing.assert_array_equal(reloaded.encode(images()), model.encode(images()))
    # The trained model's file also holds the optimizer's slots.
    assert os.path.getsize(tmp_path / "preset.keras") < os.path.getsize(tmp_path / "trained.keras")


def test_a_quantizer_copy_keeps_its_codebook_and_word_vectors_but_no_training_codes():
    embeddings = np.random.default_rng(1).normal(size=(3, 8)).astype("float32")
    model = models.DVSQ(
        backbones.SmallCNN(), embeddings, num_train=50, num_codebooks=2, num_codewords=4
    )
    model.build((None, 28, 28, 1))
    model.quantizer.set_codebook(np.random.default_rng(2).normal(size=(8, 8)).astype("float32"))
    model.quantizer.codes.assign(np.ones((50, 2), dtype="int32"))
    copy = inference_copy(model)
    assert copy.num_train == 1 and tuple(copy.quantizer.codes.shape) == (1, 2)
    np.testing.assert_array_equal(copy.quantizer.get_codebook(), model.quantizer.get_codebook())
    np.testing.assert_array_equal(copy.label_embeddings_for_icm(), embeddings)
    np.testing.assert_array_equal(
        copy.encode_quantized(images(), seed=0)[1], model.encode_quantized(images(), seed=0)[1]
    )
