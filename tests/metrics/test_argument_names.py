"""One cut-off keyword, `top_k`, across the retrieval metrics and callbacks.

The former keywords (`R`, `topk`, `top_r`) still work as deprecated aliases: same value, a
`DeprecationWarning` naming `top_k`, and `TypeError` when both names are given.
"""

import inspect
import warnings

import keras
import numpy as np
import pytest

from keras_hashing import callbacks
from keras_hashing import metrics
from keras_hashing.callbacks import RetrievalEvaluation
from keras_hashing.metrics import _core

OLD_NAMES = ("R", "topk", "top_r")


def tiny_case():
    """2 queries, 6 database items, 8 bits, 3 classes; no item is the exact opposite of a query
    (map_after_sign_with_rerank never visits Hamming distance D)."""
    rng = np.random.default_rng(7)
    query = rng.normal(size=(2, 8)).astype(np.float32)
    database = rng.normal(size=(6, 8)).astype(np.float32)
    database[:, 0] = np.abs(database[:, 0]) * np.sign(query[0, 0])
    database[:, 1] = np.abs(database[:, 1]) * np.sign(query[1, 1])
    query_labels = np.eye(3)[[0, 1]]
    database_labels = np.eye(3)[[0, 1, 2, 0, 1, 2]]
    return query, query_labels, database, database_labels


def quantized_case():
    query, query_labels, _, database_labels = tiny_case()
    codebook = np.random.default_rng(3).normal(size=(4, 8)).astype(np.float32)
    database_codes = np.eye(4)[[0, 1, 2, 3, 0, 1]]
    query_codes = np.eye(4)[[2, 3]]
    return query, query_codes, database_codes, codebook, query_labels, database_labels


def quantized_report_case():
    query, query_codes, database_codes, codebook, query_labels, database_labels = quantized_case()
    _, _, database, _ = tiny_case()
    return query, query_codes, database, database_codes, codebook, query_labels, database_labels


def codes_case():
    query, query_labels, database, database_labels = tiny_case()
    return query, database, query_labels, database_labels


def curves_case():
    query, query_labels, database, database_labels = tiny_case()
    return (
        query,
        query_labels,
        query,
        query_labels,
        database,
        database_labels,
        database,
        database_labels,
    )


def paired_case():
    query, query_labels, database, database_labels = tiny_case()
    return query, -query, query_labels, database, -database, database_labels


# name -> (positional arguments before the cut-off, the deprecated keyword, a cut-off value)
CASES = {
    "map_at_r": (tiny_case, "R", 4),
    "map_after_sign": (tiny_case, "R", 4),
    "map_after_sign_with_rerank": (tiny_case, "R", 3),
    "map_after_sign_device": (tiny_case, "R", 4),
    "map_quantized": (quantized_case, "R", 4),
    "deephash_report": (tiny_case, "R", 4),
    "quantized_report": (quantized_report_case, None, 4),
    "map_at_topk": (codes_case, "topk", 4),
    "precision_at_top_r": (tiny_case, "top_r", [1, 3, 6]),
    "cross_modal_curves": (curves_case, "top_r", [1, 2, 5]),
    "cross_modal_map": (tiny_case, None, 4),
    "evaluate_cross_modal": (paired_case, None, 4),
}
DEPRECATED = [name for name, (_, old, _) in CASES.items() if old is not None]


def public_functions(module):
    return {
        name: value
        for name, value in vars(module).items()
        if not name.startswith("_") and callable(value) and not inspect.isclass(value)
    }


def same(first, second):
    """Equal metric results: floats, arrays, or (nested) dicts and tuples of them."""
    if isinstance(first, dict):
        assert set(first) == set(second)
        for key in first:
            same(first[key], second[key])
    elif isinstance(first, (tuple, list)):
        assert len(first) == len(second)
        for a, b in zip(first, second):
            same(a, b)
    else:
        np.testing.assert_array_equal(np.asarray(first), np.asarray(second))


def call(name, **keywords):
    build, _, _ = CASES[name]
    return getattr(metrics, name)(*build(), **keywords)


