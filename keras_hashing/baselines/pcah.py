"""PCA hashing: the signs of the projections onto the leading principal directions."""

from keras_hashing.baselines.base import LinearHashing
from keras_hashing.baselines.base import top_principal_directions

__all__ = ["PCAH"]


class PCAH(LinearHashing):
    """PCA hashing: `sign((x - mean) V)` with `V` the top `code_length` principal directions.

    `V` holds the eigenvectors of the training covariance with the largest eigenvalues, largest
    first; each column's sign is fixed (largest-magnitude entry positive), which changes no
    Hamming distance but makes the codes reproducible. `code_length` may not exceed the feature
    dimension.

    Args:
        code_length: int, the number of bits.

    Example:
        >>> x = np.random.default_rng(0).normal(size=(100, 16))
        >>> PCAH(8).fit(x).encode(x[:2]).shape
        (2, 8)

    References:
        Wang, Kumar and Chang, "Semi-supervised hashing for scalable image retrieval", CVPR 2010
        (the PCAH baseline); Gong and Lazebnik, CVPR 2011 (its use as a yardstick).
    """

    name = "pcah"

    def _fit(self, centred):
        return top_principal_directions(centred, self.code_length)
