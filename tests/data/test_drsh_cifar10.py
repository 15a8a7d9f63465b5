"""CIFAR-10 in DRSH's layout (data/drsh/prepare_cifar10.py) and the benchmark's reading of it."""

import json
import os
import sys

import cv2
import numpy as np
import pytest

from keras_hashing.backbones.imagenet_classes import IMAGENET_CLASSES
from keras_hashing.data import write_image_list
from keras_hashing.data.drsh import H5Entries
from keras_hashing.data.drsh import load_membership
from keras_hashing.data.drsh import read_drsh_files
from keras_hashing.data.drsh import read_ids
from keras_hashing.data.drsh import top_k_vocabulary_order
from tests.data.test_drsh_data import assert_rescaled_by_one_factor

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
for _path in (os.path.join(ROOT, "data", "drsh"), os.path.join(ROOT, "benchmarks")):
    if _path not in sys.path:
        sys.path.insert(0, _path)

import prepare_cifar10 as prep  # noqa: E402

SIZE = 32  # a 32 px Lite0: block 15 takes 1 x 1 x 192 maps
COUNTS = {"train.txt": 6, "test.txt": 2, "database.txt": 4}
TOP_K = 3
DIM = 5


def _list_folder(folder):
    """A dozen tiny images in DeepHash lists, two classes in turn."""
    rng = np.random.default_rng(0)
    os.makedirs(os.path.join(folder, "images"), exist_ok=True)
    for list_name, count in COUNTS.items():
        rel_paths = []
        for index in range(count):
            rel_path = f"images/{list_name[:-4]}_{index}.png"
            cv2.imwrite(os.path.join(folder, rel_path), rng.integers(0, 255, (8, 8, 3), np.uint8))
            rel_paths.append(rel_path)
        labels = np.eye(2, dtype=np.int64)[np.arange(count) % 2]
        write_image_list(os.path.join(folder, list_name), rel_paths, labels)


def _glove_file(path):
    """A tiny GloVe text file: the words of the first 40 ImageNet classes' first synonyms, less
    "goldfish" (class 1 is dropped)."""
    rng = np.random.default_rng(1)
    words = prep.candidate_words([name.split(",")[0] for name in IMAGENET_CLASSES[:40]])
    words = [w for w in words if w != "goldfish"]
    with open(path, "w", encoding="utf-8") as handle:
        for word in words:
            handle.write(word + " " + " ".join(f"{v:.5f}" for v in rng.normal(size=DIM)) + "\n")
    return path


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cifar_lists")
    _list_folder(folder)
    scorer = prep.ImageNetScorer("lite0", image_size=SIZE, weights=None)
    glove = _glove_file(folder / "glove.txt")
    lookup = prep.glove_lookup(prep.candidate_words(IMAGENET_CLASSES), glove)
    arrays = prep.build_arrays(
        folder, scorer, lookup, TOP_K, class_names=["airplane", "cat"], verbose=False
    )
    out_dir = folder / "drsh"
    paths = prep.write_files(arrays, out_dir)
    return {
        "folder": folder,
        "scorer": scorer,
        "lookup": lookup,
        "arrays": arrays,
        "out_dir": out_dir,
        "paths": paths,
    }


def test_class_name_rule():
    words = "great white shark shih tzu jack o lantern dog granny smith st. bernard tabby"
    rng = np.random.default_rng(0)
    vector = {word: rng.normal(size=3) for word in words.split()}
    mean = lambda *words: np.mean([vector[w] for w in words], axis=0)  # noqa: E731
    # Multi-word: the mean of the words of the first synonym.
    got, synonym = prep.concept_vector("great white shark, white shark", vector)
    np.testing.assert_allclose(got, mean("great", "white", "shark"))
    assert synonym == "great white shark"
    # Lower-cased words; a hyphenated word GloVe lacks is the mean of its parts.
    np.testing.assert_allclose(
        prep.concept_vector("Granny Smith", vector)[0], mean("granny", "smith")
    )
    np.testing.assert_allclose(prep.concept_vector("Shih-Tzu", vector)[0], mean("shih", "tzu"))
    np.testing.assert_allclose(
        prep.concept_vector("jack-o'-lantern", vector)[0], mean("jack", "o", "lantern")
    )
    # ... but a word GloVe has is taken whole.
    whole = {**vector, "shih-tzu": np.array([7.0, 7.0, 7.0])}
    np.testing.assert_allclose(prep.concept_vector("Shih-Tzu", whole)[0], [7.0, 7.0, 7.0])
    np.testing.assert_allclose(
        prep.concept_vector("Saint Bernard, St. Bernard", vector)[0], mean("st.", "bernard")
    )
    # A synonym with a missing word gives way to the next one; no synonym: no vector.
    got, synonym = prep.concept_vector("tabby cat, tabby", vector)
    np.testing.assert_allclose(got, vector["tabby"])
    assert synonym == "tabby"
    assert prep.concept_vector("kuvasz", vector) == (None, None)
    assert prep.concept_vector("pickelhaube, spiked helmet", vector) == (None, None)
    vocabulary = prep.concept_vocabulary(vector, ["kuvasz", "dog, hound", "tabby, tabby cat"])
    assert vocabulary["indices"].tolist() == [1, 2]
    assert vocabulary["names"] == ["dog", "tabby"]
    assert vocabulary["dropped"] == ["kuvasz"]
    np.testing.assert_allclose(vocabulary["vectors"], [vector["dog"], vector["tabby"]])
    with pytest.raises(ValueError, match="no class name"):
        prep.concept_vocabulary(vector, ["kuvasz"])


