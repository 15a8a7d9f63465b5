"""NumPy forwards of torchvision AlexNet and Caffe VGG in their own layouts (NCHW, OIHW)."""

import math

import numpy as np


def conv_nchw(x, weight, bias, stride=1, padding=0):
    """Cross-correlation as torch.nn.Conv2d / Caffe compute it."""
    x = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    out_c, in_c, kh, kw = weight.shape
    windows = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))[
        :, :, ::stride, ::stride
    ]
    # windows: (N, C, OH, OW, kh, kw)
    return (
        np.einsum("nchwij,ocij->nohw", windows, weight, optimize=True) + bias[None, :, None, None]
    )


def max_pool_nchw(x, size, stride):
    windows = np.lib.stride_tricks.sliding_window_view(x, (size, size), axis=(2, 3))[
        :, :, ::stride, ::stride
    ]
    return windows.max(axis=(-1, -2))


def adaptive_avg_pool_nchw(x, out):
    n, c, h, w = x.shape
    result = np.zeros((n, c, out, out))
    for i in range(out):
        for j in range(out):
            r0, r1 = math.floor(i * h / out), math.ceil((i + 1) * h / out)
            c0, c1 = math.floor(j * w / out), math.ceil((j + 1) * w / out)
            result[:, :, i, j] = x[:, :, r0:r1, c0:c1].mean(axis=(2, 3))
    return result


def relu(x):
    return np.maximum(x, 0)


def torchvision_alexnet_fc7(images_nhwc, state):
    """torchvision.models.alexnet in eval mode, classifier up to the second ReLU."""
    x = images_nhwc.transpose(0, 3, 1, 2).astype("float64")
    p = {k: v.astype("float64") for k, v in state.items()}
    x = max_pool_nchw(relu(conv_nchw(x, p["features.0.weight"], p["features.0.bias"], 4, 2)), 3, 2)
    x = max_pool_nchw(relu(conv_nchw(x, p["features.3.weight"], p["features.3.bias"], 1, 2)), 3, 2)
    x = relu(conv_nchw(x, p["features.6.weight"], p["features.6.bias"], 1, 1))
    x = relu(conv_nchw(x, p["features.8.weight"], p["features.8.bias"], 1, 1))
    x = max_pool_nchw(
        relu(conv_nchw(x, p["features.10.weight"], p["features.10.bias"], 1, 1)), 3, 2
    )
    x = adaptive_avg_pool_nchw(x, 6).reshape(len(x), -1)  # torch.flatten: (C, H, W) order
    x = relu(x @ p["classifier.1.weight"].T + p["classifier.1.bias"])
    return relu(x @ p["classifier.4.weight"].T + p["classifier.4.bias"])


def caffe_vgg_fc7(images_nhwc, params, blocks):
    """A Caffe VGG deploy net in test mode up to relu7, params as `net.params` arrays."""
    x = images_nhwc.transpose(0, 3, 1, 2).astype("float64")
    for block, repeats in enumerate(blocks, start=1):
        for i in range(1, repeats + 1):
            weight, bias = params[f"conv{block}_{i}"]
            x = relu(conv_nchw(x, weight.astype("float64"), bias.astype("float64"), 1, 1))
        x = max_pool_nchw(x, 2, 2)
    x = x.reshape(len(x), -1)
    x = relu(x @ params["fc6"][0].T.astype("float64") + params["fc6"][1])
    return relu(x @ params["fc7"][0].T.astype("float64") + params["fc7"][1])
