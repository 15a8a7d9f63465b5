"""DRSH data path: HDF5 entries, membership files, triplet rules (spec §1.2, §1.6), data tools."""

import json
import os
import sys

import h5py
import numpy as np
import pytest

from keras_hashing.data.drsh import ArrayEntries
from keras_hashing.data.drsh import DRSHTripletSampler
from keras_hashing.data.drsh import H5Entries
from keras_hashing.data.drsh import Membership
from keras_hashing.data.drsh import attribute_matrices
from keras_hashing.data.drsh import drsh_triplet_dataset
from keras_hashing.data.drsh import load_membership
from keras_hashing.data.drsh import read_ids
from keras_hashing.data.drsh import remap_keys
from keras_hashing.data.drsh import top_k_vocabulary_order
from keras_hashing.data.drsh import write_h5_entries
from keras_hashing.data.drsh import write_ids

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "data", "drsh"))

# Tiny membership: ids 1..8; "t1", "t2" are test ids.
CATEGORIES = {
    "sky": ["1", "2", "3", "t1"],
    "sea": ["3", "4", "5"],
    "cat": ["6", "7", "t2"],
    "dog": ["8", "7"],
}


def membership():
    image_categories = {}
    for category, members in CATEGORIES.items():
        for member in members:
            image_categories.setdefault(member, []).append(category)
    return Membership(image_categories, CATEGORIES)


def test_membership_files_round_trip(tmp_path):
    m = membership()
    m.write(tmp_path / "imageclas.h5", tmp_path / "class.h5")
    loaded = load_membership(tmp_path / "imageclas.h5", tmp_path / "class.h5")
    assert {k: sorted(v) for k, v in loaded.category_images.items()} == {
        k: sorted(v) for k, v in CATEGORIES.items()
    }
    assert sorted(loaded.image_categories["3"]) == ["sea", "sky"]
    labels = np.array([[1, 0], [1, 1], [0, 1]])
    built = Membership.from_labels(["a", "b", "c"], labels, ["x", "y"])
    assert built.image_categories == {"a": ["x"], "b": ["x", "y"], "c": ["y"]}
    assert built.category_images == {"x": ["a", "b"], "y": ["b", "c"]}


def test_sampler_follows_the_original_rules():
    train = ["1", "2", "3", "4", "5", "6", "7", "8"]
    sampler = DRSHTripletSampler(membership(), train, ["t1", "t2"], seed=0)
    m = membership()
    seen_noisy = False
    for _ in range(300):
        for anchor, positive, negative in sampler.epoch():
            assert (
                positive != anchor and positive not in ("t1", "t2") and negative not in ("t1", "t2")
            )
            assert set(m.image_categories[positive]) & set(m.image_categories[anchor])
            # The negative comes from a category the anchor lacks...
            assert set(m.image_categories[negative]) - set(m.image_categories[anchor])
            # ...but may share another one (the original does not check).
            seen_noisy |= bool(set(m.image_categories[negative]) & set(m.image_categories[anchor]))
    assert seen_noisy
    assert sorted(a for a, _, _ in sampler.epoch()) == sorted(train)
    strict = DRSHTripletSampler(membership(), train, ["t1", "t2"], strict_negatives=True, seed=1)
    for _ in range(300):
        for anchor, _, negative in strict.epoch():
            assert not set(m.image_categories[negative]) & set(m.image_categories[anchor])


def test_sampler_errors():
    with pytest.raises(ValueError, match="not in the negative-category list"):
        DRSHTripletSampler(membership(), ["1"], negative_categories=["sea", "cat"]).sample("1")
    with pytest.raises(ValueError, match="no category"):
        DRSHTripletSampler(membership(), ["zz"])
    only = Membership({"1": ["a"], "2": ["b"]}, {"a": ["1"], "b": ["2"]})
    with pytest.raises(ValueError, match="positive"):
        DRSHTripletSampler(only, ["1"]).sample("1")
    with pytest.raises(ValueError, match="not in the category file"):
        DRSHTripletSampler(only, ["1"], negative_categories=["a", "q"])