def test_glove_text_lookup(tmp_path):
    path = tmp_path / "g.txt"
    path.write_text("cat 1.0 2.0\ndog 3.0 4.0\n", encoding="utf-8")
    found = prep.glove_lookup(["dog", "bird"], path)
    assert list(found) == ["dog"]
    np.testing.assert_array_equal(found["dog"], [3.0, 4.0])


def test_written_files_have_the_drsh_layout(prepared):
    paths, out_dir = prepared["paths"], prepared["out_dir"]
    names = sorted(os.listdir(out_dir))
    assert names == sorted(
        [
            "features.h5",
            "attributes.h5",
            "imageclas.h5",
            "class.h5",
            "trainid.npy",
            "testid.npy",
            "databaseid.npy",
            "vocabulary.json",
        ]
    )
    train, query, database = (read_ids(paths[k]) for k in ("train_ids", "test_ids", "database_ids"))
    assert (train, query, database) == (
        [str(i) for i in range(6)],
        ["6", "7"],
        [str(i) for i in range(8, 12)],
    )
    with H5Entries(paths["features"]) as features, H5Entries(paths["attributes"]) as attributes:
        assert len(features) == len(attributes) == 12
        assert features.shape == (1280,) and attributes.shape == (TOP_K, DIM)
    membership = load_membership(paths["image_categories"], paths["category_images"])
    assert sorted(membership.category_images) == ["airplane", "cat"]
    assert membership.image_categories["1"] == ["cat"]
    assert membership.image_categories["8"] == ["airplane"]
    with open(paths["vocabulary"]) as handle:
        info = json.load(handle)
    # Classes 0..39 less goldfish (1) have their first synonym in the file (a later class may
    # too, when all its words are there); every other class is dropped.
    assert info["imagenet_index"][:39] == [0] + list(range(2, 40))
    assert info["dropped"][0] == IMAGENET_CLASSES[1]
    assert len(info["imagenet_index"]) + len(info["dropped"]) == 1000
    assert info["all_label"][:2] == ["tench", "great white shark"] and info["top_k"] == TOP_K


def test_attributes_are_the_top_k_classes_in_vocabulary_order(prepared):
    arrays, scorer = prepared["arrays"], prepared["scorer"]
    vocabulary = arrays["vocabulary"]
    paths, _ = prep.read_lists(prepared["folder"])["train"]
    features, logits = scorer.from_images(prep.centre_crops(paths, SIZE))
    kept = logits[:, vocabulary["indices"]]
    top = top_k_vocabulary_order(kept, TOP_K)
    assert np.all(np.diff(top, axis=1) > 0), "vocabulary order"
    np.testing.assert_array_equal(arrays["train_attributes"], vocabulary["vectors"][top])
    # The best vocabulary class is among them; a dropped class never is.
    best = kept.argmax(axis=1)
    assert all(b in row for b, row in zip(best, top))
    # Features: the pooled 1 280-d outputs less the training mean.
    assert features.std() > 0
    np.testing.assert_allclose(
        arrays["train_features"], features - features.mean(axis=0), rtol=1e-4, atol=1e-5
    )


