"""`keras_hashing.recipes.preset_file`: a lossless preset file, stored against the weights a
model was fine-tuned from."""

import json
import os
import zipfile

import keras
import numpy as np
import pytest

from keras_hashing import backbones
from keras_hashing import models
from keras_hashing.recipes.preset_file import load_preset_file
from keras_hashing.recipes.preset_file import round_to_float16
from keras_hashing.recipes.preset_file import save_preset_file


def images(count=4, seed=0):
    return np.random.default_rng(seed).uniform(0, 1, (count, 28, 28, 1)).astype("float32")


def weights_of(model):
    return {v.path: np.array(keras.ops.convert_to_numpy(v)) for v in model.weights}


def fine_tuned(scale=1e-3, seed=0):
    """A DCH whose backbone moved a little from its starting weights (as fine-tuning does) and
    whose hash layer is new, with those starting weights."""
    keras.utils.set_random_seed(seed)
    model = models.DCH(backbones.SmallCNN(), 8, num_labels=3, name="dch")
    model.build((None, 28, 28, 1))
    start = weights_of(model.backbone)
    rng = np.random.default_rng(seed + 1)
    for variable in model.backbone.weights:
        values = keras.ops.convert_to_numpy(variable)
        variable.assign(values * (1 + scale * rng.standard_normal(values.shape)).astype("float32"))
    return model, start


def test_the_file_gives_back_every_weight_bit_for_bit(tmp_path):
    model, start = fine_tuned()
    assert start, "the backbone's starting weights are the reference"
    path = str(tmp_path / "dch.preset")
    save_preset_file(model, path, start)
    loaded = load_preset_file(path, start)
    assert type(loaded) is models.DCH and loaded.name == "dch"
    expected, got = weights_of(model), weights_of(loaded)
    assert list(expected) == list(got)
    for name in expected:
        assert expected[name].dtype == got[name].dtype and expected[name].shape == got[name].shape
        np.testing.assert_array_equal(got[name], expected[name], err_msg=name)
    np.testing.assert_array_equal(loaded.encode(images()), model.encode(images()))


def test_weights_near_their_reference_take_less_room_than_a_keras_file(tmp_path):
    model, start = fine_tuned(scale=1e-4)
    save_preset_file(model, str(tmp_path / "against.preset"), start)
    save_preset_file(model, str(tmp_path / "whole.preset"))
    model.save(tmp_path / "model.keras")
    against = os.path.getsize(tmp_path / "against.preset")
    whole = os.path.getsize(tmp_path / "whole.preset")
    assert against < 0.75 * whole < os.path.getsize(tmp_path / "model.keras")
    with zipfile.ZipFile(tmp_path / "against.preset") as archive:
        manifest = json.loads(archive.read("preset.json"))
    stored = {entry["path"]: entry["against_reference"] for entry in manifest["weights"]}
    assert all(stored[path] for path in start)
    assert not any(flag for path, flag in stored.items() if path not in start)


def manifest_of(path):
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("preset.json"))


def test_weights_rounded_to_float16_take_two_bytes_and_load_bit_for_bit(tmp_path):
    model, start = fine_tuned(scale=1e-2)
    before = weights_of(model)
    save_preset_file(model, str(tmp_path / "exact.preset"), start)
    outputs = model.predict_outputs(images())
    # One backbone weight left at its starting value: it is not rounded (nor moved).
    untouched = next(v for v in model.backbone.weights if len(v.shape) > 1)
    untouched.assign(start[untouched.path])
    rounded = round_to_float16(model, start)
    # Zero-initialised weights (biases, BN shifts) stay zero under the multiplicative drift.
    moved = {name for name in start if not np.array_equal(before[name], start[name])}
    assert untouched.path not in rounded and len(moved) > 4
    assert set(rounded) == moved - {untouched.path}
    after = weights_of(model)
    for name, values in after.items():
        if name in rounded:
            np.testing.assert_array_equal(values, values.astype(np.float16).astype(np.float32))
            np.testing.assert_allclose(values, before[name], rtol=1e-3, atol=1e-7)
        elif name in start:  # left at its starting value
            np.testing.assert_array_equal(values, start[name])
        else:  # the new hash layer has no reference: exact, whatever its values
            np.testing.assert_array_equal(values, before[name], err_msg=name)
    # The rounded model is another model, near the first.
    np.testing.assert_allclose(model.predict_outputs(images()), outputs, atol=2e-2)
    path = str(tmp_path / "rounded.preset")
    save_preset_file(model, path, start)
    stored = {e["path"]: e["stored_as"] for e in manifest_of(path)["weights"]}
    assert all(stored[name] == "float16" for name in rounded)
    assert os.path.getsize(path) < 0.7 * os.path.getsize(tmp_path / "exact.preset")
    loaded = load_preset_file(path, start)
    for name, values in weights_of(loaded).items():
        assert values.dtype == after[name].dtype
        np.testing.assert_array_equal(values, after[name], err_msg=name)
    np.testing.assert_array_equal(loaded.encode(images()), model.encode(images()))