def test_h5_entries_and_missing_ids(tmp_path):
    ids = ["10", "11", "12"]
    values = np.arange(12, dtype="float32").reshape(3, 4)
    write_h5_entries(tmp_path / "f.h5", ids, values)
    with H5Entries(tmp_path / "f.h5", "feature file", (4,)) as entries:
        np.testing.assert_array_equal(entries.gather(["12", "10"]), values[[2, 0]])
        assert "11" in entries and len(entries) == 3
        with pytest.raises(ValueError, match=r"feature file .*f\.h5 has no entry .*'99'"):
            entries.gather(["10", "99"])
    with pytest.raises(ValueError, match=r"entry '10' has shape \(4,\), expected \(5,\)"):
        H5Entries(tmp_path / "f.h5", "feature file", (5,)).get("10")
    with pytest.raises(ValueError, match="does not exist"):
        H5Entries(tmp_path / "none.h5")
    array = ArrayEntries(ids, values)
    np.testing.assert_array_equal(array.gather(["11"]), values[[1]])
    with pytest.raises(ValueError, match="'7'"):
        array.check_ids(["7"])


def test_ids_files(tmp_path):
    write_ids(tmp_path / "ids.npy", ["1000073212", "42"])
    assert read_ids(tmp_path / "ids.npy") == ["1000073212", "42"]
    np.save(tmp_path / "ints.npy", np.array([3, 4]))
    assert read_ids(tmp_path / "ints.npy") == ["3", "4"]
    (tmp_path / "ids.txt").write_text("a\nb\n")
    assert read_ids(tmp_path / "ids.txt") == ["a", "b"]


def test_top_k_in_vocabulary_order():
    scores = np.array([[0.1, 0.9, 0.3, 0.8, 0.2], [5, 4, 3, 2, 1]])
    np.testing.assert_array_equal(top_k_vocabulary_order(scores, 2), [[1, 3], [0, 1]])
    np.testing.assert_array_equal(top_k_vocabulary_order(scores[0], 3), [1, 2, 3])
    np.testing.assert_array_equal(top_k_vocabulary_order(np.zeros(4), 2), [2, 3])  # stable ties
    vectors = np.arange(10, dtype="float32").reshape(5, 2)
    np.testing.assert_array_equal(attribute_matrices(scores, vectors, 2)[0], vectors[[1, 3]])
    with pytest.raises(ValueError, match=r"top_k_vocabulary_order: `k` must be in 1\.\.5, found 6"):
        top_k_vocabulary_order(scores, 6)


def test_remap_keys_skips_repeated_ids(tmp_path):
    write_h5_entries(tmp_path / "src.h5", ["a.jpg", "b.jpg", "c.jpg"], np.eye(3))
    count = remap_keys(tmp_path / "src.h5", tmp_path / "out.h5", ["7", "7", "9"])
    assert count == 2
    with h5py.File(tmp_path / "out.h5", "r") as f:
        assert sorted(f.keys()) == ["7", "9"]
        np.testing.assert_array_equal(f["7"][()], [1, 0, 0])
        np.testing.assert_array_equal(f["9"][()], [0, 0, 1])


