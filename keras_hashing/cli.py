"""The `keras-hashing` command: encode images, build an index, search it, evaluate codes.

    keras-hashing encode   --model dch.keras --images photos/ --output database.npz
    keras-hashing index    --codes database.npz --output database.hidx
    keras-hashing search   --index database.hidx --model dch.keras --query-images q.jpg \\
                           --database database.npz --k 10 --grid neighbours.png
    keras-hashing evaluate --query query.npz --database database.npz

A codes file (`.npz`) holds `codes` (`{-1, +1}` int8), `ids` (int64) and, when known, `outputs`
(the real-valued outputs), `paths` (image files) and `labels` (multi-hot). Bad input ends the
command with one line on stderr and exit status 2.
"""

import argparse
import json
import os
import sys

import numpy as np

from keras_hashing import validation

IMAGE_EXTENSIONS = (".bmp", ".jpeg", ".jpg", ".png", ".ppm", ".tif", ".tiff", ".webp")
EXIT_BAD_INPUT = 2


class UsageError(ValueError):
    """Bad input to the command line, reported as one line on stderr."""


class _Parser(argparse.ArgumentParser):
    # argparse prints the whole usage before its error; one line is easier to read in a log.
    def error(self, message):
        raise UsageError(message)


# --- codes files ---------------------------------------------------------------------------
def read_codes_file(path: str, need=("codes", "ids")) -> dict:
    """The arrays of a codes file, checked to hold `need` and agree in length."""
    if not os.path.isfile(path):
        raise UsageError(f"{path}: no such codes file.")
    try:
        with np.load(path, allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
    except (OSError, ValueError) as error:
        raise UsageError(f"{path}: not a codes file written by `keras-hashing encode` ({error}).")
    for name in need:
        if name not in arrays:
            raise UsageError(
                f"{path}: has no {name!r} array (found {sorted(arrays)}); write it with "
                "`keras-hashing encode`."
            )
    rows = {name: len(value) for name, value in arrays.items() if value.ndim}
    if len(set(rows.values())) > 1:
        raise UsageError(f"{path}: arrays of different lengths {rows}.")
    return arrays


def write_codes_file(path: str, **arrays) -> None:
    with open(path, "wb") as file:
        np.savez(file, **{name: value for name, value in arrays.items() if value is not None})


# --- images --------------------------------------------------------------------------------
def folder_images(folder: str) -> list:
    """Image files directly inside `folder`, sorted by name."""
    if not os.path.isdir(folder):
        raise UsageError(f"{folder}: no such folder.")
    names = sorted(name for name in os.listdir(folder) if name.lower().endswith(IMAGE_EXTENSIONS))
    if not names:
        raise UsageError(f"{folder}: holds no image file ({', '.join(IMAGE_EXTENSIONS)}).")
    return [os.path.join(folder, name) for name in names]


def image_paths(sources: list) -> list:
    """Files named on the command line, with each folder replaced by its images."""
    paths = []
    for source in sources:
        if os.path.isdir(source):
            paths.extend(folder_images(source))
        elif os.path.isfile(source):
            paths.append(source)
        else:
            raise UsageError(f"{source}: no such image file or folder.")
    return paths


def input_format(model, pixels: str) -> tuple:
    """`(pixels, height, width, channels)` the model takes; "caffe" for a cropping preprocessor."""
    if pixels == "auto":
        pixels = "caffe" if model.preprocessor is not None else "unit"
    if pixels == "caffe":
        return "caffe", 256, 256, 3
    shape = tuple(model.backbone.input_shape)
    if len(shape) != 4 or None in shape[1:]:
        raise UsageError(
            f"the model's backbone takes inputs of shape {shape}; expected (None, H, W, C)."
        )
    return ("unit",) + tuple(int(size) for size in shape[1:])


def load_images(paths: list, image_format: tuple) -> np.ndarray:
    """Images as the model takes them: float [0, 1] resized (and gray if C == 1), or Caffe's
    256x256 BGR uint8 (`keras_hashing.data.image_list.load_image`)."""
    import cv2

    pixels, height, width, channels = image_format
    images = []
    for path in paths:
        image = cv2.imread(path, cv2.IMREAD_COLOR)
        if image is None:
            raise UsageError(f"{path}: OpenCV cannot read this image.")
        image = cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR)
        if pixels == "caffe":
            images.append(image)
            continue
        if channels == 1:
            image = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)[..., None]
        elif channels == 3:
            image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        else:
            raise UsageError(f"the model takes {channels}-channel images; expected 1 or 3.")
        images.append(image.astype(np.float32) / 255.0)
    return np.stack(images)


