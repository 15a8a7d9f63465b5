"""The weight-file readers and writers: errors, bytes keys, fc8 / C handling, round trips."""

import pickle

import numpy as np
import pytest

from keras_hashing.backbones import load_alexnet_npy
from keras_hashing.backbones import save_alexnet_npy
from keras_hashing.backbones.weights import ALEXNET_LAYERS
from keras_hashing.backbones.weights import ALEXNET_SHAPES
from keras_hashing.backbones.weights import chw_rows_to_hwc

SECTION_3_2_SHAPES = {
    "conv1": [(11, 11, 3, 96), (96,)],
    "conv2": [(5, 5, 48, 256), (256,)],
    "conv3": [(3, 3, 256, 384), (384,)],
    "conv4": [(3, 3, 192, 384), (384,)],
    "conv5": [(3, 3, 192, 256), (256,)],
    "fc6": [(9216, 4096), (4096,)],
    "fc7": [(4096, 4096), (4096,)],
}
TINY_SHAPES = {name: [(2, i + 1), (i + 1,)] for i, name in enumerate(SECTION_3_2_SHAPES)}


def test_the_expected_shapes_are_section_3_2():
    assert ALEXNET_SHAPES == SECTION_3_2_SHAPES


@pytest.fixture
def alexnet_layers(monkeypatch):
    """conv1..fc7 with a distinct constant per array. The readers' checks are table-driven, so
    these tests shrink the table (full-size files take ~0.5 GB of disk writes each; the full-size
    round trip runs in tests/backbones/test_alexnet.py)."""
    for name, shapes in TINY_SHAPES.items():
        monkeypatch.setitem(ALEXNET_SHAPES, name, shapes)
    monkeypatch.setattr("keras_hashing.backbones.weights.FC8_INPUTS", 7)
    return {
        name: [
            np.full(TINY_SHAPES[name][0], i, "float32"),
            np.full(TINY_SHAPES[name][1], -i, "float32"),
        ]
        for i, name in enumerate(ALEXNET_LAYERS, start=1)
    }


def write_npy(path, data):
    np.save(path, np.array(data, dtype=object), allow_pickle=True)
    return str(path)


def test_round_trip_with_fc8_and_codebook(tmp_path, alexnet_layers):
    fc8 = [
        np.random.RandomState(0).normal(size=(7, 12)).astype("float32"),
        np.arange(12, dtype="float32"),
    ]
    codebook = np.random.RandomState(1).normal(size=(8, 12)).astype("float32")
    path = save_alexnet_npy(
        str(tmp_path / "model.npy"), {**alexnet_layers, "fc8": fc8}, codebook=codebook
    )
    raw = np.load(path, allow_pickle=True).item()  # the original's reader sees a plain dict
    assert sorted(raw) == sorted(list(ALEXNET_LAYERS) + ["fc8", "C"])
    assert isinstance(raw["conv1"], list) and len(raw["conv1"]) == 2 and raw["C"].shape == (8, 12)
    loaded = load_alexnet_npy(path)
    for name in ALEXNET_LAYERS:
        for got, want in zip(loaded.layers[name], alexnet_layers[name]):
            np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(loaded.fc8[0], fc8[0])
    np.testing.assert_array_equal(loaded.fc8[1], fc8[1])
    np.testing.assert_array_equal(loaded.codebook, codebook)


def test_pretrained_file_has_no_fc8_and_bytes_keys_are_decoded(tmp_path, alexnet_layers):
    # A Python-2 pickle of reference_pretrain.npy has bytes keys and tuple pairs.
    data = {name.encode(): tuple(pair) for name, pair in alexnet_layers.items()}
    data[b"txt_fc1"] = [np.zeros((3, 3)), np.zeros(3)]  # other keys are ignored
    loaded = load_alexnet_npy(write_npy(tmp_path / "reference_pretrain.npy", data))
    assert loaded.fc8 is None and loaded.codebook is None
    assert sorted(loaded.layers) == sorted(ALEXNET_LAYERS)
    assert loaded.layers["fc7"][0][0, 0] == 7.0 and loaded.layers["fc7"][1][0] == -7.0


def test_missing_key_names_the_file_key_and_shapes(tmp_path, alexnet_layers):
    data = dict(alexnet_layers)
    del data["conv4"]
    path = write_npy(tmp_path / "partial.npy", data)
    with pytest.raises(
        ValueError, match=r"partial\.npy: missing key 'conv4'; expected \[W \(2, 4\), b \(4,\)\]"
    ):
        load_alexnet_npy(path)


