"""keras_hashing: deep learning to hash on Keras 3.

Faithful re-implementations of DCH, DHN, DQN, DVSQ, DTQ (thulab/DeepHash), DRSH, DHN_PyTorch,
DADH and DJSRH, trainable with `model.fit` on `tf.data` pipelines and producing binary codes
with `model.encode`.
"""

__version__ = "0.1.0"

from keras_hashing import backbones  # noqa: E402,F401
from keras_hashing import baselines  # noqa: E402,F401
from keras_hashing import callbacks  # noqa: E402,F401
from keras_hashing import index  # noqa: E402,F401
from keras_hashing import layers  # noqa: E402,F401
from keras_hashing import losses  # noqa: E402,F401
from keras_hashing import metrics  # noqa: E402,F401
from keras_hashing import models  # noqa: E402,F401
from keras_hashing import optimizers  # noqa: E402,F401
from keras_hashing import quantization  # noqa: E402,F401


# The other subpackages (`data`, which builds tf.data pipelines and imports TensorFlow, and the
# command line) load on first use, so `import keras_hashing` under JAX does not start TensorFlow.
def __getattr__(name):
    import importlib.util

    if not name.startswith("_") and importlib.util.find_spec(f"keras_hashing.{name}") is not None:
        return importlib.import_module(f"keras_hashing.{name}")
    raise AttributeError(f"module 'keras_hashing' has no attribute {name!r}")
