"""Dump a Caffe VGG16/VGG19 `.caffemodel` as the `.npy` dict that `backbones.VGG16/19` read.

    python pretrained/convert_caffe_vgg.py VGG_ILSVRC_19_layers_deploy.prototxt \
        VGG_ILSVRC_19_layers.caffemodel vgg19.npy --depth 19

Needs pycaffe (`import caffe`), which keras_hashing never imports. The parameters are read with
`caffe.Net(..., caffe.TEST).params` (conv (out, in, kh, kw), inner product (out, in), pool5
flattened as (C, H, W)) and converted by `keras_hashing.backbones.caffe_vgg_to_keras` to HWIO
kernels, (in, out) dense kernels and NHWC-ordered fc6 rows; the output is the "tensorflow"
layout `{layer: [W, b]}` (fc8 kept). With `--raw` the Caffe arrays are written unchanged; load
those with `VGG19(weights=path, weights_layout="caffe")`.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prototxt")
    parser.add_argument("caffemodel")
    parser.add_argument("output")
    parser.add_argument("--depth", type=int, default=19, choices=(16, 19))
    parser.add_argument("--raw", action="store_true", help="write Caffe's own layout")
    args = parser.parse_args()

    import caffe
    import numpy as np

    from keras_hashing.backbones import caffe_vgg_to_keras

    net = caffe.Net(args.prototxt, args.caffemodel, caffe.TEST)
    params = {
        name: [np.array(blobs[0].data), np.array(blobs[1].data)]
        for name, blobs in net.params.items()
    }
    if not args.raw:
        layers, fc8 = caffe_vgg_to_keras(params, depth=args.depth, source=args.caffemodel)
        params = dict(layers, **({"fc8": fc8} if fc8 is not None else {}))
    np.save(args.output, np.array(params, dtype=object), allow_pickle=True)
    print(
        f"wrote {args.output}: {', '.join(f'{k} {tuple(v[0].shape)}' for k, v in params.items())}"
    )


if __name__ == "__main__":
    main()