def load_model(path: str):
    import keras

    import keras_hashing  # noqa: F401 - registers the classes a saved model names

    if not os.path.isfile(path):
        raise UsageError(f"{path}: no such model file.")
    try:
        return keras.models.load_model(path, compile=False)
    except (OSError, ValueError, TypeError) as error:
        raise UsageError(f"{path}: cannot load the model ({str(error).splitlines()[0]}).")


def predict_paths(model, paths, args) -> np.ndarray:
    """Real outputs of image files, a batch at a time, with a progress bar."""
    from tqdm import tqdm

    image_format = input_format(model, args.pixels)
    outputs = []
    batches = range(0, len(paths), args.batch_size)
    for start in tqdm(batches, desc="encoding", unit="batch", disable=args.quiet, file=sys.stderr):
        images = load_images(paths[start : start + args.batch_size], image_format)
        outputs.append(np.asarray(model.predict(images, verbose=0), np.float32))
    return np.concatenate(outputs)


def sign_codes(outputs: np.ndarray) -> np.ndarray:
    # sign(0) = +1, the rule of `model.encode` (keras_hashing.layers.sign_codes).
    return np.where(outputs >= 0, 1, -1).astype(np.int8)


# --- subcommands ---------------------------------------------------------------------------
def run_encode(args) -> None:
    sources = [args.images is not None, args.list is not None, args.dataset is not None]
    if sum(sources) != 1:
        raise UsageError("give exactly one of --images, --list or --dataset.")
    model = load_model(args.model)
    labels = paths = None
    if args.dataset is not None:
        from keras_hashing.data.registry import load_retrieval_data

        data = load_retrieval_data(args.dataset, data_dir=args.data_dir)
        part = data.query if args.split == "query" else data.database
        labels = data.query_labels if args.split == "query" else data.database_labels
        outputs = np.asarray(model.predict(part, verbose=0 if args.quiet else 1), np.float32)
    else:
        if args.list is not None:
            from keras_hashing.data.image_list import read_image_list

            paths, labels = read_image_list(args.list, data_root=args.data_dir)
        else:
            paths = folder_images(args.images)
        outputs = predict_paths(model, paths, args)
    write_codes_file(
        args.output,
        codes=sign_codes(outputs),
        ids=np.arange(len(outputs), dtype=np.int64),
        outputs=outputs,
        paths=None if paths is None else np.array(paths, dtype=str),
        labels=None if labels is None else np.asarray(labels),
    )
    print(f"wrote {len(outputs)} codes of {outputs.shape[1]} bits to {args.output}")


def run_index(args) -> None:
    from keras_hashing.index import HammingIndex
    from keras_hashing.index.milvus_index import MilvusHammingIndex

    stored = read_codes_file(args.codes)
    codes = stored["codes"]
    if codes.ndim != 2:
        raise UsageError(f"{args.codes}: 'codes' must be 2-D, found shape {codes.shape}.")
    code_length = int(args.code_length or codes.shape[1])
    if args.backend == "milvus":
        if args.nlist or args.hash_bits:
            raise UsageError("--nlist and --hash-bits apply to --backend faiss only.")
        with MilvusHammingIndex(code_length, uri=args.output, collection=args.collection) as index:
            index.add(codes, ids=stored["ids"])
            index.save()
            size = len(index)
    else:
        index = HammingIndex(
            code_length, nlist=args.nlist, nprobe=args.nprobe, hash_bits=args.hash_bits
        )
        index.add(codes, ids=stored["ids"])
        index.save(args.output)
        size = len(index)
    print(f"indexed {size} codes of {code_length} bits in {args.output} ({args.backend})")


def open_index(args):
    from keras_hashing.index import HammingIndex
    from keras_hashing.index.milvus_index import MilvusHammingIndex
    from keras_hashing.index.milvus_index import is_milvus_uri

    if is_milvus_uri(args.index):
        if args.code_length is None:
            raise UsageError("a Milvus index needs --code-length (bits per code).")
        if args.index.endswith(".db") and not os.path.isfile(args.index):
            raise UsageError(f"{args.index}: no such milvus-lite file.")
        return MilvusHammingIndex(args.code_length, uri=args.index, collection=args.collection)
    if not os.path.isfile(args.index):
        raise UsageError(f"{args.index}: no such index file.")
    return HammingIndex.load(args.index)


