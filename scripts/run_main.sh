#!/usr/bin/env bash
# Installs keras_hashing and Fashion-MNIST, then trains DCH (32 bits) on the Fashion-MNIST
# protocol split and prints the retrieval table. As the DeepHash originals fine-tune an ImageNet
# AlexNet, DCH fine-tunes the preset SmallCNN pretrained as a 10-way classifier on the same 5 000
# training images (pretrained/fashion_mnist_small_cnn_10k.weights.h5, made once by
# benchmarks/pretrain_small_cnn.py --steps 10000). The rate, its decay, the iteration count and
# gamma were chosen on a validation split of the training images (benchmarks/bench_dch.py
# --validation 1000 with a backbone pretrained on the other 4 000), not on the queries.
# Under 4 minutes on 2 idle CPU cores once installed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
export TF_CPP_MIN_LOG_LEVEL=2
python3 examples/dch/train_val_script.py --dataset fashion_mnist --img-model small_cnn \
  --model-weights pretrained/fashion_mnist_small_cnn_10k.weights.h5 --output-dim 32 --lr 0.02 \
  --decay-step 750 --iter-num 1000 --gamma 80 \
  --save-dir runs/dch_fashion_mnist --log-dir runs/tflog "$@"
