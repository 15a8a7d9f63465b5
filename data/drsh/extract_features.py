"""fc7 features of a folder tree of images, keyed by file name (DRSH's `preprocess/NUSex_fea.py`).

    python data/drsh/extract_features.py --images ~/NUSImage/Flickr --weights vgg19.npy \
        --depth 19 --out NUSfeat.h5

As the original: every `*.jpg` under the sub-folders of `--images`, resized to 224x224 (no crop),
0..255, BGR, mean (104, 117, 123) subtracted, through Caffe's VGG (VGG-19 in the script; the
README says VGG-16: `--depth`), blob fc7 after its ReLU, one float[4096] dataset per image under
its file name. Then `transfer.py --ids id.npy` renames the keys to photo ids (spec §1.2).
Deviation: images are read and resized with OpenCV (bilinear) where the original uses
`caffe.io.load_image` and scikit-image's resize; pixels differ slightly. See pretrained/README.md
for the VGG weight files.
"""

import argparse
import os
import sys

import h5py
import numpy as np

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)


def list_images(root, extension=".jpg"):
    """`(file name, path)` for every image in the sub-folders of `root` (the original's walk)."""
    found = []
    for folder in sorted(os.listdir(root)):
        directory = os.path.join(root, folder)
        if not os.path.isdir(directory):
            continue
        for name in sorted(os.listdir(directory)):
            if name.lower().endswith(extension):
                found.append((name, os.path.join(directory, name)))
    return found


def load_vgg_image(path, size=224):
    """uint8 BGR `(size, size, 3)` (no crop), or raise naming the file."""
    import cv2

    image = cv2.imread(os.fspath(path), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f"cannot read image {path}")
    return cv2.resize(image, (size, size), interpolation=cv2.INTER_LINEAR)


def extract(backbone, items, out_path, batch_size=16, size=224):
    """Runs `backbone` over `(key, path)` items and writes `key -> fc7` to `out_path`."""
    from keras_hashing.backbones import caffe_vgg_preprocess

    with h5py.File(out_path, "w") as out:
        for start in range(0, len(items), batch_size):
            chunk = items[start : start + batch_size]
            images = np.stack([load_vgg_image(path, size) for _, path in chunk])
            features = np.asarray(
                backbone.predict(caffe_vgg_preprocess(images, input_order="bgr"), verbose=0),
                dtype=np.float32,
            )
            for (key, _), feature in zip(chunk, features):
                if key in out:
                    raise ValueError(
                        f"{out_path}: image name {key!r} occurs twice under the image folder"
                    )
                out.create_dataset(key, data=feature)
    return len(items)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", required=True, help="folder of sub-folders of images (Flickr/)")
    parser.add_argument(
        "--weights", required=True, help="VGG .npy dict or Keras .h5 (pretrained/README.md)"
    )
    parser.add_argument("--depth", type=int, default=19, choices=[16, 19])
    parser.add_argument("--weights-layout", default="tensorflow", choices=["tensorflow", "caffe"])
    parser.add_argument("--out", default="NUSfeat.h5")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--image-size", type=int, default=224)
    args = parser.parse_args(argv)
    from keras_hashing.backbones import VGG16
    from keras_hashing.backbones import VGG19

    cls = VGG19 if args.depth == 19 else VGG16
    weights = None if args.weights == "none" else args.weights
    backbone = cls(
        weights=weights,
        include_dropout=False,
        input_shape=(args.image_size, args.image_size, 3),
        weights_layout=args.weights_layout,
    )
    items = list_images(os.path.expanduser(args.images))
    if not items:
        raise SystemExit(f"no .jpg files in the sub-folders of {args.images}")
    count = extract(backbone, items, args.out, args.batch_size, args.image_size)
    print(f"wrote {count} fc7 features to {args.out}")


if __name__ == "__main__":
    main()
