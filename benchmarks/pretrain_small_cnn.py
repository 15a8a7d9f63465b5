"""Pretrains the Fashion-MNIST SmallCNN as a classifier on the protocol's training images.

The stand-in for the ImageNet-pretrained AlexNet the DeepHash originals fine-tune
(`keras_hashing.backbones.pretrain_classifier`): the preset backbone (SmallCNN 32-64-128/512,
weight decay, dropout) under the preset augmentation (flip, 2-pixel shifts, Cutout) learns the 10
classes of the 5 000 training images (4 000 with `--validation 1000`, the same split as the
benchmarks' tuning mode), and its weights are saved for `--backbone-weights` of the benchmarks.

    python benchmarks/pretrain_small_cnn.py --out /tmp/small_cnn.weights.h5
    python benchmarks/pretrain_small_cnn.py --validation 1000 --out /tmp/small_cnn_val.weights.h5
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="where to write the .weights.h5 file")
    parser.add_argument("--steps", type=int, default=4000)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--validation", type=int, default=0)
    args = parser.parse_args(argv)
    if not args.out.endswith(".weights.h5"):
        parser.error("--out must end in .weights.h5 (Keras weight files)")

    import keras

    from keras_hashing.backbones import pretrain_classifier
    from keras_hashing.data.registry import load_retrieval_data
    from keras_hashing.models.presets import fashion_mnist_backbone
    from keras_hashing.models.presets import fashion_mnist_preprocessor

    keras.utils.set_random_seed(args.seed)
    data = load_retrieval_data(
        "fashion_mnist",
        batch_size=args.batch_size,
        seed=args.seed,
        validation=args.validation or None,
    )
    backbone = fashion_mnist_backbone()
    start = time.time()
    history = pretrain_classifier(
        backbone,
        data.train,
        data.num_labels,
        args.steps,
        steps_per_epoch=data.num_train // args.batch_size,
        learning_rate=args.lr,
        preprocessor=fashion_mnist_preprocessor(seed=args.seed),
    )
    seconds = time.time() - start
    backbone.save_weights(args.out)
    accuracy = history.history["accuracy"][-1]
    print(
        f"pretrained on {data.num_train} images, {args.steps} steps in {seconds:.0f} s; "
        f"last-epoch training accuracy {accuracy:.4f}; weights -> {args.out}"
    )


if __name__ == "__main__":
    main()
