"""DRSH training with the settings of frankenstan/DRSH's `train.py` (its `run(...)` call).

    python examples/drsh/train.py --feature NUSF.h5 --attribute NUSGlove.h5 \
        --image-categories imageclas.h5 --category-images class.h5 \
        --train-ids truetrainid.npy --test-ids truetestid.npy --saveto models/v34/

Defaults are the original's: 20 epochs over the training ids, 32 steps (bits), 4096-d features,
300-d attributes, hidden 512, batch 1, L2 1e-4, parameters saved every 4000 samples as
`{saveto}{epoch}_{position}.npz` (the original's names and arrays), `--mode faithful` (the
original's Adam at 2e-4 with its bias correction; `--lrate` is ignored there as in the original).
`--mode batched --batch-size 64` is the documented deviation for real use (standard Adam at
`--lrate`). Additions of the port: Keras BackupAndRestore under `{saveto}backup/` resumes an
interrupted run by itself (model, optimiser, epoch); `--reload --loadfile X.npz` starts from an
original checkpoint as the original does; the final model is saved as `{saveto}drsh.keras`;
TensorBoard summaries go to `{log-dir}/<the --saveto folder's name>`.
Departures: the triplet order comes from a seeded NumPy generator; the negative list defaults to
the original's 21 NUS-WIDE categories when the category file has them all, else every category.
"""

import argparse
import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import _shared  # noqa: E402


