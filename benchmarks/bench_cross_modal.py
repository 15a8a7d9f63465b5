"""DADH, DJSRH and CCA + ITQ on Open Clip Art or on two-view Fashion-MNIST.

    python benchmarks/bench_cross_modal.py                       # Fashion-MNIST, 16/32/64 bits
    python benchmarks/bench_cross_modal.py --bits 32 --dadh-epochs 2 --djsrh-epochs 2
    python benchmarks/bench_cross_modal.py --timing-only   # s/epoch at the original widths
    python benchmarks/bench_cross_modal.py --dataset openclipart --data-dir ~/data/openclipart \
        --bits 32 --validation --eval-every 10 --out val.json        # choose the epoch counts
    python benchmarks/bench_cross_modal.py --dataset openclipart --data-dir ~/data/openclipart \
        --out oca.json --plot oca_curves.png                         # the table (resumable)

Open Clip Art (`--dataset openclipart`): the folder written by `data/openclipart/prepare.py
--no-links --features-from lite0`. Image = the ImageNet EfficientNet-Lite0 pooled 1 280-d
features (in place of DADH's CNN-F 4 096-d and DJSRH's AlexNet fc7 features), text = the 0/1 bag
of K = 1 000 words, labels = the one-hot category; 1 000 queries, the database, and the first
4 000 database items as training pairs. DADH and CCA get the features standardised as DADH's
`datasets/data_handler.py` does (one global scalar mean and deviation); DJSRH gets them raw, as
its fc7 features are, and builds its image affinity from them. `--validation` replaces the
queries by the last 500 training pairs, searched among the other training pairs (also the
training set): epoch counts are chosen there, never on the queries; `--eval-every` scores the
split every few epochs of one run.

Two-view Fashion-MNIST (default; top half = "image", bottom half = "text") is a fast fixture:
train 5 000, query 1 000, database 69 000; I->T ranks the database bottom halves by the query top
halves' codes, T->I the reverse. Both datasets: mAP@ALL over Hamming ranking, ties by database
index, every query counted, and mAP@50 (DJSRH's `calculate_top_map` cut-off, ties by index too).
Nothing is selected on the query set.

Settings: DADH with its defaults (batch 128, lr 5e-5, alpha 10, beta 1, gamma 1, margin 0.4,
lamb 1, mu 1e-5, the B-step every epoch, the decay after epoch 0) but `--dadh-hidden` (1024 by
default, against 8192 in the original, for two CPU cores) and `--dadh-epochs` (300 originally).
DJSRH with the original's MIRFlickr settings (batch 32, beta 0.9, eta 0.4, mu 1.5, lambda 0.1,
SGD 0.9, lr 0.001 image / 0.01 text, weight decay 5e-4), or its settings for another dataset
(`--djsrh-settings WIKI`: beta 0.3, lambda 0.3, lr 0.01 for both), `--djsrh-beta` replacing the
image share of the affinity, on an image MLP (dropout, 1024, ReLU, dropout, 1024, ReLU, the
classifier half of AlexNet in small) on the frozen features (Fashion-MNIST: the raw half-image
vectors), which also give the image affinity; `--djsrh-epochs` (80 originally).
Baseline: CCA between the two views on the training pairs (closed form, ridge 1e-4), then ITQ on
the projected training pairs.
"""

import argparse
import dataclasses
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def cca(x, y, dim, ridge=1e-4):
    """Closed-form regularised CCA: projections `(Wx, Wy)` and the feature means."""
    mx, my = x.mean(0), y.mean(0)
    xc, yc = x - mx, y - my
    n = len(x)
    cxx = xc.T @ xc / n + ridge * np.eye(x.shape[1])
    cyy = yc.T @ yc / n + ridge * np.eye(y.shape[1])
    cxy = xc.T @ yc / n

    def inverse_sqrt(c):
        values, vectors = np.linalg.eigh(c)
        return vectors @ np.diag(values**-0.5) @ vectors.T

    wx, wy = inverse_sqrt(cxx), inverse_sqrt(cyy)
    u, _, vt = np.linalg.svd(wx @ cxy @ wy)
    return wx @ u[:, :dim], wy @ vt.T[:, :dim], mx, my


