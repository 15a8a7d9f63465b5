"""DHN: train, save, reload and evaluate, with the positional arguments of DeepHash's example.

    python examples/dhn/train_val_script.py \
        lr output_dim iter_num cq_lambda alpha dataset gpu log_dir data_root
    python examples/dhn/train_val_script.py 0.00005 64 2000 0.0 10.0 cifar10 0 tflog ~/data/cifar10
    python examples/dhn/train_val_script.py 0.005 32 2000 0.0 10.0 fashion_mnist 0 tflog -

The nine positional arguments are the original's (thulab/DeepHash examples/dhn/train_val.sh), in
its order; what its config hard-codes (batch 256, validation batch 100, decay 0.5 every 5 000
steps, `normed_cross_entropy`, AlexNet) are flags. The work is
`keras_hashing.recipes.deephash.DHNRecipe`; its docstring lists the departures (lists read from
`data_root`, `gpu` -1 / cpu for none, a `.keras` model reloaded for evaluation, ties broken by
database index unless `--tie-break numpy`); `fashion_mnist` runs offline with SmallCNN.
"""

from keras_hashing.recipes.flags import add_lr_schedule_flag
from keras_hashing.recipes.flags import add_on_bad_image_flag
from keras_hashing.recipes.flags import add_schedule_flags
from keras_hashing.recipes.flags import add_trunk_cache_flags
from keras_hashing.recipes.flags import new_parser


def build_parser():
    parser = new_parser("Deep Hashing Network (DHN)")
    add = parser.add_argument
    add("lr", type=float, help="initial learning rate (train_val.sh: 0.00005)")
    add("output_dim", type=int, help="code length in bits (train_val.sh: 64)")
    add("iter_num", type=int, help="training iterations (train_val.sh: 2000)")
    add("cq_lambda", type=float,
        help="weight of the quantization loss mean((|z| - 1)^2) (train_val.sh: 0.0)")
    add("alpha", type=float,
        help="scale of the similarity inside the pairwise cross-entropy's sigmoid "
        "(train_val.sh: 10.0)")
    add("dataset", type=str,
        help="cifar10, nuswide_81, coco, ... (list files under data_root) or fashion_mnist")
    add("gpu", type=str,
        help="GPUs to use (CUDA_VISIBLE_DEVICES: 0, 0,1), or -1 / cpu for none")
    add("log_dir", type=str,
        help="TensorBoard summaries go to <log_dir>/<run name> (train_val.sh: tflog)")
    add("data_root", type=str,
        help="folder with {train,test,database}.txt (or <data_root>/<dataset>/); for "
        "fashion_mnist the IDX folder, or - for the default one")
    # The original's hard-coded config, as flags.
    add_schedule_flags(parser, batch_size=256, val_batch_size=100, decay_step=5000,
                       decay_factor=0.5)
    add_lr_schedule_flag(parser)
    add("--loss-type", default="normed_cross_entropy",
        choices=["normed_cross_entropy", "cross_entropy"],
        help="pairwise cross-entropy on the cosine (normed) or the inner product of the outputs")
    add("--img-model", default="alexnet",
        choices=["alexnet", "efficientnet_lite0", "efficientnet_lite1", "small_cnn"],
        help="alexnet (CaffeNet, 256x256 list-file images), efficientnet_lite0/1 (ImageNet, "
        "same images), or small_cnn (28x28; the one fashion_mnist uses)")
    add("--model-weights", default="pretrained/reference_pretrain.npy",
        help="AlexNet .npy dict (conv1..fc7, fc8 optional), or 'none'")
    add("--finetune-all", default="true", choices=["true", "false"],
        help="true: train the backbone too; false: freeze it and train the hash layer only")
    add("--save-dir", default="./models/",
        help="where the model files and the backup are written")
    # Additions of the port.
    add("--tie-break", default="index", choices=["index", "numpy"],
        help="order of equal distances in rankings: by database index, or the original's "
        "NumPy argpartition + argsort")
    add("--seed", default=0, type=int, help="seed of Keras, NumPy and the data")
    add_on_bad_image_flag(parser)
    add_trunk_cache_flags(parser)
    add("--cpu-replicas", default=0, type=int,
        help="mirror over this many logical CPU devices (testing without GPUs)")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    # Imported after parsing: the recipe applies the gpu argument before TensorFlow starts.
    from keras_hashing.recipes.deephash import DHNRecipe

    try:
        return DHNRecipe.from_args(args).run()
    except (ValueError, FileNotFoundError) as error:
        raise SystemExit(str(error)) from None


if __name__ == "__main__":
    main()
