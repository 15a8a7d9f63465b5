"""LSH, PCAH and ITQ (NumPy baselines; shared/benchmark_protocol.md, "Yardsticks")."""

import numpy as np
import pytest

from keras_hashing import baselines
from keras_hashing.baselines import ITQ
from keras_hashing.baselines import LSH
from keras_hashing.baselines import PCAH
from keras_hashing.baselines import LinearHashing


@pytest.fixture
def features():
    # Anisotropic data, so that principal directions are well separated.
    rng = np.random.default_rng(7)
    scales = np.linspace(3.0, 0.2, 12)
    return rng.normal(size=(80, 12)) * scales + rng.normal(size=12)


def _all_baselines(bits=6):
    return [LSH(bits, seed=3), PCAH(bits), ITQ(bits, n_iter=20, seed=3)]


def test_codes_are_int8_plus_minus_one(features):
    for hasher in _all_baselines():
        codes = hasher.fit(features).encode(features)
        assert codes.dtype == np.int8 and codes.shape == (80, 6)
        assert set(np.unique(codes)) <= {-1, 1}
        np.testing.assert_array_equal(hasher(features), codes)
        np.testing.assert_array_equal(hasher.encode(features, batch_size=7), codes)


def test_zero_projection_maps_to_plus_one(features):
    hasher = PCAH(4).fit(features)
    np.testing.assert_array_equal(hasher.encode(hasher.mean_[None]), [[1, 1, 1, 1]])


def test_pcah_codes_are_signs_onto_top_principal_components(features):
    hasher = PCAH(5).fit(features)
    centred = features - features.mean(0)
    # Oracle: SVD of the centred data, right singular vectors ordered by singular value.
    _, singular, right_t = np.linalg.svd(centred, full_matrices=False)
    components = right_t[:5].T
    for k in range(5):  # same direction up to sign
        cosine = abs(components[:, k] @ hasher.projection_[:, k])
        assert cosine == pytest.approx(1.0, abs=1e-9)
    np.testing.assert_allclose(hasher.projection_.T @ hasher.projection_, np.eye(5), atol=1e-10)
    signs = np.sign(np.sign(hasher.projection_ * components).sum(0))  # per-column flip
    expected = np.where(centred @ (components * signs) >= 0, 1, -1)
    np.testing.assert_array_equal(hasher.encode(features), expected)
    # Variance captured is decreasing, i.e. columns are ordered largest first.
    variances = np.var(centred @ hasher.projection_, axis=0)
    assert np.all(np.diff(variances) < 0)
    np.testing.assert_allclose(variances, singular[:5] ** 2 / len(features), rtol=1e-9)


def test_pcah_sign_convention_is_deterministic(features):
    projection = PCAH(5).fit(features).projection_
    pivots = np.argmax(np.abs(projection), axis=0)
    assert np.all(projection[pivots, np.arange(5)] > 0)


def test_lsh_reproducible_by_seed(features):
    a = LSH(16, seed=1).fit(features)
    b = LSH(16, seed=1).fit(features)
    c = LSH(16, seed=2).fit(features)
    np.testing.assert_array_equal(a.encode(features), b.encode(features))
    assert not np.array_equal(a.encode(features), c.encode(features))
    # The hyperplanes are default_rng(seed).standard_normal((D, bits)) on centred features.
    planes = np.random.default_rng(1).standard_normal((12, 16))
    expected = np.where((features - features.mean(0)) @ planes >= 0, 1, -1)
    np.testing.assert_array_equal(a.encode(features), expected)
    # More bits than dimensions is fine for random hyperplanes.
    assert LSH(20).fit(features).encode(features).shape == (80, 20)


def test_itq_objective_decreases_and_rotation_stays_orthogonal(features):
    hasher = ITQ(6, n_iter=30, seed=0).fit(features)
    history = hasher.objective_history_
    assert history.shape == (31,)
    assert np.all(np.diff(history) <= 1e-9 * history[0])
    assert history[-1] < history[0]
    rotation = hasher.rotation_
    np.testing.assert_allclose(rotation.T @ rotation, np.eye(6), atol=1e-10)
    np.testing.assert_allclose(rotation @ rotation.T, np.eye(6), atol=1e-10)
    # The reported objective is ||sign(V R) - V R||^2 of the final rotation.
    projected = (features - hasher.mean_) @ hasher.pca_components_ @ rotation
    codes = np.where(projected >= 0, 1.0, -1.0)
    assert history[-1] == pytest.approx(np.sum((codes - projected) ** 2), rel=1e-10)
    np.testing.assert_array_equal(hasher.encode(features), codes.astype(np.int8))
    # Its PCA part equals PCAH's.
    np.testing.assert_allclose(
        hasher.pca_components_, PCAH(6).fit(features).projection_, atol=1e-12
    )


