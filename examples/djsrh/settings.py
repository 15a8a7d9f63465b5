"""DJSRH settings, as zs-zhong/DJSRH `settings.py`; `train.py` flags override them.

DATASET is 'WIKI', 'MIRFlickr', 'NUSWIDE' or, in this port, 'fashion_mnist' (the two-view task:
top half as image, bottom half as text; small MLP instead of AlexNet, raw half-image vectors as
the frozen features of the image affinity, MIRFlickr's settings otherwise) or 'openclipart'
(data/openclipart/prepare.py --features-from lite0: the same small MLP on the ImageNet
EfficientNet-Lite0 features, WIKI's settings for 80 epochs, both chosen on a validation split of
the training pairs with benchmarks/bench_cross_modal.py --validation).
"""

# EVAL = True: just test, EVAL = False: train and eval
EVAL = False
DATASET = "MIRFlickr"

PATHS = {
    "WIKI": {"DATA_DIR": "path/to/wiki", "IMAGE_DIR": "path/to/wiki/images"},
    "MIRFlickr": {"DATA_DIR": "path/to/mirflickr"},  # mirflickr25k-{lall,yall,iall}.mat
    "NUSWIDE": {"DATA_DIR": "path/to/NUS-WIDE-TC10"},  # nus-wide-tc10-{lall,yall}.mat, IAll/...
    "fashion_mnist": {"DATA_DIR": None},  # Debian's IDX folder by default
    "openclipart": {"DATA_DIR": "~/data/openclipart"},  # data/openclipart/prepare.py --out
}
PER_DATASET = {
    "WIKI": {
        "BETA": 0.3,
        "LAMBDA1": 0.3,
        "LAMBDA2": 0.3,
        "NUM_EPOCH": 200,
        "LR_IMG": 0.01,
        "LR_TXT": 0.01,
        "EVAL_INTERVAL": 100,
    },
    "MIRFlickr": {
        "BETA": 0.9,
        "LAMBDA1": 0.1,
        "LAMBDA2": 0.1,
        "NUM_EPOCH": 80,
        "LR_IMG": 0.001,
        "LR_TXT": 0.01,
        "EVAL_INTERVAL": 40,
    },
    "NUSWIDE": {
        "BETA": 0.6,
        "LAMBDA1": 0.1,
        "LAMBDA2": 0.1,
        "NUM_EPOCH": 80,
        "LR_IMG": 0.001,
        "LR_TXT": 0.01,
        "EVAL_INTERVAL": 40,
    },
}
PER_DATASET["fashion_mnist"] = dict(PER_DATASET["MIRFlickr"])
PER_DATASET["openclipart"] = dict(PER_DATASET["WIKI"], NUM_EPOCH=80, EVAL_INTERVAL=40)

BATCH_SIZE = 32
CODE_LEN = 64
MU = 1.5
ETA = 0.4
MOMENTUM = 0.9
WEIGHT_DECAY = 5e-4
GPU_ID = 0
NUM_WORKERS = 8
EPOCH_INTERVAL = 2
MODEL_DIR = "./checkpoint"
# Port additions: the split seed (the original never seeds NumPy), the AlexNet weights (.npz of
# torchvision's state dict, see pretrained/README.md), the mAP cut-off of the evaluation, the
# TensorBoard folder.
SEED = 0
ALEXNET_WEIGHTS = "pretrained/alexnet_torchvision.npz"
TOP_K = 50
LOG_DIR = "tflog"