def baseline(data, bits, seed):
    from keras_hashing.baselines import ITQ

    x, y = data.train.images.astype("float64"), data.train.texts.astype("float64")
    px, py, mx, my = cca(x, y, bits)
    itq = ITQ(bits, seed=seed).fit(np.concatenate([(x - mx) @ px, (y - my) @ py]))

    def codes(images=None, texts=None):
        if images is not None:
            return itq.encode((images.astype("float64") - mx) @ px)
        return itq.encode((texts.astype("float64") - my) @ py)

    return (
        codes(images=data.query.images),
        codes(texts=data.query.texts),
        codes(images=data.database.images),
        codes(texts=data.database.texts),
    )


def train_dadh(data, bits, args, epochs, hidden, callbacks=()):
    import keras

    from keras_hashing.callbacks import DADHCodeUpdate
    from keras_hashing.callbacks import DADHLearningRateDecay
    from keras_hashing.data.cross_modal import paired_dataset
    from keras_hashing.models import DADH

    keras.utils.set_random_seed(args.seed)
    model = DADH(
        image_dim=data.train.images.shape[1],
        text_dim=data.text_dim,
        num_labels=data.num_labels,
        num_train=len(data.train),
        code_length=bits,
        hidden_dim=hidden,
        seed=args.seed,
    )
    model.compile()
    dataset = paired_dataset(
        data.train, 128, training=True, shuffle_seed=args.seed, with_index=True
    )
    times = EpochTimes()
    model.fit(
        dataset,
        epochs=epochs,
        verbose=0,
        callbacks=[DADHCodeUpdate(data.train.labels), DADHLearningRateDecay(), times, *callbacks],
    )
    return model, times.seconds


def djsrh_beta(args):
    """DJSRH's affinity image share: `--djsrh-beta`, else the chosen settings' own."""
    from keras_hashing.models.djsrh import DJSRH_SETTINGS

    if args.djsrh_beta is not None:
        return args.djsrh_beta
    return DJSRH_SETTINGS[args.djsrh_settings]["beta"]


def train_djsrh(data, bits, args, epochs, callbacks=()):
    import keras

    from keras_hashing.callbacks import DJSRHSlopeSchedule
    from keras_hashing.data.cross_modal import paired_dataset
    from keras_hashing.models import DJSRH
    from keras_hashing.models.djsrh import DJSRH_SETTINGS

    settings = DJSRH_SETTINGS[args.djsrh_settings]
    keras.utils.set_random_seed(args.seed)
    width = data.train.images.shape[1]
    image_mlp = keras.Sequential(
        [
            keras.Input((width,)),
            keras.layers.Dropout(0.5),
            keras.layers.Dense(1024, activation="relu", name="fc6"),
            keras.layers.Dropout(0.5),
            keras.layers.Dense(1024, activation="relu", name="fc7"),
        ],
        name="image_mlp",
    )
    model = DJSRH(
        image_mlp,
        data.text_dim,
        code_length=bits,
        beta=djsrh_beta(args),
        eta=0.4,
        mu=1.5,
        lambda1=settings["lambda1"],
        lambda2=settings["lambda2"],
        seed=args.seed,
    )
    model.compile(optimizer=model.make_optimizer(settings["lr_img"], settings["lr_txt"], 0.9))
    dataset = paired_dataset(
        data.train,
        32,
        training=True,
        shuffle_seed=args.seed,
        drop_remainder=True,
        with_labels=False,
    )
    times = EpochTimes()
    model.fit(
        dataset, epochs=epochs, verbose=0, callbacks=[DJSRHSlopeSchedule(), times, *callbacks]
    )
    return model, times.seconds


def EpochTimes():
    import keras

    class _EpochTimes(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seconds = []

        def on_epoch_begin(self, epoch, logs=None):
            self._start = time.time()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.time() - self._start)

    return _EpochTimes()


def model_codes(model, data):
    return (
        model.encode_image(data.query.images),
        model.encode_text(data.query.texts),
        model.encode_image(data.database.images),
        model.encode_text(data.database.texts),
    )


def scores(data, codes):
    """mAP@ALL and mAP@50 (DJSRH's cut-off) in both directions, ties in database order."""
    from keras_hashing.metrics import cross_modal_map

    query_image, query_text, database_image, database_text = codes
    result = {}
    for suffix, top_k in (("all", None), ("50", 50)):
        result[f"i2t_map_{suffix}"] = float(
            cross_modal_map(
                query_image,
                data.query.labels,
                database_text,
                data.database.labels,
                top_k=top_k,
                verbose=False,
            )
        )
        result[f"t2i_map_{suffix}"] = float(
            cross_modal_map(
                query_text,
                data.query.labels,
                database_image,
                data.database.labels,
                top_k=top_k,
                verbose=False,
            )
        )
    return result


