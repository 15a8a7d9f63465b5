"""RetrievalEvaluation: figures in `logs` during a tiny fit, plots, config round trip."""

import os

import keras
import numpy as np
import pytest

from keras_hashing import metrics
from keras_hashing.callbacks.retrieval_evaluation import RetrievalEvaluation

KEYS = ["map_by_feature", "map_after_sign", "precision_radius_2", "recall_radius_2", "map_radius_2"]


def tiny_data(seed=0):
    rng = np.random.default_rng(seed)
    classes = rng.integers(0, 3, 24)
    x = (rng.normal(size=(24, 6)) + classes[:, None]).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[classes]
    return x, y


def tiny_model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="tanh")])
    model.compile(optimizer="sgd", loss="mse")
    return model


class Recorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.logs = []

    def on_epoch_end(self, epoch, logs=None):
        self.logs.append(dict(logs))


def test_fit_writes_keys_into_logs_every_n_epochs(tmp_path):
    x, y = tiny_data()
    model = tiny_model()
    callback = RetrievalEvaluation(
        (x[:6], y[:6]), (x[6:], y[6:]), top_k=10, every_n_epochs=2, plot_dir=str(tmp_path)
    )
    recorder = Recorder()
    history = model.fit(
        x, np.zeros((24, 8)), epochs=4, batch_size=8, verbose=0, callbacks=[callback, recorder]
    )
    assert "val_map_by_feature" not in recorder.logs[0]
    for key in KEYS:
        assert "val_" + key in recorder.logs[1] and "val_" + key in history.history
        assert len(history.history["val_" + key]) == 2
    # The logged value is the metric on the model's outputs at that epoch (the last one here).
    outputs = model.predict(x, verbose=0)
    expected = metrics.map_after_sign(outputs[:6], y[:6], outputs[6:], y[6:], 10)
    assert recorder.logs[3]["val_map_after_sign"] == pytest.approx(expected)
    assert sorted(os.listdir(tmp_path)) == [
        "val_precision_recall_epoch_0002.png",
        "val_precision_recall_epoch_0004.png",
    ]


def test_evaluate_now_after_training_and_compute_outputs_override():
    x, y = tiny_data()
    model = tiny_model()

    class Doubled(RetrievalEvaluation):
        def compute_outputs(self, inputs):
            return 2.0 * np.asarray(self.model.predict(inputs, verbose=0))

    callback = Doubled((x[:6], y[:6]), (x[6:], y[6:]), prefix="test_", device=True)
    results = callback.evaluate_now(model)
    outputs = model.predict(x, verbose=0)
    args = (outputs[:6], y[:6], outputs[6:], y[6:])
    assert set(results) == {"test_" + key for key in KEYS}
    assert results["test_map_after_sign"] == pytest.approx(metrics.map_after_sign(*args, None))
    assert results["test_map_by_feature"] == pytest.approx(metrics.map_at_r(*args, None))
    p, r, m = metrics.precision_recall_at_radius(*args, radius=2)
    assert (
        results["test_precision_radius_2"],
        results["test_recall_radius_2"],
        results["test_map_radius_2"],
    ) == pytest.approx((p, r, m))


@pytest.mark.tensorflow_only
def test_tf_data_inputs_with_and_without_labels():
    import tensorflow as tf

    x, y = tiny_data()
    model = tiny_model()
    arrays = RetrievalEvaluation((x[:6], y[:6]), (x[6:], y[6:])).evaluate_now(model)
    query = tf.data.Dataset.from_tensor_slices(x[:6]).batch(4)
    database = tf.data.Dataset.from_tensor_slices((x[6:], y[6:])).batch(5)
    datasets = RetrievalEvaluation((query, y[:6]), database).evaluate_now(model)
    assert datasets == pytest.approx(arrays)


def test_get_config_round_trip(tmp_path):
    x, y = tiny_data()
    callback = RetrievalEvaluation(
        (x[:6], y[:6]),
        (x[6:], y[6:]),
        top_k=5,
        every_n_epochs=3,
        radius=1,
        prefix="v_",
        plot_dir=str(tmp_path / "plots"),
        tie_break="numpy",
    )
    config = callback.get_config()
    restored = RetrievalEvaluation.from_config(config)
    assert restored.get_config() == config
    assert restored.query is None  # data are not serialised
    with pytest.raises(ValueError, match="set_data"):
        restored.evaluate_now(tiny_model())
    restored.set_data((x[:6], y[:6]), (x[6:], y[6:]))
    assert set(restored.evaluate_now(tiny_model())) == {
        "v_map_by_feature",
        "v_map_after_sign",
        "v_precision_radius_1",
        "v_recall_radius_1",
        "v_map_radius_1",
    }
    registered = keras.saving.get_registered_object("keras_hashing>RetrievalEvaluation")
    assert registered is RetrievalEvaluation


def test_validation():
    x, y = tiny_data()
    with pytest.raises(ValueError, match="every_n_epochs"):
        RetrievalEvaluation((x, y), (x, y), every_n_epochs=0)
    with pytest.raises(ValueError, match="rows"):
        RetrievalEvaluation((x, y[:3]), (x, y))
    with pytest.raises(ValueError, match="tie_break"):
        RetrievalEvaluation((x, y), (x, y), tie_break="torch")
    with pytest.raises(ValueError, match="device"):
        RetrievalEvaluation((x, y), (x, y), tie_break="numpy", device=True)
    with pytest.raises(ValueError, match="dataset of"):
        RetrievalEvaluation(x, (x, y))