def test_itq_improves_on_a_random_rotation(features):
    # Zero iterations keep the random start; 50 iterations must lower the quantization loss.
    start = ITQ(6, n_iter=0, seed=5).fit(features).objective_history_
    trained = ITQ(6, n_iter=50, seed=5).fit(features).objective_history_
    assert start.shape == (1,) and trained[0] == pytest.approx(start[0])
    assert trained[-1] < start[0]


def test_itq_seed(features):
    a = ITQ(6, n_iter=5, seed=1).fit(features)
    b = ITQ(6, n_iter=5, seed=1).fit(features)
    np.testing.assert_array_equal(a.rotation_, b.rotation_)
    assert not np.allclose(ITQ(6, n_iter=5, seed=2).fit(features).rotation_, a.rotation_)


@pytest.mark.parametrize("hasher", _all_baselines(), ids=lambda h: type(h).__name__)
def test_get_config_round_trip(hasher):
    config = hasher.get_config()
    clone = type(hasher).from_config(config)
    assert clone.get_config() == config
    assert type(clone) is type(hasher)


def test_save_load_round_trip(tmp_path, features):
    for hasher in _all_baselines():
        hasher.fit(features)
        path = tmp_path / f"{hasher.name}.npz"
        hasher.save(path)
        loaded = LinearHashing.load(path)
        assert type(loaded) is type(hasher) and loaded.get_config() == hasher.get_config()
        np.testing.assert_array_equal(loaded.encode(features), hasher.encode(features))
        again = type(hasher).load(path)
        np.testing.assert_array_equal(again.projection_, hasher.projection_)
    itq = ITQ.load(tmp_path / "itq.npz")
    np.testing.assert_array_equal(
        itq.objective_history_, ITQ(6, n_iter=20, seed=3).fit(features).objective_history_
    )
    with pytest.raises(ValueError, match="holds a LSH, not a ITQ"):
        ITQ.load(tmp_path / "lsh.npz")
    with pytest.raises(ValueError, match="does not exist"):
        LinearHashing.load(tmp_path / "none.npz")
    with pytest.raises(ValueError, match="call `fit`"):
        PCAH(2).save(tmp_path / "unfitted.npz")


def test_get_by_name(features):
    hasher = baselines.get("ITQ", 4, n_iter=3, seed=9)
    assert isinstance(hasher, ITQ) and hasher.get_config() == {
        "code_length": 4,
        "n_iter": 3,
        "seed": 9,
    }
    assert isinstance(baselines.get("lsh", 8), LSH)
    assert isinstance(baselines.get("pcah", 8), PCAH)
    codes = baselines.get("pcah", 3).fit(features)(features)
    np.testing.assert_array_equal(codes, PCAH(3).fit(features).encode(features))
    with pytest.raises(ValueError, match="Unknown baseline 'sh'"):
        baselines.get("sh", 8)


def test_validation_errors(features):
    with pytest.raises(
        ValueError, match="PCAH.fit: `code_length`=13 exceeds the feature dimension 12"
    ):
        PCAH(13).fit(features)
    with pytest.raises(ValueError, match="ITQ.fit: `code_length`=20 exceeds"):
        ITQ(20).fit(features)
    with pytest.raises(ValueError, match="positive integer"):
        LSH(0)
    with pytest.raises(ValueError, match="positive integer"):
        ITQ(2.5)
    with pytest.raises(ValueError, match="n_iter"):
        ITQ(4, n_iter=-1)
    with pytest.raises(ValueError, match="seed"):
        LSH(4, seed="a")
    with pytest.raises(ValueError, match=r"2-D \(N, D\) array, found shape \(12,\)"):
        PCAH(2).fit(features[0])
    with pytest.raises(ValueError, match="at least 2 training samples"):
        PCAH(2).fit(features[:1])
    bad = features.copy()
    bad[3, 4] = np.nan
    with pytest.raises(ValueError, match="finite, found nan at row 3, column 4"):
        ITQ(2).fit(bad)
    with pytest.raises(ValueError, match="call `fit"):
        LSH(4).encode(features)
    fitted = PCAH(2).fit(features)
    with pytest.raises(ValueError, match=r"12 columns .*found shape \(80, 11\)"):
        fitted.encode(features[:, :11])
    with pytest.raises(ValueError, match="2-D"):
        fitted.encode(features[0])
