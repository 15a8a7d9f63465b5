"""DADH and DJSRH on two-view Fashion-MNIST (top half = "image", bottom half = "text").

    python benchmarks/bench_cross_modal.py                       # the table at 16/32/64 bits
    python benchmarks/bench_cross_modal.py --bits 32 --dadh-epochs 2 --djsrh-epochs 2
    python benchmarks/bench_cross_modal.py --timing-only   # s/epoch at the original widths

Protocol (shared/benchmark_protocol.md): train 5 000, query 1 000, database 69 000; I->T ranks the
database bottom halves by the query top halves' codes, T->I the reverse; mAP@ALL over Hamming
ranking, ties by database index, every query counted. Nothing is selected on the query set.

Settings: DADH with its defaults (batch 128, lr 5e-5, alpha 10, beta 1, gamma 1, margin 0.4,
lamb 1, mu 1e-5, the B-step every epoch, the decay after epoch 0) but `--dadh-hidden` (1024 by
default, against 8192 in the original, for two CPU cores) and `--dadh-epochs` (300 originally).
DJSRH with the MIRFlickr settings (batch 32, beta 0.9, eta 0.4, mu 1.5, lambda 0.1, SGD 0.9,
lr 0.001 image / 0.01 text, weight decay 5e-4) on an image MLP (dropout, 1024, ReLU, dropout, 1024,
ReLU, the classifier half of AlexNet in small) with the raw half-image vectors as the frozen
features of the image affinity; `--djsrh-epochs` (80 originally). Baseline: CCA between the two
views on the training pairs (closed form, ridge 1e-4), then ITQ on the projected training pairs.
"""

import argparse
import dataclasses
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


def train_dadh(data, bits, args, epochs, hidden):
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
        callbacks=[DADHCodeUpdate(data.train.labels), DADHLearningRateDecay(), times],
    )
    return model, times.seconds


def train_djsrh(data, bits, args, epochs):
    import keras

    from keras_hashing.callbacks import DJSRHSlopeSchedule
    from keras_hashing.data.cross_modal import paired_dataset
    from keras_hashing.models import DJSRH

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
        beta=0.9,
        eta=0.4,
        mu=1.5,
        lambda1=0.1,
        lambda2=0.1,
        seed=args.seed,
    )
    model.compile(optimizer=model.make_optimizer(0.001, 0.01, 0.9))
    dataset = paired_dataset(
        data.train,
        32,
        training=True,
        shuffle_seed=args.seed,
        drop_remainder=True,
        with_labels=False,
    )
    times = EpochTimes()
    model.fit(dataset, epochs=epochs, verbose=0, callbacks=[DJSRHSlopeSchedule(), times])
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
    from keras_hashing.metrics import cross_modal_map

    query_image, query_text, database_image, database_text = codes
    i2t = cross_modal_map(
        query_image, data.query.labels, database_text, data.database.labels, verbose=False
    )
    t2i = cross_modal_map(
        query_text, data.query.labels, database_image, data.database.labels, verbose=False
    )
    return float(i2t), float(t2i)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bits", default="16,32,64")
    parser.add_argument("--dadh-epochs", type=int, default=20)
    parser.add_argument("--dadh-hidden", type=int, default=1024)
    parser.add_argument("--djsrh-epochs", type=int, default=20)
    parser.add_argument("--methods", default="baseline,dadh,djsrh")
    parser.add_argument(
        "--timing-only",
        action="store_true",
        help="one DADH epoch at hidden_dim 8192 and one DJSRH epoch, 64 bits",
    )
    parser.add_argument("--timing-steps", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import keras

    from keras_hashing.data.cross_modal import two_view_fashion_mnist

    data = two_view_fashion_mnist()
    print(
        f"two-view Fashion-MNIST: train {len(data.train)}, query {len(data.query)}, "
        f"database {len(data.database)}, views {data.train.images.shape[1]} + {data.text_dim}; "
        f"backend {keras.backend.backend()}"
    )
    if args.timing_only:
        # Epoch time at the original batch sizes, extrapolated from `--timing-steps` steps after a
        # traced warm-up epoch of the same length (a full DADH epoch at hidden 8192 takes minutes
        # on two CPU cores).
        steps = args.timing_steps
        subset = dataclasses.replace(
            data,
            train=dataclasses.replace(
                data.train,
                images=data.train.images[: 128 * steps],
                texts=data.train.texts[: 128 * steps],
                labels=data.train.labels[: 128 * steps],
                indices=data.train.indices[: 128 * steps],
            ),
        )
        _, dadh_times = train_dadh(subset, 64, args, epochs=2, hidden=8192)
        small = dataclasses.replace(
            data,
            train=dataclasses.replace(
                data.train,
                images=data.train.images[: 32 * steps * 4],
                texts=data.train.texts[: 32 * steps * 4],
                labels=data.train.labels[: 32 * steps * 4],
                indices=data.train.indices[: 32 * steps * 4],
            ),
        )
        _, djsrh_times = train_djsrh(small, 64, args, epochs=2)
        dadh_epoch = dadh_times[1] / steps * int(np.ceil(len(data.train) / 128))
        djsrh_epoch = djsrh_times[1] / (steps * 4) * (len(data.train) // 32)
        print("| method | batch | s/step | s/epoch (5 000 pairs) |")
        print("|---|---|---|---|")
        print(
            f"| DADH, hidden 8192 (original widths), 64 bits | 128 | {dadh_times[1] / steps:.2f} "
            f"| {dadh_epoch:.0f} |"
        )
        print(
            f"| DJSRH, image MLP 1024, text 4096, 64 bits | 32 | "
            f"{djsrh_times[1] / (steps * 4):.3f} | {djsrh_epoch:.1f} |"
        )
        return
    methods = args.methods.split(",")
    rows = []
    for bits in (int(b) for b in args.bits.split(",")):
        if "baseline" in methods:
            start = time.time()
            rows.append(
                ("CCA + ITQ", bits)
                + scores(data, baseline(data, bits, args.seed))
                + (time.time() - start, float("nan"))
            )
        if "dadh" in methods:
            start = time.time()
            model, seconds = train_dadh(data, bits, args, args.dadh_epochs, args.dadh_hidden)
            rows.append(
                (f"DADH ({args.dadh_epochs} ep, hidden {args.dadh_hidden})", bits)
                + scores(data, model_codes(model, data))
                + (time.time() - start, np.median(seconds))
            )
        if "djsrh" in methods:
            start = time.time()
            model, seconds = train_djsrh(data, bits, args, args.djsrh_epochs)
            rows.append(
                (f"DJSRH ({args.djsrh_epochs} ep)", bits)
                + scores(data, model_codes(model, data))
                + (time.time() - start, np.median(seconds))
            )
        print(rows[-1], flush=True)
    print("| method | bits | I->T mAP@ALL | T->I mAP@ALL | total s | median s/epoch |")
    print("|---|---|---|---|---|---|")
    for name, bits, i2t, t2i, total, per_epoch in rows:
        print(f"| {name} | {bits} | {i2t:.4f} | {t2i:.4f} | {total:.0f} | {per_epoch:.1f} |")


if __name__ == "__main__":
    main()