TOP_R = (1, 5, 10, 20, 50, 100, 200, 300, 500, 750, 1000, 1500, 2000, 3000)


def top_r_curves(data, codes):
    """Precision@top-R (DJSRH's curves) for I->T and T->I, as JSON-ready lists."""
    from keras_hashing.metrics import precision_at_top_r

    query_image, query_text, database_image, database_text = codes
    cut_offs = [r for r in TOP_R if r <= len(data.database)]
    i2t = precision_at_top_r(
        query_image,
        data.query.labels,
        database_text,
        data.database.labels,
        cut_offs,
        verbose=False,
    )
    t2i = precision_at_top_r(
        query_text,
        data.query.labels,
        database_image,
        data.database.labels,
        cut_offs,
        verbose=False,
    )
    return {"top_r": cut_offs, "i2t": [float(v) for v in i2t], "t2i": [float(v) for v in t2i]}


def EvaluateEvery(data, every, epochs):
    """A callback scoring the model's codes on `data` every `every` epochs and after the last."""
    import keras

    class _EvaluateEvery(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.history = []

        def on_epoch_end(self, epoch, logs=None):
            done = epoch + 1
            if done % every == 0 or done == epochs:
                start = time.time()
                record = {"epoch": done, **scores(data, model_codes(self.model, data))}
                print(
                    f"  epoch {done}: I->T {record['i2t_map_all']:.4f}, T->I "
                    f"{record['t2i_map_all']:.4f} (scored in {time.time() - start:.0f} s)",
                    flush=True,
                )
                self.history.append(record)

    return _EvaluateEvery()


def _take(part, positions):
    from keras_hashing.data.cross_modal import CrossModalPart

    return CrossModalPart(
        part.images[positions],
        part.texts[positions],
        part.labels[positions],
        part.indices[positions],
    )


def validation_split(data, size):
    """The last `size` training pairs as queries against the other training pairs.

    The other training pairs are both the training set and the database, so nothing outside
    the training pairs is seen: the split that epoch counts are chosen on.
    """
    from keras_hashing.data.cross_modal import CrossModalData

    if not 0 < size < len(data.train):
        raise ValueError(f"--validation-size must lie in 1..{len(data.train) - 1}, found {size}.")
    rest = _take(data.train, slice(0, len(data.train) - size))
    held_out = _take(data.train, slice(len(data.train) - size, None))
    return CrossModalData(f"{data.name}_validation", rest, held_out, rest)


def standardized(data):
    """DADH's global standardisation: one scalar mean and deviation over every item's features.

    Zjut-MultimediaPlus/DADH `datasets/data_handler.py` applies it to the whole feature matrix
    (the database and the queries: every item once).
    """
    everything = np.concatenate([data.database.images, data.query.images]).astype("float64")
    mean, deviation = everything.mean(), everything.std()

    def scale(part):
        images = ((part.images - mean) / deviation).astype("float32")
        return dataclasses.replace(part, images=images)

    return dataclasses.replace(
        data, train=scale(data.train), query=scale(data.query), database=scale(data.database)
    )


def load_views(dataset, data_dir):
    """`(dadh_and_baseline_data, djsrh_data)`: the same data, scaled for each method."""
    if dataset == "fashion_mnist":
        from keras_hashing.data.cross_modal import two_view_fashion_mnist

        data = two_view_fashion_mnist(data_dir=data_dir)
        return data, data
    from keras_hashing.data.openclipart import load_openclipart

    raw = load_openclipart(data_dir, standardize=False, require_features=True)
    return standardized(raw), raw


def load_results(path):
    if path and os.path.isfile(path):
        with open(path) as handle:
            return json.load(handle)
    return {"runs": {}}


def save_result(path, key, record):
    """Adds one run to the JSON file, re-read first so that runs written meanwhile stay."""
    if not path:
        return
    results = load_results(path)
    results.setdefault("runs", {})[key] = record
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    temporary = f"{path}.{os.getpid()}.tmp"
    with open(temporary, "w") as handle:
        json.dump(results, handle, indent=1)
    os.replace(temporary, path)


def run_key(data, method, bits, epochs=None, hidden=None, seed=0):
    parts = [data.name, method, f"{bits}bits", f"seed{seed}"]
    if epochs is not None:
        parts.append(f"{epochs}ep")
    if hidden is not None:
        parts.append(f"hidden{hidden}")
    return "|".join(parts)


def plot_top_r(records, path, title):
    """Precision@top-R of every method: I->T on the left, T->I on the right."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 4.2))
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, 2)
    for axis, key, label in zip(axes, ("i2t", "t2i"), ("image -> text", "text -> image")):
        for record in records:
            curves = record["curves"]
            axis.plot(curves["top_r"], curves[key], marker="o", markersize=3, label=record["label"])
        axis.set_xscale("log")
        axis.set_xlabel("R (top retrieved)")
        axis.set_ylabel("precision")
        axis.set_title(f"{label}: precision@top-R")
        axis.grid(True, alpha=0.3)
        axis.legend(fontsize=8)
    figure.suptitle(title)
    figure.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    figure.savefig(path, format="png", dpi=90)
    return path


def timing(data, djsrh_data, args):
    """Epoch time at the original batch sizes and widths, from a few steps after a warm-up."""
    steps = args.timing_steps

    def first(source, count):
        return dataclasses.replace(source, train=_take(source.train, slice(0, count)))

    # A traced warm-up epoch of the same length first (a full DADH epoch at hidden 8192 takes
    # minutes on two CPU cores).
    _, dadh_times = train_dadh(first(data, 128 * steps), 64, args, epochs=2, hidden=8192)
    _, djsrh_times = train_djsrh(first(djsrh_data, 32 * steps * 4), 64, args, epochs=2)
    pairs = len(data.train)
    dadh_epoch = dadh_times[1] / steps * int(np.ceil(pairs / 128))
    djsrh_epoch = djsrh_times[1] / (steps * 4) * (pairs // 32)
    print(f"| method | batch | s/step | s/epoch ({pairs} pairs) |")
    print("|---|---|---|---|")
    print(
        f"| DADH, hidden 8192 (original widths), 64 bits | 128 | {dadh_times[1] / steps:.2f} "
        f"| {dadh_epoch:.0f} |"
    )
    print(
        f"| DJSRH, image MLP 1024, text 4096, 64 bits | 32 | "
        f"{djsrh_times[1] / (steps * 4):.3f} | {djsrh_epoch:.1f} |"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dataset", choices=("fashion_mnist", "openclipart"), default="fashion_mnist"
    )
    parser.add_argument(
        "--data-dir",
        help="openclipart: the folder of data/openclipart/prepare.py --features-from lite0 "
        "(default ~/data/openclipart); fashion_mnist: the IDX folder (default: the library's)",
    )
    parser.add_argument("--bits", default="16,32,64")
    parser.add_argument("--dadh-epochs", type=int, default=20)
    parser.add_argument("--dadh-hidden", type=int, default=1024)
    parser.add_argument("--djsrh-epochs", type=int, default=20)
    parser.add_argument(
        "--djsrh-settings",
        choices=("MIRFlickr", "NUSWIDE", "WIKI"),
        default="MIRFlickr",
        help="the original's settings for one of its datasets: affinity image share (beta), "
        "loss weights (lambda1, lambda2) and learning rates (zs-zhong/DJSRH settings.py)",
    )
    parser.add_argument(
        "--djsrh-beta",
        type=float,
        default=None,
        help="replaces the settings' image share of DJSRH's affinity (0.9 MIRFlickr, "
        "0.6 NUS-WIDE, 0.3 Wiki)",
    )
    parser.add_argument("--methods", default="baseline,dadh,djsrh")
    parser.add_argument(
        "--validation",
        action="store_true",
        help="score on the last --validation-size training pairs against the other training "
        "pairs (which also train), not on the queries",
    )
    parser.add_argument("--validation-size", type=int, default=500)
    parser.add_argument(
        "--eval-every", type=int, default=0, help="also score every N epochs (0: at the end)"
    )
    parser.add_argument("--out", help="JSON of the results; runs already in it are skipped")
    parser.add_argument("--plot", help="PNG of precision@top-R of the methods at --plot-bits")
    parser.add_argument("--plot-bits", type=int, default=32)
    parser.add_argument(
        "--timing-only",
        action="store_true",
        help="one DADH epoch at hidden_dim 8192 and one DJSRH epoch, 64 bits",
    )
    parser.add_argument("--timing-steps", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import keras

    data_dir = args.data_dir
    if args.dataset == "openclipart" and data_dir is None:
        data_dir = "~/data/openclipart"
    data, djsrh_data = load_views(args.dataset, data_dir)
    if args.validation:
        data = validation_split(data, args.validation_size)
        djsrh_data = validation_split(djsrh_data, args.validation_size)
    print(
        f"{data.name}: train {len(data.train)}, query {len(data.query)}, "
        f"database {len(data.database)}, views {data.train.images.shape[1]} + {data.text_dim}, "
        f"{data.num_labels} labels; backend {keras.backend.backend()}",
        flush=True,
    )
    if args.timing_only:
        timing(data, djsrh_data, args)
        return
    methods = args.methods.split(",")
    results = load_results(args.out)
    runs = results.setdefault("runs", {})
    all_bits = [int(b) for b in args.bits.split(",")]
    for bits in all_bits:
        for method in methods:
            if method == "baseline":
                key = run_key(data, method, bits, seed=args.seed)
                label, epochs = "CCA + ITQ", None
            elif method == "dadh":
                epochs = args.dadh_epochs
                key = run_key(data, method, bits, epochs, args.dadh_hidden, args.seed)
                label = f"DADH ({epochs} ep, hidden {args.dadh_hidden})"
            elif method == "djsrh":
                epochs = args.djsrh_epochs
                key = run_key(data, method, bits, epochs, seed=args.seed)
                label = f"DJSRH ({epochs} ep)"
                if args.djsrh_settings != "MIRFlickr":
                    key += f"|{args.djsrh_settings}"
                    label = f"DJSRH ({epochs} ep, {args.djsrh_settings} settings)"
                if args.djsrh_beta is not None:
                    key += f"|beta{args.djsrh_beta:g}"
                    label = label[:-1] + f", beta {args.djsrh_beta:g})"
            else:
                raise ValueError(f"unknown method {method!r}")
            if key in runs:
                print(f"{key}: already in {args.out}, skipped", flush=True)
                continue
            start = time.time()
            seconds, history = [], []
            if method == "baseline":
                source = data
                codes = baseline(data, bits, args.seed)
            else:
                source = data if method == "dadh" else djsrh_data
                callbacks = []
                if args.eval_every:
                    callbacks.append(EvaluateEvery(source, args.eval_every, epochs))
                if method == "dadh":
                    model, seconds = train_dadh(
                        source, bits, args, epochs, args.dadh_hidden, callbacks
                    )
                else:
                    model, seconds = train_djsrh(source, bits, args, epochs, callbacks)
                history = callbacks[0].history if callbacks else []
                codes = model_codes(model, source)
            train_seconds = time.time() - start
            record = {
                "dataset": data.name,
                "method": method,
                "label": label,
                "bits": bits,
                "epochs": epochs,
                "hidden": args.dadh_hidden if method == "dadh" else None,
                "seed": args.seed,
                **scores(source, codes),
                "curves": top_r_curves(source, codes),
                "total_s": round(time.time() - start, 1),
                "train_s": round(train_seconds, 1),
                "epoch_s": [round(t, 2) for t in seconds],
                "median_epoch_s": round(float(np.median(seconds)), 2) if seconds else None,
                "history": history,
            }
            runs[key] = record
            save_result(args.out, key, record)
            print(
                f"{key}: I->T {record['i2t_map_all']:.4f} T->I {record['t2i_map_all']:.4f} "
                f"(@50 {record['i2t_map_50']:.4f} / {record['t2i_map_50']:.4f}), "
                f"{record['total_s']:.0f} s",
                flush=True,
            )
    if args.out is None:
        print("(no --out: the table lists only this run's results)")
    else:
        runs = load_results(args.out)["runs"]
    shown = [r for r in runs.values() if r["dataset"] == data.name and r["bits"] in all_bits]
    order = {"baseline": 0, "dadh": 1, "djsrh": 2}
    shown.sort(key=lambda r: (r["bits"], order.get(r["method"], 9), r["epochs"] or 0))
    print(
        "| method | bits | I->T mAP@ALL | T->I mAP@ALL | I->T mAP@50 | T->I mAP@50 "
        "| total s | median s/epoch |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in shown:
        per_epoch = "" if r["median_epoch_s"] is None else f"{r['median_epoch_s']:.1f}"
        print(
            f"| {r['label']} | {r['bits']} | {r['i2t_map_all']:.4f} | {r['t2i_map_all']:.4f} "
            f"| {r['i2t_map_50']:.4f} | {r['t2i_map_50']:.4f} | {r['total_s']:.0f} "
            f"| {per_epoch} |"
        )
    if args.plot:
        plotted = [r for r in shown if r["bits"] == args.plot_bits]
        if plotted:
            plot_top_r(plotted, args.plot, f"{data.name}, {args.plot_bits} bits")
            print(f"precision@top-R: {args.plot}")


if __name__ == "__main__":
    main()
