"""Type aliases of the package's signatures, in one place.

The package is backend-agnostic and imports TensorFlow only in `keras_hashing.data` (and the
multi-device and fused-kernel modules), so the backend types are named here, not imported:
each alias is `Any` for a type checker and at run time, and says in its name what is expected.
"""

from typing import Any

#: A tensor of the active Keras backend (`tf.Tensor`, `jax.Array`, ...), as `keras.ops` takes
#: and returns it.
Tensor = Any
#: A backend tensor or a NumPy array: what a layer or model call accepts.
TensorLike = Any
#: A `tf.data.Dataset` (built by `keras_hashing.data`).
Dataset = Any