@pytest.mark.tensorflow_only
def test_triplet_dataset(tmp_path):
    ids = ["1", "2", "3", "4", "5", "6", "7", "8", "t1", "t2"]
    rng = np.random.default_rng(0)
    features = ArrayEntries(ids, rng.normal(size=(10, 6)))
    attributes = ArrayEntries(ids, rng.normal(size=(10, 3, 2)))
    sampler = DRSHTripletSampler(membership(), ids[:8], ["t1", "t2"], seed=0)
    batch = next(iter(drsh_triplet_dataset(features, attributes, sampler, batch_size=4)))
    assert batch["features"].shape == (4, 6) and batch["negative_attributes"].shape == (4, 3, 2)
    row = {i: k for k, i in enumerate(ids)}
    for b in range(4):
        anchor = ids[int(np.argmin(np.abs(features.values - batch["features"][b].numpy()).sum(1)))]
        positive = ids[
            int(np.argmin(np.abs(features.values - batch["positive_features"][b].numpy()).sum(1)))
        ]
        np.testing.assert_allclose(batch["attributes"][b].numpy(), attributes.values[row[anchor]])
        assert positive != anchor
    count = sum(
        1 for _ in drsh_triplet_dataset(features, attributes, sampler, batch_size=3, epochs=2)
    )
    assert count == 5  # 16 triplets, whole batches only
    missing = ArrayEntries(ids[:7] + ids[8:], rng.normal(size=(9, 6)), "feature file")
    with pytest.raises(ValueError, match="no entry for 1 .*'8'"):
        drsh_triplet_dataset(missing, attributes, sampler)


def test_top10_and_transfer_tools(tmp_path):
    import top10_attributes
    import transfer

    vocabulary = ["sky", "sea", "cat", "dog", "tree"]
    (tmp_path / "vocab.json").write_text(json.dumps({"all_label": vocabulary}))
    vectors = {w: np.full(3, i, dtype="float32") for i, w in enumerate(vocabulary)}
    with open(tmp_path / "glove.txt", "w") as handle:
        for word, vector in vectors.items():
            handle.write(word + " " + " ".join(str(v) for v in vector) + "\n")
    write_h5_entries(
        tmp_path / "att.h5",
        ["x.jpg", "y.jpg"],
        np.array([[0.9, 0.1, 0.8, 0.2, 0.0], [0, 0, 1, 1, 2]]),
    )
    top10_attributes.main(
        [
            "--scores",
            str(tmp_path / "att.h5"),
            "--vocabulary",
            str(tmp_path / "vocab.json"),
            "--vectors",
            str(tmp_path / "glove.txt"),
            "--top-k",
            "2",
            "--out",
            str(tmp_path / "gt.h5"),
        ]
    )
    with h5py.File(tmp_path / "gt.h5", "r") as f:
        np.testing.assert_array_equal(
            f["x.jpg"][()], [[0, 0, 0], [2, 2, 2]]
        )  # sky, cat in vocab order
        np.testing.assert_array_equal(f["y.jpg"][()], [[3, 3, 3], [4, 4, 4]])
    write_ids(tmp_path / "id.npy", ["100", "100"])
    transfer.main(
        [
            "--source",
            str(tmp_path / "gt.h5"),
            "--ids",
            str(tmp_path / "id.npy"),
            "--out",
            str(tmp_path / "glove_ids.h5"),
        ]
    )
    with h5py.File(tmp_path / "glove_ids.h5", "r") as f:
        assert list(f.keys()) == ["100"]
    (tmp_path / "bad.json").write_text(json.dumps({"labels": vocabulary}))
    with pytest.raises(ValueError, match="all_label"):
        top10_attributes.main(
            [
                "--scores",
                str(tmp_path / "att.h5"),
                "--vocabulary",
                str(tmp_path / "bad.json"),
                "--vectors",
                str(tmp_path / "glove.txt"),
                "--out",
                str(tmp_path / "o.h5"),
            ]
        )