def test_features_from_a_trunk_cache_equal_features_from_the_images(prepared, tmp_path):
    from keras_hashing.recipes.cached_trunk import build_list_cache

    folder, scorer = prepared["folder"], prepared["scorer"]
    cache_dir = tmp_path / "cache"
    build_list_cache(folder, cache_dir, scorer.trunk, train_views=2, verbose=0)
    cached = prep.build_arrays(
        folder, scorer, prepared["lookup"], TOP_K, trunk_cache=cache_dir, verbose=False
    )
    assert cached["source"].startswith("trunk cache")
    for part in ("train", "query", "database"):
        want = prepared["arrays"][f"{part}_features"]
        scale = np.abs(want).max()
        # float16 maps: about three significant digits.
        np.testing.assert_allclose(cached[f"{part}_features"], want, atol=2e-3 * scale)
        assert cached[f"{part}_ids"] == prepared["arrays"][f"{part}_ids"]
    # A cache of another split point (or other weights) is refused.
    other = prep.ImageNetScorer("lite0", split_at=14, image_size=SIZE, weights=None)
    with pytest.raises(ValueError, match="blocks 0..13"):
        prep.build_arrays(
            folder, other, prepared["lookup"], TOP_K, trunk_cache=cache_dir, verbose=False
        )


def test_feature_norm_rescales_every_part_by_one_factor(prepared):
    arrays = prepared["arrays"]
    scaled = prep.build_arrays(
        prepared["folder"],
        prepared["scorer"],
        prepared["lookup"],
        TOP_K,
        feature_norm=32.0,
        verbose=False,
    )
    np.testing.assert_allclose(
        np.linalg.norm(scaled["train_features"], axis=1).mean(), 32.0, rtol=1e-4
    )
    assert_rescaled_by_one_factor(scaled, arrays, rtol=1e-4)


def test_benchmark_reads_the_cifar10_folder(prepared):
    import bench_drsh

    out_dir, arrays = str(prepared["out_dir"]), prepared["arrays"]
    read = read_drsh_files(out_dir)
    for part in ("train", "query", "database"):
        assert read[f"{part}_ids"] == arrays[f"{part}_ids"]
        np.testing.assert_allclose(
            read[f"{part}_features"], arrays[f"{part}_features"], rtol=1e-6, atol=1e-6
        )
        np.testing.assert_array_equal(read[f"{part}_attributes"], arrays[f"{part}_attributes"])
    # Labels in sorted category order: airplane, cat.
    np.testing.assert_array_equal(read["train_labels"][:, 1], np.arange(6) % 2)

    loaded = bench_drsh.load_prepared(out_dir, feature_norm=10.0)
    np.testing.assert_allclose(
        np.linalg.norm(loaded["train_features"], axis=1).mean(), 10.0, rtol=1e-4
    )
    # Validation: held-out training ids become the queries; the protocol's queries are unused.
    held = bench_drsh.load_prepared(out_dir, feature_norm=10.0, validation=2, seed=0)
    assert len(held["query_ids"]) == 2 and len(held["train_ids"]) == 4
    assert sorted(held["query_ids"] + held["train_ids"]) == sorted(arrays["train_ids"])
    assert held["database_ids"] == arrays["database_ids"]
    np.testing.assert_allclose(
        np.linalg.norm(held["train_features"], axis=1).mean(), 10.0, rtol=1e-4
    )
    with pytest.raises(ValueError, match="--validation"):
        bench_drsh.load_prepared(out_dir, validation=6)


def test_benchmark_prints_the_cifar10_table(prepared, capsys):
    import bench_drsh

    out_dir = str(prepared["out_dir"])
    rows, speed = bench_drsh.main(
        [
            "--dataset",
            "cifar10",
            "--data-dir",
            out_dir,
            "--bits",
            "8",
            "--epochs",
            "1",
            "--batch-size",
            "2",
            "--hidden-dim",
            "4",
            "--speed-steps",
            "0",
            "--feature-norm",
            "64",
        ]
    )
    assert speed == [] and len(rows) == 1
    bits, itq_map, drsh_map = rows[0][:3]
    assert bits == 8 and 0 < itq_map <= 1 and 0 < drsh_map <= 1
    printed = capsys.readouterr().out
    assert "CIFAR-10 mAP@ALL (R=4, 2 test queries)" in printed
    assert "attributes top-3 ImageNet classes x 5-d GloVe" in printed
    assert f"| 8 | {itq_map:.4f} | {drsh_map:.4f} |" in printed
