"""DRSH encoding and evaluation with the layout of frankenstan/DRSH's `test.py`.

    python examples/drsh/test.py --loadfile models/v34/drsh.keras --feature NUSF.h5 \
        --attribute NUSGlove.h5 --train-ids truetrainid.npy --test-ids truetestid.npy \
        --image-categories imageclas.h5

Writes the {0,1} codes of every test id, then every training id, as the original:
`code/test34_2_1k_96.mat` (variable `test`, N x 1 x K) and `code/train34_2_1k_96.mat` (`train`),
plus `.npy` copies. `--loadfile` takes the port's `.keras` model or an original `.npz`
checkpoint (then `--steps`, `--hidden-dim` and `--mode` describe it). Addition: with
`--image-categories`, mAP@ALL and mAP@1000 (`keras_hashing.recipes.drsh.DRSHTestRecipe`).
"""

from keras_hashing.recipes.flags import new_parser


def build_parser():
    parser = new_parser("Deep Recurrent Scaling Hashing (DRSH): encoding")
    add = parser.add_argument
    add("--loadfile", default="v34_96bit/2_1049.npz",
        help="the port's .keras model, or an original .npz checkpoint")
    add("--feature", default="NUSF.h5", help="HDF5 file of the fc7 features")
    add("--attribute", default="NUSGlove.h5",
        help="HDF5 file of each image's attribute word vectors")
    add("--steps", type=int, default=96, help="code length of an .npz checkpoint")
    add("--dim-frame", type=int, default=4096, help="image feature width of an .npz checkpoint")
    add("--att-frame", type=int, default=300,
        help="attribute word-vector width (unused: --attribute has it)")
    add("--hidden-dim", type=int, default=512, help="LSTM hidden width of an .npz checkpoint")
    add("--mode", default="faithful", choices=["faithful", "batched"],
        help="the mode an .npz checkpoint was trained in")
    add("--train-ids", default="truetrainid.npy", help="training ids (database)")
    add("--test-ids", default="truetestid.npy", help="test ids (queries)")
    add("--image-categories", default=None, help="imageclas.h5; with it the script prints mAP")
    add("--category-images", default=None,
        help="class.h5 (category order; None: class.h5 beside --image-categories)")
    add("--code-dir", default="code", help="folder for the .mat and .npy codes")
    add("--test-name", default="test34_2_1k_96", help="file stem of the test codes")
    add("--train-name", default="train34_2_1k_96", help="file stem of the training codes")
    add("--batch-size", type=int, default=1024, help="images per encoding batch")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    from keras_hashing.recipes.drsh import DRSHTestRecipe

    try:
        return DRSHTestRecipe.from_args(args).run()
    except (ValueError, FileNotFoundError) as error:
        raise SystemExit(str(error)) from error


if __name__ == "__main__":
    main()
