#!/usr/bin/env bash
# Installs keras_hashing and Fashion-MNIST, then trains DCH (32 bits, SmallCNN) on the
# Fashion-MNIST protocol split and prints the retrieval table. 12 to 25 minutes on 2 CPU cores,
# depending on the machine (144-205 ms per iteration measured on a slow one).
# The learning rate, its decay, the iteration count and gamma replace the AlexNet fine-tuning
# defaults for a network trained from scratch; they were chosen on a validation split of the
# training images (benchmarks/bench_dch.py --validation 1000), not on the queries.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
export TF_CPP_MIN_LOG_LEVEL=2
python3 examples/dch/train_val_script.py --dataset fashion_mnist --img-model small_cnn \
  --output-dim 32 --lr 0.05 --decay-step 6000 --iter-num 8000 --gamma 40 --save-dir runs/dch_fashion_mnist --log-dir runs/tflog "$@"