def build_parser():
    parser = argparse.ArgumentParser(
        description="Deep Recurrent Scaling Hashing (DRSH): training",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    # The arguments of the original's run(...) call.
    parser.add_argument(
        "--print-freq",
        type=int,
        default=100,
        help="printFreq (the original prints every step); 0 silences the per-epoch log",
    )
    parser.add_argument(
        "--reload",
        type=_shared.str2bool,
        default=False,
        help="start from the original checkpoint --loadfile",
    )
    parser.add_argument(
        "--loadfile", default="0_83999.npz", help="original .npz checkpoint read by --reload"
    )
    parser.add_argument("--feature", default="NUSF.h5", help="HDF5 file of the fc7 features")
    parser.add_argument(
        "--attribute",
        default="NUSGlove.h5",
        help="HDF5 file of each image's attribute word vectors (slots x --att-frame)",
    )
    parser.add_argument(
        "--saveto",
        default="models/v34/",
        help="prefix of the {epoch}_{position}.npz checkpoints, backup/ and drsh.keras",
    )
    parser.add_argument("--maxepoch", type=int, default=20, help="epochs over the training ids")
    parser.add_argument("--steps", type=int, default=32, help="code length")
    parser.add_argument("--dim-frame", type=int, default=4096, help="image feature width")
    parser.add_argument("--att-frame", type=int, default=300, help="attribute word-vector width")
    parser.add_argument("--hidden-dim", type=int, default=512, help="LSTM hidden width")
    parser.add_argument(
        "--batch-size", type=int, default=1, help="triplets per step (the original: 1)"
    )
    parser.add_argument(
        "--lrate",
        type=float,
        default=0.001,
        help="Adam learning rate of --mode batched (ignored by faithful, as in the original)",
    )
    parser.add_argument("--l2-decay", type=float, default=1e-4, help="L2 weight on every parameter")
    parser.add_argument("--save-freq", type=int, default=4000, help="samples between checkpoints")
    parser.add_argument("--valid-freq", type=int, default=5000, help="unused, as in the original")
    parser.add_argument("--weight", type=float, default=0.01, help="unused, as in the original")
    parser.add_argument(
        "--epsilon",
        type=float,
        default=1e-10,
        help="epsilon of the faithful mode's cell normalisation",
    )
    parser.add_argument(
        "--momentum",
        type=float,
        default=0.99,
        help="running-statistics momentum; the original never reads them",
    )
    parser.add_argument(
        "--axis-bn", type=int, default=1, choices=[1], help="batch-norm axis (the original's)"
    )
    parser.add_argument(
        "--image-categories",
        default="imageclas.h5",
        help="HDF5 file: the categories of each image id",
    )
    parser.add_argument(
        "--category-images",
        default="class.h5",
        help="HDF5 file: the image ids of each category",
    )
    parser.add_argument("--train-ids", default="truetrainid.npy", help="training ids (the anchors)")
    parser.add_argument(
        "--test-ids",
        default="truetestid.npy",
        help="test ids, never drawn as positives or negatives",
    )
    # Additions of the port.
    parser.add_argument(
        "--mode",
        default="faithful",
        choices=["faithful", "batched"],
        help="faithful: the original's batch-1 model and Adam at 2e-4; batched: any batch "
        "size, no cell normalisation, Adam at --lrate",
    )
    parser.add_argument(
        "--strict-negatives",
        action="store_true",
        help="negatives share no category with the anchor (the original does not check)",
    )
    parser.add_argument(
        "--negative-categories",
        nargs="*",
        default=None,
        help="categories negatives are drawn from (None: the original's 21 NUS-WIDE ones "
        "when the category file has them all, else every category)",
    )
    parser.add_argument(
        "--max-steps", type=int, default=0, help="stop after this many steps (0: off)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of Keras and the triplet order")
    parser.add_argument(
        "--log-dir",
        default="tflog",
        help="TensorBoard summaries go to <log-dir>/<run name> (the --saveto folder's name)",
    )
    return parser


def make_callbacks(args, model_saver_dir, samples_per_epoch, steps_total):
    import keras
    import numpy as np

    from keras_hashing.callbacks import StopAtStep
    from keras_hashing.callbacks import TerminateOnNonFiniteLoss

    class OriginalCheckpoint(keras.callbacks.Callback):
        """Writes `{saveto}{epoch}_{position}.npz` with the original's parameter names."""

        def __init__(self):
            super().__init__()
            self.history = []

        def on_train_batch_end(self, batch, logs=None):
            if logs and "loss" in logs:
                self.history.append(float(logs["loss"]))

        def on_epoch_end(self, epoch, logs=None):
            samples = int(self.model.optimizer.iterations.numpy()) * args.batch_size
            data_epoch, position = divmod(samples - 1, samples_per_epoch)
            path = f"{args.saveto}{data_epoch}_{position}.npz"
            np.savez(
                path,
                train_loss_his=np.asarray(self.history, np.float32),
                **self.model.get_original_weights(),
            )
            print(f"saved {path}")

    callbacks = [
        TerminateOnNonFiniteLoss(checkpoint_hint=model_saver_dir),
        keras.callbacks.BackupAndRestore(model_saver_dir),
        OriginalCheckpoint(),
    ]
    if steps_total:
        callbacks.append(StopAtStep(steps_total))
    return callbacks


def main(argv=None):
    args = build_parser().parse_args(argv)
    import keras

    from keras_hashing.data.drsh import NUS_NEGATIVE_CATEGORIES
    from keras_hashing.data.drsh import DRSHTripletSampler
    from keras_hashing.data.drsh import H5Entries
    from keras_hashing.data.drsh import drsh_triplet_dataset
    from keras_hashing.data.drsh import load_membership
    from keras_hashing.data.drsh import read_ids
    from keras_hashing.models import DRSH
    from keras_hashing.optimizers import DRSHAdam

    keras.utils.set_random_seed(args.seed)
    features = H5Entries(args.feature, "feature file", (args.dim_frame,))
    attributes = H5Entries(args.attribute, "attribute file")
    if len(attributes.shape) != 2 or attributes.shape[1] != args.att_frame:
        raise SystemExit(
            f"{args.attribute}: entries are {attributes.shape}, expected (slots, {args.att_frame})"
        )
    membership = load_membership(args.image_categories, args.category_images)
    negatives = args.negative_categories
    if negatives is None and all(c in membership.category_images for c in NUS_NEGATIVE_CATEGORIES):
        negatives = list(NUS_NEGATIVE_CATEGORIES)
    train_ids = read_ids(args.train_ids)
    sampler = DRSHTripletSampler(
        membership,
        train_ids,
        read_ids(args.test_ids),
        negatives,
        strict_negatives=args.strict_negatives,
        seed=args.seed,
    )
    dataset = drsh_triplet_dataset(features, attributes, sampler, args.batch_size)

    model = DRSH(
        args.steps,
        args.hidden_dim,
        mode=args.mode,
        l2_decay=args.l2_decay,
        feature_dim=args.dim_frame,
        attribute_shape=attributes.shape,
        epsilon=args.epsilon,
        name="drsh",
    )
    if args.reload:
        import numpy as np

        with np.load(args.loadfile) as params:
            model.set_original_weights(params, source=args.loadfile)
        print(f"reloaded {args.loadfile}")
    optimizer = (
        DRSHAdam() if args.mode == "faithful" else keras.optimizers.Adam(args.lrate, epsilon=1e-8)
    )
    model.compile(optimizer=optimizer)

    os.makedirs(os.path.dirname(args.saveto) or ".", exist_ok=True)
    samples_per_epoch = len(train_ids)
    steps_per_epoch = max(1, args.save_freq // args.batch_size)
    total_steps = args.maxepoch * samples_per_epoch // args.batch_size
    if args.max_steps:
        total_steps = min(total_steps, args.max_steps)
    epochs = math.ceil(total_steps / steps_per_epoch)
    callbacks = make_callbacks(
        args, os.path.join(args.saveto, "backup"), samples_per_epoch, total_steps
    )
    run_name = os.path.basename(os.path.normpath(args.saveto))
    callbacks.append(keras.callbacks.TensorBoard(os.path.join(args.log_dir, run_name)))
    start = time.time()
    model.fit(
        dataset,
        steps_per_epoch=steps_per_epoch,
        epochs=epochs,
        callbacks=callbacks,
        shuffle=False,
        verbose=2 if args.print_freq else 0,
    )
    elapsed = time.time() - start
    steps_done = int(model.optimizer.iterations.numpy())
    print(
        f"trained {steps_done} steps ({steps_done * args.batch_size} triplets) in {elapsed:.1f} s"
    )
    path = os.path.join(args.saveto, "drsh.keras")
    model.save(path)
    print(f"model saved to {path}")
    return model, path


if __name__ == "__main__":
    main()
