"""Type aliases of the models' signatures.

For a type checker, `Tensor` is a tensor of either backend. At run time both aliases are `Any`:
the models import no backend (TensorFlow or JAX) at load time, and `typing.get_type_hints`
still resolves every signature.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from typing import TypeAlias

    import jax
    import numpy as np
    import tensorflow as tf

    #: A tensor of the active Keras backend (what `keras.ops` and a layer call return).
    Tensor: TypeAlias = tf.Tensor | jax.Array
    #: What a layer or a model call accepts: a backend tensor or a NumPy array.
    TensorLike: TypeAlias = tf.Tensor | jax.Array | np.ndarray
else:
    Tensor = Any
    TensorLike = Any
