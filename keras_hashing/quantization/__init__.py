"""keras_hashing.quantization: the NumPy side of DQN, DVSQ and DTQ.

After thulab/DeepHash DeepHash/model/{dqn/dqn.py,dvsq/dvsq.py,dtq/dtq.py}: `initial_centers`,
`update_codes_ICM`, `update_centers`.

Block-diagonal k-means initialisation, ICM code updates (Euclidean or label-space cost), the
closed-form ridge codebook update, reconstruction, and conversions between the original's
one-hot codes `(N, M*K)` and compact indices `(N, M)`.
"""

from keras_hashing.quantization.codes import codes_to_indices
from keras_hashing.quantization.codes import indices_to_codes
from keras_hashing.quantization.codes import reconstruct
from keras_hashing.quantization.icm import icm_encode
from keras_hashing.quantization.kmeans import KMEANS_DEFAULTS
from keras_hashing.quantization.kmeans import kmeans_init_codebook
from keras_hashing.quantization.least_squares import update_codebook
from keras_hashing.quantization.rounds import icm_codes
from keras_hashing.quantization.rounds import least_squares_codebook

__all__ = [
    "KMEANS_DEFAULTS",
    "codes_to_indices",
    "icm_codes",
    "icm_encode",
    "indices_to_codes",
    "kmeans_init_codebook",
    "least_squares_codebook",
    "reconstruct",
    "update_codebook",
]
