"""DCH: train and evaluate, with the flags and defaults of thulab/DeepHash's example.

    python examples/dch/train_val_script.py --dataset fashion_mnist --output-dim 32
    python examples/dch/train_val_script.py --dataset cifar10 --data-dir ~/data --gpus 0,1

The work is `keras_hashing.recipes.deephash.DCHRecipe` (its docstring lists the departures:
`--finetune-all` parses true/false, `--log-dir/<name>` is kept so a run resumes, no padded
evaluation batches, ties broken by database index unless `--tie-break numpy`).
"""

from keras_hashing.recipes.flags import add_image_model_flags
from keras_hashing.recipes.flags import add_lr_schedule_flag
from keras_hashing.recipes.flags import add_on_bad_image_flag
from keras_hashing.recipes.flags import add_schedule_flags
from keras_hashing.recipes.flags import add_tanh_flags
from keras_hashing.recipes.flags import new_parser
from keras_hashing.recipes.flags import str2bool


def build_parser():
    parser = new_parser("Deep Cauchy Hashing (DCH)")
    add = parser.add_argument
    add("--lr", "--learning-rate", default=0.005, type=float, help="initial learning rate")
    add("--output-dim", default=64, type=int, help="code length in bits (hash layer width)")
    add("--gamma", default=20.0, type=float, help="scale of the Cauchy cross-entropy loss")
    add("--iter-num", default=2000, type=int, help="training iterations (steps)")
    add("--q-lambda", default=0.0, type=float,
        help="weight of the quantization loss mean((|z| - 1)^2)")
    add("--dataset", default="cifar10", type=str,
        help="cifar10, nuswide_81, coco (list files under --data-dir), fashion_mnist "
        "(offline), or tfds:<name>")
    add("--gpus", default="0", type=str,
        help="GPUs to use (CUDA_VISIBLE_DEVICES), e.g. 0 or 0,1")
    add("--log-dir", default="tflog", type=str,
        help="TensorBoard summaries go to <log-dir>/<run name> (kept, so a run can resume)")
    add_schedule_flags(parser, batch_size=128, val_batch_size=16, decay_step=10000,
                       decay_factor=0.1)
    add_tanh_flags(parser)
    add_lr_schedule_flag(parser)
    add_image_model_flags(parser)
    add("--finetune-all", default=True, type=str2bool,
        help="true: train the backbone too; false: freeze it and train the hash layer only")
    add("--save-dir", default="./models/", type=str,
        help="where the model, its codes, figures and results are written")
    add("--data-dir", default="~/data/", type=str,
        help="folder holding <dataset>/{train,test,database}.txt (fashion_mnist: the IDX folder)")
    add("-e", "--evaluate", action="store_true", default=False,
        help="skip training; evaluate --model-weights (a .keras model or an AlexNet .npy)")
    # Additions of the port.
    add("--eval-every", default=0, type=int,
        help="epochs between RetrievalEvaluation runs during training (0: off)")
    add("--tie-break", default="index", choices=["index", "numpy"],
        help="order of equal distances in rankings: by database index, or the original's "
        "NumPy argpartition + argsort")
    add("--seed", default=0, type=int, help="seed of Keras, NumPy and the data")
    add("--cpu-replicas", default=0, type=int,
        help="mirror over this many logical CPU devices (testing without GPUs)")
    add_on_bad_image_flag(parser)
    add("--no-plots", action="store_true", default=False,
        help="do not write the precision-recall PNG")
    add("--inference-views", default=10, type=int, choices=[1, 2, 10],
        help="small_cnn: views averaged per image at encoding (10: the 10-crop analogue; "
        "2: the image and its mirror)")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    # Imported after parsing: the recipe applies --gpus before TensorFlow starts.
    from keras_hashing.recipes.deephash import DCHRecipe

    try:
        return DCHRecipe.from_args(args).run()
    except (ValueError, FileNotFoundError) as error:
        raise SystemExit(str(error)) from None


if __name__ == "__main__":
    main()