def test_every_public_cut_off_is_named_top_k():
    taking_cut_off = {}
    for name, function in public_functions(metrics).items():
        parameters = inspect.signature(function).parameters
        assert not set(OLD_NAMES) & set(parameters), f"{name} still shows an old cut-off name"
        if "top_k" in parameters:
            taking_cut_off[name] = function
    assert set(taking_cut_off) == set(CASES)
    for cls in (callbacks.RetrievalEvaluation, callbacks.CrossModalEvaluation):
        parameters = inspect.signature(cls).parameters
        assert "top_k" in parameters and not set(OLD_NAMES) & set(parameters)


@pytest.mark.parametrize("name", sorted(CASES))
def test_top_k_by_keyword_equals_top_k_by_position(name):
    build, _, value = CASES[name]
    by_keyword = call(name, top_k=value)
    by_position = getattr(metrics, name)(*build(), value)
    same(by_keyword, by_position)


@pytest.mark.parametrize("name", DEPRECATED)
def test_old_keyword_gives_the_same_value_with_a_deprecation_warning(name):
    _, old, value = CASES[name]
    expected = call(name, top_k=value)
    with pytest.warns(DeprecationWarning, match=f"`{old}` is deprecated; use `top_k`") as record:
        got = call(name, **{old: value})
    same(got, expected)
    # The warning points at the caller, not at the library.
    assert record[0].filename == __file__


@pytest.mark.parametrize("name", DEPRECATED)
def test_old_and_new_keyword_together_raise_type_error(name):
    build, old, value = CASES[name]
    with pytest.raises(TypeError, match=f"`top_k` and its deprecated alias `{old}`"):
        call(name, top_k=value, **{old: value})
    with pytest.raises(TypeError, match=f"`top_k` by position and its deprecated alias `{old}`"):
        getattr(metrics, name)(*build(), value, **{old: value})


def test_top_k_is_validated_under_its_own_name():
    with pytest.raises(ValueError, match=r"`top_k` must be at most 6 \(the database size\)"):
        call("map_at_r", top_k=7)
    with pytest.raises(ValueError, match="`top_k` must be a positive int, -1 or None"):
        call("map_at_topk", top_k=0)
    with pytest.raises(ValueError, match="`top_k` must be ints in 1..6"):
        call("precision_at_top_r", top_k=[0])


def test_the_decorator_refuses_a_target_the_function_lacks():
    with pytest.raises(ValueError, match="no argument `top_k`"):

        @_core.renamed_arguments(R="top_k")
        def cut(values, k=None):
            return values[:k]


def test_retrieval_evaluation_takes_top_k_and_its_old_keyword():
    assert RetrievalEvaluation(top_k=5).top_k == 5
    with pytest.warns(DeprecationWarning, match="`R` is deprecated; use `top_k`"):
        callback = RetrievalEvaluation(R=5)
    assert callback.top_k == 5
    with pytest.warns(DeprecationWarning, match="use `top_k`"):
        assert callback.R == 5
    with pytest.raises(TypeError, match="deprecated alias `R`"):
        RetrievalEvaluation(top_k=5, R=5)
    with pytest.raises(TypeError, match="by position"):
        RetrievalEvaluation(None, None, 5, R=5)
    with pytest.raises(ValueError, match="`top_k` must be a positive int"):
        RetrievalEvaluation(top_k=0)


def test_retrieval_evaluation_config_saved_with_r_still_loads():
    config = RetrievalEvaluation(top_k=5, every_n_epochs=3, prefix="v_").get_config()
    assert config["top_k"] == 5 and "R" not in config
    saved = keras.saving.serialize_keras_object(RetrievalEvaluation(top_k=5, prefix="v_"))
    saved["config"]["R"] = saved["config"].pop("top_k")  # as written before the rename
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # loading an old file is not the user's mistake
        restored = keras.saving.deserialize_keras_object(saved)
        from_config = RetrievalEvaluation.from_config({"R": 7, "radius": 1})
    assert isinstance(restored, RetrievalEvaluation)
    assert restored.top_k == 5 and restored.prefix == "v_"
    assert restored.get_config()["top_k"] == 5 and "R" not in restored.get_config()
    assert from_config.top_k == 7 and from_config.radius == 1
    with pytest.raises(TypeError, match="deprecated alias `R`"):
        RetrievalEvaluation.from_config({"R": 7, "top_k": 7})
