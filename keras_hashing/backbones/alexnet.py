"""thulab/DeepHash's CaffeNet-ordered AlexNet (`img_alexnet_layers`), up to fc7."""

from __future__ import annotations

import os

import keras
from keras import ops

from keras_hashing import backend_ops
from keras_hashing import validation
from keras_hashing.backbones.base import LayerWeightsMixin
from keras_hashing.backbones.weights import ALEXNET_LAYERS
from keras_hashing.backbones.weights import DeepHashWeights
from keras_hashing.backbones.weights import load_alexnet_npy
from keras_hashing.layers.local_response_normalization import LocalResponseNormalization

GROUPED_CONV_IMPLEMENTATIONS = ("groups", "split")


@keras.saving.register_keras_serializable(package="keras_hashing")
class GroupedConv2D(keras.layers.Conv2D):
    """`Conv2D(groups=g)` that can also run as g separate convolutions concatenated.

    Both implementations hold the same kernel `(kh, kw, in/g, filters)` and bias: group `i`
    convolves input-channel slice `i` with output-channel slice `i` of the kernel (Caffe's
    `group`; thulab/DeepHash DeepHash/architecture/__init__.py, `img_alexnet_layers`), so
    weight files load unchanged whichever runs.

    Args:
        filters, kernel_size, ...: as `keras.layers.Conv2D` (`groups` is required).
        implementation: "groups" (one grouped convolution) or "split" (slice, convolve,
            concatenate). See `benchmarks/bench_grouped_conv.py` for which is faster on CPU.

    Example:
    >>> layer = GroupedConv2D(8, 3, groups=2, padding="same", implementation="split")
    >>> tuple(layer(keras.ops.ones((1, 5, 5, 4))).shape)
    (1, 5, 5, 8)
    """

    def __init__(self, *args, implementation: str = "groups", **kwargs):
        super().__init__(*args, **kwargs)
        validation.one_of(
            "implementation", implementation, GROUPED_CONV_IMPLEMENTATIONS, "GroupedConv2D"
        )
        self.implementation = implementation

    def call(self, inputs):
        if self.implementation == "groups" or self.groups == 1:
            outputs = self.convolution_op(inputs, self.kernel)
        else:
            # split (not slicing): its gradient is one concatenation, where each slice's
            # gradient is a zero-filled full-size tensor summed with the others.
            inputs_per_group = ops.split(inputs, self.groups, axis=-1)
            kernels_per_group = ops.split(self.kernel, self.groups, axis=-1)
            outputs = [
                ops.conv(
                    x,
                    kernel,
                    strides=self.strides,
                    padding=self.padding,
                    data_format=self.data_format,
                    dilation_rate=self.dilation_rate,
                )
                for x, kernel in zip(inputs_per_group, kernels_per_group)
            ]
            outputs = ops.concatenate(outputs, axis=-1)
        if self.use_bias:
            # tf.nn.bias_add under TensorFlow: grappler fuses convolution + bias + ReLU, as in the
            # TF1 original; Keras' broadcast add would stay a separate pass.
            outputs = backend_ops.bias_add(outputs, self.bias, self.data_format)
        if self.activation is not None:
            outputs = self.activation(outputs)
        return outputs

    def get_config(self):
        config = super().get_config()
        config["implementation"] = self.implementation
        return config