def test_wrong_shape_names_the_file_key_expected_and_found(tmp_path, alexnet_layers):
    data = dict(alexnet_layers)
    data["conv2"] = [np.zeros((4, 2), "float32"), np.zeros(2, "float32")]
    path = write_npy(tmp_path / "ungrouped.npy", data)
    with pytest.raises(
        ValueError, match=r"ungrouped\.npy: key 'conv2' W .*expected \(2, 2\), found \(4, 2\)"
    ):
        load_alexnet_npy(path)
    data["conv2"] = [np.zeros((2, 2), "float32"), np.zeros(3, "float32")]
    with pytest.raises(ValueError, match=r"key 'conv2' b .*expected \(2,\), found \(3,\)"):
        load_alexnet_npy(write_npy(tmp_path / "bias.npy", data))


def test_bad_fc8_codebook_and_pairs(tmp_path, alexnet_layers):
    with pytest.raises(ValueError, match=r"key 'fc8' W .*expected \(7, D\), found \(1000, 8\)"):
        load_alexnet_npy(
            write_npy(
                tmp_path / "a.npy", {**alexnet_layers, "fc8": [np.zeros((1000, 8)), np.zeros(8)]}
            )
        )
    with pytest.raises(ValueError, match=r"key 'fc8' b .*expected \(8,\), found \(9,\)"):
        load_alexnet_npy(
            write_npy(
                tmp_path / "b.npy", {**alexnet_layers, "fc8": [np.zeros((7, 8)), np.zeros(9)]}
            )
        )
    fc8 = [np.zeros((7, 8)), np.zeros(8)]
    with pytest.raises(ValueError, match=r"key 'C' must have D=8 columns"):
        load_alexnet_npy(
            write_npy(tmp_path / "c.npy", {**alexnet_layers, "fc8": fc8, "C": np.zeros((6, 4))})
        )
    with pytest.raises(ValueError, match=r"key 'conv1' must hold 2 arrays"):
        load_alexnet_npy(write_npy(tmp_path / "d.npy", {**alexnet_layers, "conv1": [np.zeros(1)]}))
    with pytest.raises(ValueError, match=r"key 'conv1' must hold \[W, b\], found one array"):
        load_alexnet_npy(
            write_npy(tmp_path / "e.npy", {**alexnet_layers, "conv1": np.zeros((2, 3))})
        )


def test_not_a_dict_and_not_npy(tmp_path):
    np.save(tmp_path / "plain.npy", np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"plain\.npy: expected a pickled dict"):
        load_alexnet_npy(str(tmp_path / "plain.npy"))
    (tmp_path / "junk.npy").write_bytes(pickle.dumps({"conv1": 1})[:10])
    with pytest.raises(ValueError, match=r"junk\.npy: cannot be read"):
        load_alexnet_npy(str(tmp_path / "junk.npy"))
    with pytest.raises(FileNotFoundError):
        load_alexnet_npy(str(tmp_path / "absent.npy"))


def test_save_validates_before_writing(tmp_path, alexnet_layers):
    data = dict(alexnet_layers)
    data["fc6"] = [np.zeros((3, 6)), np.zeros(6)]
    with pytest.raises(
        ValueError, match=r"out\.npy: key 'fc6' W .*expected \(2, 6\), found \(3, 6\)"
    ):
        save_alexnet_npy(str(tmp_path / "out.npy"), data)
    assert not (tmp_path / "out.npy").exists()


def test_chw_rows_to_hwc_matches_flatten_orders():
    rs = np.random.RandomState(3)
    channels, height, width, out = 3, 2, 4, 5
    kernel_chw = rs.normal(size=(channels * height * width, out))
    feature = rs.normal(size=(channels, height, width))  # one NCHW feature map
    kernel_hwc = chw_rows_to_hwc(kernel_chw, channels, height, width)
    np.testing.assert_allclose(
        feature.transpose(1, 2, 0).reshape(-1) @ kernel_hwc, feature.reshape(-1) @ kernel_chw
    )
    with pytest.raises(ValueError, match="cannot be read as"):
        chw_rows_to_hwc(kernel_chw, 4, height, width)
