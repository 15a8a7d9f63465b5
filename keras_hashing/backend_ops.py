"""Fused TensorFlow kernels where Keras runs on TensorFlow, `keras.ops` everywhere else.

Layers stay backend-agnostic by calling these functions. Under the TensorFlow backend they use
the ops TensorFlow has fused kernels (and fused gradients) for, which the `keras.ops`
compositions do not reach on CPU: `tf.nn.local_response_normalization` (forward + backward
about 4x faster than the composition), `tf.nn.bias_add`, which grappler fuses with the
preceding convolution and the following ReLU as the TF1 originals got it, where Keras' broadcast
add is left as a separate pass with a reduction for its gradient, and `ResourceApplyMomentum`,
the one-pass update kernel of TF1's `MomentumOptimizer`, where the composition makes four passes
over each variable (AlexNet's fc6 alone holds 38 M weights). Under JAX (or any other
backend) the `keras.ops` path runs; both paths compute the same formula and are tested against
one loop oracle. See `benchmarks/bench_alexnet_step.py`.

This module is the one place besides `keras_hashing/data/` and `keras_hashing/distribute.py`
that may import TensorFlow (CONTRIBUTING, "Backend boundary"); it does so only when Keras runs on
TensorFlow already.
"""

import keras
from keras import ops

_TF_LRN_DTYPES = ("float32", "float16", "bfloat16")


def _tensorflow():
    """The `tensorflow` module when Keras runs on it, else None."""
    if keras.backend.backend() != "tensorflow":
        return None
    import tensorflow as tf

    return tf


def local_response_normalization(
    inputs, depth_radius: int = 2, bias: float = 1.0, alpha: float = 2e-5, beta: float = 0.75
):
    """`x_c / (bias + alpha * sum_{|c' - c| <= r} x_{c'}^2) ** beta` over the last axis.

    Channels outside `[0, C)` count as zero; alpha is not divided by the window size
    (TensorFlow's convention).

    Args:
        inputs: tensor, channels last.
        depth_radius: int, default 2, half-width `r` of the channel window.
        bias: float, default 1.0.
        alpha: float, default 2e-5.
        beta: float, default 0.75.

    Returns:
        A tensor of the input's shape and dtype.

    Example:
    >>> x = keras.ops.ones((1, 1, 1, 3))
    >>> [round(float(v), 6) for v in keras.ops.convert_to_numpy(
    ...     local_response_normalization(x, depth_radius=1, alpha=1.0, beta=1.0))[0, 0, 0]]
    [0.333333, 0.25, 0.333333]
    """
    tf = _tensorflow()
    if (
        tf is not None
        and len(inputs.shape) == 4
        and keras.backend.standardize_dtype(inputs.dtype) in _TF_LRN_DTYPES
    ):
        return tf.nn.local_response_normalization(
            inputs, depth_radius=depth_radius, bias=bias, alpha=alpha, beta=beta
        )
    channels = inputs.shape[-1]
    # Zero-pad the channel axis so edge channels see only the channels that exist.
    pad = [[0, 0]] * (len(inputs.shape) - 1) + [[depth_radius, depth_radius]]
    padded = ops.pad(ops.square(inputs), pad)
    window = padded[..., 0:channels]
    for k in range(1, 2 * depth_radius + 1):
        window = window + padded[..., k : k + channels]
    return inputs / ops.power(bias + alpha * window, beta)