@keras.saving.register_keras_serializable(package="keras_hashing")
class AlexNet(LayerWeightsMixin, keras.Model):
    """The CaffeNet-ordered AlexNet of thulab/DeepHash (`img_alexnet_layers`), 227x227 crops to fc7.

    conv1 (11x11/4) -> pool -> LRN -> conv2 (5x5, 2 groups) -> pool -> LRN -> conv3 -> conv4
    (2 groups) -> conv5 (2 groups) -> pool -> flatten (NHWC) -> fc6 -> dropout -> fc7 -> dropout.
    Pooling comes before LRN (the CaffeNet order). Inputs are mean-subtracted RGB crops, as
    `keras_hashing.layers.CaffeCrop` makes them. The head (fc8) is not part of the backbone:
    hashing models add `Dense(code_length)` (and tanh) themselves.

    Args:
        weights: None (random init) or a path to a thulab/DeepHash `.npy` dict
            (`reference_pretrain.npy` or a saved model); conv1..fc7 are loaded, fc8 and `'C'`
            are left to the model (`load_alexnet_npy`).
        include_dropout: bool, default True. Dropout(0.5) after fc6 and fc7, active only when
            `training=True`.
        grouped_conv: "split" (default: two convolutions concatenated, as the TF1 original
            did; 7x faster than "groups" for a CPU training step under TensorFlow, where a grouped
            convolution is XLA-compiled per call, and 1.8x under JAX, see
            `benchmarks/bench_grouped_conv.py`) or "groups" (one `Conv2D(groups=2)`); the weight
            layout is identical.
        name: str, default "alexnet".
        **kwargs: `keras.Model` arguments.

    Attributes:
        output_dim: 4096.

    Returns:
        fc7 activations `(N, 4096)` (after ReLU, and dropout when training).

    Example:
    >>> backbone = AlexNet()
    >>> tuple(backbone(keras.ops.zeros((1, 227, 227, 3))).shape)
    (1, 4096)

    References:
        Krizhevsky, Sutskever, Hinton. "ImageNet Classification with Deep Convolutional Neural
        Networks", NeurIPS 2012; Jia et al., Caffe's `bvlc_reference_caffenet`.
    """

    output_dim = 4096
    input_size = 227
    _weight_layer_names = ALEXNET_LAYERS

    def __init__(
        self,
        weights: str | os.PathLike | None = None,
        include_dropout: bool = True,
        grouped_conv: str = "split",
        name: str = "alexnet",
        **kwargs,
    ):
        validation.one_of("grouped_conv", grouped_conv, GROUPED_CONV_IMPLEMENTATIONS, "AlexNet")

        def conv(filters, size, layer_name, groups=1, strides=1, padding="same"):
            return GroupedConv2D(
                filters,
                size,
                strides=strides,
                padding=padding,
                groups=groups,
                activation="relu",
                implementation=grouped_conv,
                name=layer_name,
            )

        inputs = keras.Input((self.input_size, self.input_size, 3), name="images")
        x = conv(96, 11, "conv1", strides=4, padding="valid")(inputs)
        x = keras.layers.MaxPooling2D(3, 2, name="pool1")(x)
        # Under a mixed policy (bfloat16 convolutions) LRN runs in the variables' dtype:
        # TensorFlow has no bfloat16 LRN kernel on CPU, and its window sums of squares would
        # keep only bfloat16's 8-bit mantissa.
        lrn_dtype = keras.config.dtype_policy().variable_dtype
        x = LocalResponseNormalization(name="lrn1", dtype=lrn_dtype)(x)
        x = conv(256, 5, "conv2", groups=2)(x)
        x = keras.layers.MaxPooling2D(3, 2, name="pool2")(x)
        x = LocalResponseNormalization(name="lrn2", dtype=lrn_dtype)(x)
        x = conv(384, 3, "conv3")(x)
        x = conv(384, 3, "conv4", groups=2)(x)
        x = conv(256, 3, "conv5", groups=2)(x)
        x = keras.layers.MaxPooling2D(3, 2, name="pool5")(x)
        x = keras.layers.Flatten(name="flatten")(x)
        x = keras.layers.Dense(4096, activation="relu", name="fc6")(x)
        if include_dropout:
            x = keras.layers.Dropout(0.5, name="drop6")(x)
        x = keras.layers.Dense(4096, activation="relu", name="fc7")(x)
        if include_dropout:
            x = keras.layers.Dropout(0.5, name="drop7")(x)
        super().__init__(inputs=inputs, outputs=x, name=name, **kwargs)
        self.include_dropout = bool(include_dropout)
        self.grouped_conv = grouped_conv
        if weights is not None:
            self.load_npy(weights)

    def load_npy(self, path: str | os.PathLike) -> DeepHashWeights:
        """Loads conv1..fc7 from a thulab/DeepHash `.npy` and returns its `DeepHashWeights`.

        The returned `fc8` and `codebook` are for the model holding this backbone.
        """
        loaded = load_alexnet_npy(path)
        self.set_layer_weights(loaded.layers, source=str(path))
        return loaded

    def get_config(self):
        # The weight file is not part of the config: a saved model carries its weights.
        return {
            "name": self.name,
            "trainable": self.trainable,
            "include_dropout": self.include_dropout,
            "grouped_conv": self.grouped_conv,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)