def test_a_version_1_file_still_reads(tmp_path):
    """Files written before float16 storage (format /1: every value in its own dtype)."""
    model, start = fine_tuned()
    rng = np.random.default_rng(3)
    for variable in model.weights:  # no weight exactly a float16 (zeros are), as in a /1 file
        values = keras.ops.convert_to_numpy(variable)
        variable.assign(values + rng.uniform(1e-3, 2e-3, values.shape).astype("float32"))
    path = tmp_path / "dch.preset"
    save_preset_file(model, str(path), start)
    manifest = manifest_of(path)
    assert not any(e["stored_as"] == "float16" for e in manifest["weights"])
    manifest["format"] = "keras_hashing.preset/1"
    for entry in manifest["weights"]:
        del entry["stored_as"]
    old = tmp_path / "old.preset"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(old, "w") as target:
        for name in source.namelist():
            payload = json.dumps(manifest) if name == "preset.json" else source.read(name)
            target.writestr(name, payload)
    loaded = load_preset_file(str(old), start)
    for name, values in weights_of(model).items():
        np.testing.assert_array_equal(weights_of(loaded)[name], values, err_msg=name)
    manifest["format"] = "keras_hashing.preset/9"
    with zipfile.ZipFile(old, "w") as target:
        target.writestr("preset.json", json.dumps(manifest))
    with pytest.raises(ValueError, match="old.preset .*format is 'keras_hashing.preset/9'"):
        load_preset_file(str(old), start)


def test_a_quantizer_keeps_its_scalar_and_integer_state(tmp_path):
    embeddings = np.random.default_rng(1).normal(size=(3, 8)).astype("float32")
    model = models.DVSQ(
        backbones.SmallCNN(), embeddings, num_train=5, num_codebooks=2, num_codewords=4
    )
    model.build((None, 28, 28, 1))
    model.quantizer.set_codebook(np.random.default_rng(2).normal(size=(8, 8)).astype("float32"))
    model.quantizer.update_rounds.assign(3)
    path = str(tmp_path / "dvsq.preset")
    save_preset_file(model, path)
    loaded = load_preset_file(path)
    assert loaded.quantizer.get_rounds() == 3
    assert tuple(loaded.quantizer.update_rounds.shape) == ()
    np.testing.assert_array_equal(loaded.quantizer.get_codebook(), model.quantizer.get_codebook())
    np.testing.assert_array_equal(
        loaded.encode_quantized(images(), seed=0)[1], model.encode_quantized(images(), seed=0)[1]
    )


def test_other_reference_weights_are_refused_not_decoded(tmp_path):
    model, start = fine_tuned()
    path = str(tmp_path / "dch.preset")
    save_preset_file(model, path, start)
    with pytest.raises(ValueError, match="none were given"):
        load_preset_file(path)
    name = next(iter(start))
    other = dict(start)
    other[name] = other[name] + np.float32(1e-3)
    with pytest.raises(ValueError, match=rf"dch\.preset: {name} .*reference weights differ"):
        load_preset_file(path, other)


def test_a_damaged_or_foreign_file_is_refused_naming_it(tmp_path):
    model, start = fine_tuned()
    path = tmp_path / "dch.preset"
    save_preset_file(model, str(path), start)
    data = bytearray(path.read_bytes())
    # Flip a byte inside the first weight member's compressed data.
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("weights/0")
    offset = info.header_offset + 30 + len(info.filename) + len(info.extra) + 20
    data[offset] ^= 0xFF
    damaged = tmp_path / "damaged.preset"
    damaged.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="damaged.preset"):
        load_preset_file(str(damaged), start)
    model.save(tmp_path / "model.keras")
    with pytest.raises(ValueError, match="model.keras is not a readable keras_hashing preset"):
        load_preset_file(str(tmp_path / "model.keras"))
    (tmp_path / "text.preset").write_text("not a zip")
    with pytest.raises(ValueError, match="text.preset is not a readable"):
        load_preset_file(str(tmp_path / "text.preset"))