def run_search(args) -> None:
    from keras_hashing.index.milvus_index import MilvusHammingIndex

    if (args.k is None) == (args.radius is None):
        raise UsageError("give exactly one of --k or --radius.")
    if (args.query_codes is None) == (args.query_images is None):
        raise UsageError("give exactly one of --query-codes or --query-images.")
    database = read_codes_file(args.database) if args.database else None
    if args.grid and (database is None or "paths" not in database):
        raise UsageError(
            "--grid needs --database, the codes file the index was built from, with image paths."
        )
    if args.query_images is not None:
        if args.model is None:
            raise UsageError("--query-images needs --model to encode them.")
        query_paths = image_paths(args.query_images)
        codes = sign_codes(predict_paths(load_model(args.model), query_paths, args))
        query_names = query_paths
    else:
        stored = read_codes_file(args.query_codes)
        codes = stored["codes"]
        query_paths = list(stored["paths"]) if "paths" in stored else None
        query_names = [int(item) for item in stored["ids"]]
        if args.grid and query_paths is None:
            raise UsageError(f"--grid needs query images; {args.query_codes} holds no paths.")
    index = open_index(args)
    try:
        if args.k is not None:
            distances, ids = index.search(codes, args.k)
            found = [(row_d[row_i >= 0], row_i[row_i >= 0]) for row_d, row_i in zip(distances, ids)]
        else:
            found = list(zip(*index.range_search(codes, args.radius)))
    finally:
        if isinstance(index, MilvusHammingIndex):
            index.close()
    database_paths = {}
    if database is not None and "paths" in database:
        database_paths = dict(zip(database["ids"].tolist(), database["paths"].tolist()))
    results = []
    for name, (row_distances, row_ids) in zip(query_names, found):
        neighbours = []
        for distance, item in zip(row_distances.tolist(), row_ids.tolist()):
            neighbour = {"id": item, "distance": distance}
            if item in database_paths:
                neighbour["path"] = database_paths[item]
            neighbours.append(neighbour)
        results.append({"query": name, "neighbours": neighbours})
    text = json.dumps(results, indent=2)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as file:
            file.write(text + "\n")
    else:
        print(text)
    if args.grid:
        save_grid(args.grid, query_paths, results, args.grid_columns)


