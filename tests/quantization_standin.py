"""A small NumPy stand-in for `keras_hashing.quantization`, used by the quantizer tests only while
that package (written separately) lacks its functions. Installed by `install_if_missing()`."""

import numpy as np

import keras_hashing.quantization as quantization


def codes_to_indices(codes, num_codebooks, num_codewords):
    return np.asarray(codes).reshape(len(codes), num_codebooks, num_codewords).argmax(-1)


def indices_to_codes(indices, num_codebooks, num_codewords):
    indices = np.asarray(indices)
    out = np.zeros((len(indices), num_codebooks * num_codewords), np.float32)
    out[np.arange(len(indices))[:, None], indices + np.arange(num_codebooks) * num_codewords] = 1
    return out


def reconstruct(codes, codebook):
    return np.asarray(codes, np.float32) @ np.asarray(codebook, np.float32)


def kmeans_init_codebook(outputs, num_codebooks, num_codewords, seed=None):
    from sklearn.cluster import KMeans

    outputs = np.asarray(outputs, np.float32)
    dim = outputs.shape[1] // num_codebooks
    codebook = np.zeros((num_codebooks * num_codewords, outputs.shape[1]), np.float32)
    for m in range(num_codebooks):
        part = outputs[:, m * dim:(m + 1) * dim]
        km = KMeans(num_codewords, n_init=1, random_state=seed).fit(part)
        codebook[m * num_codewords:(m + 1) * num_codewords, m * dim:(m + 1) * dim] = km.cluster_centers_
    return codebook


def icm_encode(outputs, codebook, num_codebooks, num_codewords, sweeps=3, seed=None,
               label_embeddings=None):
    rng = np.random.default_rng(seed)
    outputs = np.asarray(outputs, np.float32)
    blocks = np.asarray(codebook, np.float32).reshape(num_codebooks, num_codewords, -1)
    weight = None if label_embeddings is None else np.asarray(label_embeddings, np.float32)
    idx = np.zeros((len(outputs), num_codebooks), np.int64)
    used = np.zeros(num_codebooks, bool)
    for _ in range(sweeps):
        for m in rng.permutation(num_codebooks):
            recon = sum(blocks[j][idx[:, j]] for j in range(num_codebooks) if used[j] and j != m)
            residual = outputs - recon
            block = blocks[m]
            if weight is not None:  # ||V (r - c)||^2: compare in the projected space
                residual, block = residual @ weight.T, block @ weight.T
            cost = (block * block).sum(1)[None, :] - 2.0 * residual @ block.T
            idx[:, m] = np.argmin(cost, axis=1)
            used[m] = True
    return indices_to_codes(idx, num_codebooks, num_codewords)


def update_codebook(outputs, codes, ridge=1e-3):
    codes = np.asarray(codes, np.float32)
    gram = codes.T @ codes + ridge * np.eye(codes.shape[1], dtype=np.float32)
    return np.linalg.solve(gram, codes.T @ np.asarray(outputs, np.float32)).astype(np.float32)


NAMES = ("codes_to_indices", "indices_to_codes", "reconstruct", "kmeans_init_codebook",
         "icm_encode", "update_codebook")


def install_if_missing():
    """Sets the stand-ins on `keras_hashing.quantization` for the names it does not have yet."""
    missing = [name for name in NAMES if not hasattr(quantization, name)]
    for name in missing:
        setattr(quantization, name, globals()[name])
    return missing
