"""DADH: train and test with the commands, flags and defaults of Zjut-MultimediaPlus/DADH.

    python examples/dadh/main.py train --flag mir --bit 64 --data_path ./data/FLICKR-25K.mat
    python examples/dadh/main.py train --flag nus --bit 64 --lr 1e-5 --dropout True
    python examples/dadh/main.py test --flag mir --bit 64
    python examples/dadh/main.py train --flag fashion_mnist --bit 32 --hidden_dim 1024
    python examples/dadh/main.py train --flag openclipart --data_path ~/data/openclipart \
        --bit 32 --hidden_dim 1024 --max_epoch 60

The script parses the original's command and flags and runs
`keras_hashing.recipes.dadh.DADHRecipe`, whose docstring lists the departures from the original
(a working `--flag` default, no model selection on the test queries unless `--select_on_query
True`, the fashion_mnist and openclipart datasets, visdom replaced by TensorBoard, resuming).
"""

from keras_hashing.recipes.flags import new_parser
from keras_hashing.recipes.flags import str2bool

# flag -> (default, help): config.py of the original, same names and defaults, then the port's
# additions. The type follows the default: true/false for a bool, text for None.
FLAGS = {
    "--flag": (
        "mir",
        "dataset: mir (MIRFlickr-25K), nus (NUS-WIDE), fashion_mnist (two views), "
        "openclipart (data/openclipart/prepare.py's folder)",
    ),
    "--batch_size": (128, "batch size"),
    "--lr": (5e-5, "learning rate (run_nus.sh: 1e-5)"),
    "--valid": (True, "evaluate the query set every --valid_freq epochs"),
    "--valid_freq": (1, "epochs between evaluations"),
    "--bit": (64, "code length"),
    "--lamb": (1.0, "ridge weight of the B-step"),
    "--alpha": (
        10.0,
        "triplet weight (exactly 10 also turns on the NDCG weights, as the original)",
    ),
    "--gamma": (1.0, "adversarial weight (also scales the discriminator losses)"),
    "--beta": (1.0, "quantization weight (plus 0.1 under --faithful_constants)"),
    "--mu": (1e-5, "weight of H in the B-step"),
    "--margin": (0.4, "triplet margin"),
    "--max_epoch": (300, "training epochs"),
    "--vis_env": ("main", "visdom environment (accepted, unused)"),
    "--vis_port": (8097, "visdom port (accepted, unused)"),
    "--device": ("cuda:0", "accepted, unused: choose GPUs with CUDA_VISIBLE_DEVICES"),
    "--dropout": (
        False,
        "dropout in the hash modules (run_nus.sh passes True; pass it to test too)",
    ),
    "--image_dim": (4096, "image feature width (checked)"),
    "--hidden_dim": (8192, "hidden layer width"),
    "--modals": (2, "number of modalities (accepted, unused)"),
    "--load_model_path": (
        None,
        "model to test (None: <checkpoint_dir>/<dataset>_<bit>/GEN_module.keras)",
    ),
    "--pretrain_model_path": (
        "./data/imagenet-vgg-f.mat",
        "accepted, never read (the original loads it and does not use it)",
    ),
    # Additions of the port.
    "--data_path": (
        None,
        "the .mat file (default ./data/FLICKR-25K.mat or ./data/NUS-WIDE-TC21.mat); "
        "the IDX folder for fashion_mnist",
    ),
    "--split_sizes": (
        None,
        "query,train,database sizes overriding the original split (small files)",
    ),
    "--checkpoint_dir": (
        "checkpoints",
        "holds one folder per run, <dataset>_<bit>, with the model and results",
    ),
    "--select_on_query": (
        False,
        "save the epoch with the best query mAP, as the original (model selection on the test set)",
    ),
    "--faithful_constants": (True, "beta + 0.1 and the kappa factors of the original"),
    "--second_text_pass": (
        True,
        "a second text pass for the hash-adversarial term, as the original (it updates "
        "the batch-norm statistics twice)",
    ),
    "--decay_at_epoch_zero": (
        True,
        "the generator's learning-rate decay fires after epoch 0 too, as the original",
    ),
    "--convention": (
        "dadh",
        "mAP computation: the original's (dadh), ties by database index (index), or DJSRH's",
    ),
    "--seed": (0, "seed of Keras, NumPy and the data"),
    "--verbose": (2, "Keras fit verbosity (0, 1, 2)"),
    "--log_dir": ("tflog", "TensorBoard summaries go to <log_dir>/<dataset>_<bit>"),
}
CHOICES = {
    "--flag": ["mir", "nus", "fashion_mnist", "openclipart"],
    "--convention": ["dadh", "index", "djsrh"],
}
ALIASES = {"--log_dir": ["--log-dir"]}


def build_parser():
    parser = new_parser("Deep Adversarial Discrete Hashing (DADH)")
    parser.add_argument(
        "command", choices=["train", "test"], help="train a model, or test a saved one"
    )
    for flag, (default, text) in FLAGS.items():
        kind = str2bool if isinstance(default, bool) else str if default is None else type(default)
        parser.add_argument(
            flag,
            *ALIASES.get(flag, ()),
            default=default,
            type=kind,
            help=text,
            choices=CHOICES.get(flag),
        )
    return parser


def main(argv=None):
    """`train` returns the saved model's path, `test` the query mAPs."""
    args = build_parser().parse_args(argv)
    from keras_hashing.recipes.dadh import DADHRecipe

    try:
        return DADHRecipe.from_args(args).run()
    except (ValueError, FileNotFoundError) as error:
        raise SystemExit(str(error)) from error


if __name__ == "__main__":
    main()
