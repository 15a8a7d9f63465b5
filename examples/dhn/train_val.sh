#!/bin/bash
# thulab/DeepHash's examples/dhn/train_val.sh with its values; usage: train_val.sh [gpu] [data_root]
# The original hard-coded /dir/to/dataset/root/ and the list files under /home/caoyue/data; here
# data_root (the folder holding train.txt, test.txt, database.txt and the images) is the second
# argument, or $DATA_ROOT. For an offline run: DATASET=fashion_mnist bash train_val.sh 0 -

lr=0.00005
q_lambda=0.0
alpha=10.0 # 0.2
dataset=${DATASET:-cifar10} # imagenet # cifar10,  nuswide_81, coco, fashion_mnist
log_dir=tflog
output_dim=${OUTPUT_DIM:-64}
iter_num=${ITER_NUM:-2000}

if [ -z "$1" ]; then
    gpu=0
else
    gpu=$1
fi
data_root=${2:-${DATA_ROOT:-/dir/to/dataset/root/}}

export TF_CPP_MIN_LOG_LEVEL=3
cd "$(dirname "$0")/../.." || exit 1
#                                                      lr  output       iter       q_lamb    alpha   dataset   gpu    log_dir  data_root
python examples/dhn/train_val_script.py               $lr $output_dim  $iter_num  $q_lambda $alpha  $dataset  $gpu   $log_dir "$data_root" "${@:3}"