def save_grid(path: str, query_paths: list, results: list, columns: int) -> None:
    """One row per query: the query image, then its nearest neighbours with their distances."""
    import cv2
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = len(results)
    # No empty columns when every query has fewer neighbours than `columns`.
    shown = max([1] + [min(columns, len(result["neighbours"])) for result in results])
    width = 1 + shown
    figure, axes = plt.subplots(rows, width, figsize=(1.6 * width, 1.8 * rows), squeeze=False)
    for row, (query_path, result) in enumerate(zip(query_paths, results)):
        cells = [(query_path, "query")] + [
            (item["path"], f"id {item['id']}, d={item['distance']}")
            for item in result["neighbours"][:shown]
        ]
        for column in range(width):
            axis = axes[row, column]
            axis.axis("off")
            if column < len(cells):
                image = cv2.imread(str(cells[column][0]), cv2.IMREAD_COLOR)
                if image is not None:
                    axis.imshow(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
                axis.set_title(cells[column][1], fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def run_evaluate(args) -> None:
    from keras_hashing.metrics import deephash_report

    query = read_codes_file(args.query, need=("codes", "labels"))
    database = read_codes_file(args.database, need=("codes", "labels"))
    if query["codes"].shape[1] != database["codes"].shape[1]:
        raise UsageError(
            f"query codes have {query['codes'].shape[1]} bits, database codes "
            f"{database['codes'].shape[1]}."
        )
    R = args.R or len(database["codes"])
    if not 1 <= R <= len(database["codes"]):
        raise UsageError(f"--R must be in 1..{len(database['codes'])}, found {R}.")
    # Without real outputs the "by feature" ranking is the Hamming one.
    report = deephash_report(
        query.get("outputs", query["codes"]).astype(np.float32),
        query["labels"],
        database.get("outputs", database["codes"]).astype(np.float32),
        database["labels"],
        R,
        radius=args.radius,
    )
    if args.json:
        print(json.dumps(report, indent=2))
        return
    width = max(len(name) for name in report)
    print(f"{'metric':<{width}}  value")
    for name, value in report.items():
        print(f"{name:<{width}}  {value:.4f}")
    print(f"({len(query['codes'])} queries, {len(database['codes'])} database items, R={R})")


# --- argument parsing ----------------------------------------------------------------------
# argparse names the flag itself ("argument --k: ..."), so the `validation` message, which would
# name the value again, is replaced by a short one.
def positive_int(text: str) -> int:
    try:
        return validation.positive_int("value", int(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, found {text!r}") from None


def nonnegative_int(text: str) -> int:
    try:
        return validation.nonnegative_int("value", int(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, found {text!r}") from None


def _add_image_flags(parser):
    parser.add_argument(
        "--pixels",
        choices=("auto", "unit", "caffe"),
        default="auto",
        help="how images become inputs: 'unit' resizes to the backbone's input and scales to "
        "[0, 1] (gray for 1 channel); 'caffe' gives 256x256 BGR uint8 for a model with a "
        "cropping preprocessor (AlexNet); 'auto' (default) picks from the model",
    )
    parser.add_argument(
        "--batch-size", type=positive_int, default=64, help="images per batch (default 64)"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="keras-hashing",
        description="Encode images with a trained keras_hashing model, index the codes, search "
        "them and evaluate them.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    encode = commands.add_parser(
        "encode", help="images -> codes file (.npz)", description="Encode images into codes."
    )
    encode.add_argument("--model", required=True, help="the trained model (.keras)")
    encode.add_argument("--images", help="a folder of images (its files, sorted by name)")
    encode.add_argument("--list", help="a DeepHash list file (`path l_0 ... l_L-1` per line)")
    encode.add_argument(
        "--dataset", help="a registered dataset (fashion_mnist, cifar10, tfds:<name>, ...)"
    )
    encode.add_argument(
        "--split",
        choices=("query", "database"),
        default="database",
        help="part of --dataset to encode (default database)",
    )
    encode.add_argument(
        "--data-dir", help="root of --dataset's files, or the folder --list paths are relative to"
    )
    encode.add_argument("--output", required=True, help="the codes file to write (.npz)")
    _add_image_flags(encode)
    encode.set_defaults(run=run_encode)

    index = commands.add_parser(
        "index", help="codes file -> saved index", description="Build and save a Hamming index."
    )
    index.add_argument("--codes", required=True, help="codes file from `encode`")
    index.add_argument(
        "--output",
        required=True,
        help="the index file to write (faiss), or the milvus-lite .db file / server URI",
    )
    index.add_argument(
        "--backend", choices=("faiss", "milvus"), default="faiss", help="default faiss"
    )
    index.add_argument("--nlist", type=positive_int, help="IVF cells (faiss; default: flat)")
    index.add_argument(
        "--nprobe", type=positive_int, default=1, help="IVF cells a search visits (default 1)"
    )
    index.add_argument(
        "--hash-bits", type=positive_int, help="hash table on this many bits (faiss)"
    )
    index.add_argument(
        "--code-length", type=positive_int, help="bits per code (default: the codes' width)"
    )
    index.add_argument(
        "--collection", default="codes", help="Milvus collection name (default codes)"
    )
    index.set_defaults(run=run_index)

    search = commands.add_parser(
        "search",
        help="query images or codes -> neighbours as JSON",
        description="Search an index; prints (or writes) JSON: one entry per query with its "
        "neighbours' ids, distances and, given --database, image paths.",
    )
    search.add_argument("--index", required=True, help="index file, milvus-lite .db or URI")
    search.add_argument("--query-images", nargs="+", help="image files or folders to encode")
    search.add_argument("--query-codes", help="a codes file of queries")
    search.add_argument("--model", help="the model that encodes --query-images (.keras)")
    search.add_argument("--k", type=positive_int, help="number of nearest neighbours")
    search.add_argument(
        "--radius", type=nonnegative_int, help="every item within this Hamming distance"
    )
    search.add_argument(
        "--database", help="the codes file the index was built from (for image paths)"
    )
    search.add_argument("--output", help="JSON file to write (default: stdout)")
    search.add_argument("--grid", help="PNG file: each query with its nearest neighbours")
    search.add_argument(
        "--grid-columns",
        type=positive_int,
        default=8,
        help="neighbours per row of --grid (default 8)",
    )
    search.add_argument(
        "--code-length", type=positive_int, help="bits per code (needed for a Milvus index)"
    )
    search.add_argument(
        "--collection", default="codes", help="Milvus collection name (default codes)"
    )
    _add_image_flags(search)
    search.set_defaults(run=run_search)

    evaluate = commands.add_parser(
        "evaluate",
        help="query + database codes with labels -> metrics table",
        description="thulab/DeepHash's retrieval metrics (keras_hashing.metrics.deephash_report).",
    )
    evaluate.add_argument("--query", required=True, help="codes file of the queries, with labels")
    evaluate.add_argument(
        "--database", required=True, help="codes file of the database, with labels"
    )
    evaluate.add_argument(
        "--R", type=positive_int, help="mAP cut-off (default: the whole database)"
    )
    evaluate.add_argument(
        "--radius", type=nonnegative_int, default=2, help="Hamming radius (default 2)"
    )
    evaluate.add_argument("--json", action="store_true", help="print JSON instead of a table")
    evaluate.set_defaults(run=run_evaluate)
    return parser


def main(argv: list | None = None) -> int:
    """Runs the command line; returns the exit status (0, or 2 for bad input)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        args.run(args)
    except (UsageError, ValueError, OSError, ImportError) as error:
        command = f"keras-hashing {argv_command(argv)}".rstrip()
        message = " ".join(str(error).split())
        print(f"{command}: error: {message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0


def argv_command(argv) -> str:
    argv = sys.argv[1:] if argv is None else argv
    return argv[0] if argv and not argv[0].startswith("-") else ""


if __name__ == "__main__":
    sys.exit(main())