def bias_add(inputs, bias, data_format: str = "channels_last"):
    """`inputs + bias` along the channel axis (`tf.nn.bias_add` under TensorFlow).

    Args:
        inputs: tensor `(N, ..., C)` (or `(N, C, ...)` with `data_format="channels_first"`).
        bias: tensor `(C,)`.
        data_format: "channels_last" (default) or "channels_first".

    Returns:
        A tensor of the input's shape.

    Example:
    >>> keras.ops.convert_to_numpy(bias_add(keras.ops.zeros((1, 2)), keras.ops.ones(2))).tolist()
    [[1.0, 1.0]]
    """
    tf = _tensorflow()
    rank = len(inputs.shape)
    if tf is not None:
        channels_first = data_format == "channels_first" and rank > 2
        return tf.nn.bias_add(inputs, bias, data_format="NCHW" if channels_first else None)
    if data_format == "channels_first" and rank > 2:
        bias = ops.reshape(bias, (1, -1) + (1,) * (rank - 2))
    return inputs + bias


def slice_each(inputs, start_indices, shape):
    """`inputs[n, s_n0 : s_n0 + shape_0, s_n1 : s_n1 + shape_1, ...]` for every `n`, stacked.

    Under TensorFlow one `tf.slice` per example (a `tf.map_fn` loop when the batch size is known
    only at run time); elsewhere `keras.ops.vectorized_map` of `keras.ops.slice` (one XLA
    gather of whole blocks under JAX).

    Args:
        inputs: tensor `(N, ...)`.
        start_indices: int tensor `(N, rank - 1)`, each example's block origin.
        shape: tuple of ints, the block shape (`rank - 1` entries).

    Returns:
        A tensor `(N, *shape)`.

    Example:
    >>> x = keras.ops.reshape(keras.ops.arange(8), (2, 4))
    >>> keras.ops.convert_to_numpy(slice_each(x, keras.ops.array([[1], [2]]), (2,))).tolist()
    [[1, 2], [6, 7]]
    """
    tf = _tensorflow()
    shape = tuple(shape)
    if tf is None:
        return ops.vectorized_map(
            lambda pair: ops.slice(pair[0], pair[1], shape), (inputs, start_indices)
        )
    start_indices = tf.cast(start_indices, "int32")
    if inputs.shape[0] is not None:
        return tf.stack(
            [tf.slice(inputs[n], start_indices[n], shape) for n in range(inputs.shape[0])]
        )
    return tf.map_fn(
        lambda pair: tf.slice(pair[0], pair[1], shape),
        (inputs, start_indices),
        fn_output_signature=inputs.dtype,
    )


def apply_momentum(optimizer, variable, accumulator, gradient, learning_rate, momentum: float):
    """TF1's momentum update: `a <- momentum * a + g`, then `v <- v - learning_rate * a`.

    Under TensorFlow, outside a distribution strategy and for a dense gradient, it is the fused
    `ResourceApplyMomentum` kernel TF1's `MomentumOptimizer` runs (one pass over `v` and `a`);
    otherwise the composition, through `optimizer.assign` / `optimizer.assign_sub` (which keep
    JAX's stateless updates and a strategy's mirrored variables right).

    Args:
        optimizer: the `keras.optimizers.Optimizer` whose `update_step` this is.
        variable: the variable `v` to update.
        accumulator: the optimizer's accumulator `a` of `variable`.
        gradient: the gradient `g`, already scaled by any multiplier.
        learning_rate: scalar tensor, this step's rate.
        momentum: float.
    """
    tf = _tensorflow()
    if (
        tf is not None
        and not tf.distribute.has_strategy()
        and not isinstance(gradient, tf.IndexedSlices)
    ):
        # Keras' TensorFlow optimizer hands `update_step` the `tf.Variable`s behind its own
        # variables (the trainable ones unwrapped, its slots not).
        def resource(v):
            return v.value if isinstance(v, keras.Variable) else v

        tf.raw_ops.ResourceApplyMomentum(
            var=resource(variable).handle,
            accum=resource(accumulator).handle,
            lr=learning_rate,
            grad=gradient,
            momentum=tf.constant(momentum, gradient.dtype),
            use_locking=False,
            use_nesterov=False,
        )
        return
    optimizer.assign(accumulator, momentum * accumulator + gradient)
    optimizer.assign_sub(variable, learning_rate * accumulator)
