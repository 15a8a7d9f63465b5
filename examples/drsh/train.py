"""DRSH training with the settings of frankenstan/DRSH's `train.py` (its `run(...)` call).

    python examples/drsh/train.py --feature NUSF.h5 --attribute NUSGlove.h5 \
        --image-categories imageclas.h5 --category-images class.h5 \
        --train-ids truetrainid.npy --test-ids truetestid.npy --saveto models/v34/

Defaults are the original's (20 epochs, 32 bits, batch 1, the original's Adam at 2e-4 in
`--mode faithful`, `{saveto}{epoch}_{position}.npz` every 4000 samples); `--mode batched
--batch-size 64` is the documented deviation for real use. The port's additions (resume from
`{saveto}backup/`, `{saveto}drsh.keras`, TensorBoard) and departures (seeded triplet order, the
default negative list) are listed in `keras_hashing.recipes.drsh`, which does the work.
"""

from keras_hashing.recipes.flags import new_parser
from keras_hashing.recipes.flags import str2bool


def build_parser():
    parser = new_parser("Deep Recurrent Scaling Hashing (DRSH): training")
    add = parser.add_argument
    # The arguments of the original's run(...) call.
    add("--print-freq", type=int, default=100,
        help="printFreq (the original prints every step); 0 silences the per-epoch log")
    add("--reload", type=str2bool, default=False,
        help="start from the original checkpoint --loadfile")
    add("--loadfile", default="0_83999.npz", help="original .npz checkpoint read by --reload")
    add("--feature", default="NUSF.h5", help="HDF5 file of the fc7 features")
    add("--attribute", default="NUSGlove.h5",
        help="HDF5 file of each image's attribute word vectors (slots x --att-frame)")
    add("--saveto", default="models/v34/",
        help="prefix of the {epoch}_{position}.npz checkpoints, backup/ and drsh.keras")
    add("--maxepoch", type=int, default=20, help="epochs over the training ids")
    add("--steps", type=int, default=32, help="code length")
    add("--dim-frame", type=int, default=4096, help="image feature width")
    add("--att-frame", type=int, default=300, help="attribute word-vector width")
    add("--hidden-dim", type=int, default=512, help="LSTM hidden width")
    add("--batch-size", type=int, default=1, help="triplets per step (the original: 1)")
    add("--lrate", type=float, default=0.001,
        help="Adam learning rate of --mode batched (ignored by faithful, as in the original)")
    add("--l2-decay", type=float, default=1e-4, help="L2 weight on every parameter")
    add("--save-freq", type=int, default=4000, help="samples between checkpoints")
    add("--valid-freq", type=int, default=5000, help="unused, as in the original")
    add("--weight", type=float, default=0.01, help="unused, as in the original")
    add("--epsilon", type=float, default=1e-10,
        help="epsilon of the faithful mode's cell normalisation")
    add("--momentum", type=float, default=0.99,
        help="running-statistics momentum; the original never reads them")
    add("--axis-bn", type=int, default=1, choices=[1], help="batch-norm axis (the original's)")
    add("--image-categories", default="imageclas.h5",
        help="HDF5 file: the categories of each image id")
    add("--category-images", default="class.h5", help="HDF5 file: the image ids of each category")
    add("--train-ids", default="truetrainid.npy", help="training ids (the anchors)")
    add("--test-ids", default="truetestid.npy",
        help="test ids, never drawn as positives or negatives")
    # Additions of the port.
    add("--mode", default="faithful", choices=["faithful", "batched"],
        help="faithful: the original's batch-1 model and Adam at 2e-4; batched: any batch "
        "size, no cell normalisation, Adam at --lrate")
    add("--strict-negatives", action="store_true",
        help="negatives share no category with the anchor (the original does not check)")
    add("--negative-categories", nargs="*", default=None,
        help="categories negatives are drawn from (None: the original's 21 NUS-WIDE ones "
        "when the category file has them all, else every category)")
    add("--max-steps", type=int, default=0, help="stop after this many steps (0: off)")
    add("--seed", type=int, default=0, help="seed of Keras and the triplet order")
    add("--log-dir", default="tflog",
        help="TensorBoard summaries go to <log-dir>/<run name> (the --saveto folder's name)")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    from keras_hashing.recipes.drsh import DRSHRecipe

    try:
        report = DRSHRecipe.from_args(args).run()
    except (ValueError, FileNotFoundError) as error:
        raise SystemExit(str(error)) from error
    return report["model"], report["model_path"]


if __name__ == "__main__":
    main()