def test_extract_features_tool(tmp_path):
    import cv2
    import extract_features

    from keras_hashing.backbones import VGG16

    for folder, name, value in (("a", "1.jpg", 40), ("b", "2.jpg", 200)):
        os.makedirs(tmp_path / "img" / folder)
        cv2.imwrite(str(tmp_path / "img" / folder / name), np.full((40, 50, 3), value, np.uint8))
    items = extract_features.list_images(str(tmp_path / "img"))
    assert [k for k, _ in items] == ["1.jpg", "2.jpg"]
    backbone = VGG16(
        include_dropout=False, input_shape=(32, 32, 3), conv_filters=(2, 2, 2, 2, 2), fc_units=5
    )
    extract_features.extract(backbone, items, str(tmp_path / "feat.h5"), batch_size=2, size=32)
    from keras_hashing.backbones import caffe_vgg_preprocess

    image = cv2.resize(cv2.imread(items[1][1]), (32, 32), interpolation=cv2.INTER_LINEAR)
    want = backbone.predict(caffe_vgg_preprocess(image[None], input_order="bgr"), verbose=0)[0]
    with h5py.File(tmp_path / "feat.h5", "r") as f:
        assert sorted(f.keys()) == ["1.jpg", "2.jpg"]
        np.testing.assert_allclose(f["2.jpg"][()], want, rtol=1e-5, atol=1e-6)


def assert_rescaled_by_one_factor(scaled, plain, rtol):
    """`scaled` is `plain` with every part's features times one factor, and the same
    attributes (the DRSH preparation scripts' `--feature-norm`)."""
    for name in ("train", "query", "database"):
        np.testing.assert_allclose(
            scaled[f"{name}_features"],
            plain[f"{name}_features"] * scaled["feature_scale"],
            rtol=rtol,
            atol=1e-5,
        )
        np.testing.assert_array_equal(scaled[f"{name}_attributes"], plain[f"{name}_attributes"])


def test_fashion_mnist_arrays_rescale_features_to_the_requested_norm():
    import types

    from prepare_fashion_mnist import build_arrays

    from keras_hashing.data.fashion_mnist import CLASS_NAMES

    rng = np.random.default_rng(0)
    labels = np.eye(10, dtype=np.float32)[np.arange(40) % 10]

    def part(n, offset):
        return {
            "images": rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8),
            "labels": labels[:n],
            "ids": np.arange(offset, offset + n),
        }

    parts = {"train": part(40, 0), "query": part(10, 100), "database": part(30, 200)}
    split = types.SimpleNamespace(
        class_names=CLASS_NAMES,
        **{f"{p}_{k}": v[k] for p, v in parts.items() for k in ("images", "labels", "ids")},
    )
    plain = build_arrays(split, top_k=3)
    scaled = build_arrays(split, top_k=3, feature_norm=100.0)
    assert "T-shirt-top" in plain["class_names"]  # "/" cannot name an HDF5 member
    assert plain["feature_scale"] == 1.0
    norms = np.linalg.norm(scaled["train_features"], axis=1)
    np.testing.assert_allclose(norms.mean(), 100.0, rtol=1e-4)
    assert_rescaled_by_one_factor(scaled, plain, rtol=1e-5)
    with pytest.raises(ValueError, match="feature_norm"):
        build_arrays(split, top_k=3, feature_norm=0.0)


def test_fashion_mnist_files_are_written_with_the_real_class_names(tmp_path):
    # "T-shirt/top" once stopped the script when it wrote the membership files.
    import types

    from prepare_fashion_mnist import build_arrays
    from prepare_fashion_mnist import write_files

    from keras_hashing.data.drsh import load_membership
    from keras_hashing.data.fashion_mnist import CLASS_NAMES

    rng = np.random.default_rng(0)
    labels = np.eye(10, dtype=np.float32)[np.arange(20) % 10]
    split = types.SimpleNamespace(class_names=CLASS_NAMES)
    for offset, name in ((0, "train"), (100, "query"), (200, "database")):
        setattr(split, f"{name}_images", rng.integers(0, 256, (20, 28, 28), dtype=np.uint8))
        setattr(split, f"{name}_labels", labels)
        setattr(split, f"{name}_ids", np.arange(offset, offset + 20))
    paths = write_files(build_arrays(split, top_k=3), tmp_path, include_database=True)
    membership = load_membership(paths["image_categories"], paths["category_images"])
    assert membership.image_categories["0"] == ["T-shirt-top"]
    assert sorted(membership.category_images["T-shirt-top"])[:2] == ["0", "10"]
