"""keras_hashing.baselines: the unsupervised linear hashing yardsticks (NumPy only).

`LSH`, `PCAH` and `ITQ` learn from `(N, D)` features with `fit` and return int8 {-1, +1} codes
with `encode` (or by calling the fitted object); `get(name, code_length, **kwargs)` builds one by
name. `save`/`load` use `.npz` files.
"""

from keras_hashing.baselines.base import LinearHashing
from keras_hashing.baselines.itq import ITQ
from keras_hashing.baselines.lsh import LSH
from keras_hashing.baselines.pcah import PCAH
from keras_hashing.baselines.registry import BASELINES
from keras_hashing.baselines.registry import get
from keras_hashing.baselines.registry import get_class

__all__ = ["BASELINES", "ITQ", "LSH", "LinearHashing", "PCAH", "get", "get_class"]
