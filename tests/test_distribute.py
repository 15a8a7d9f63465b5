import subprocess
import sys
import textwrap

import pytest

from keras_hashing.distribute import parse_gpus

SCRIPT = textwrap.dedent(
    """
    import numpy as np
    from keras_hashing.distribute import training_strategy

    strategy = training_strategy(gpus="", cpu_replicas=2)
    import keras
    import tensorflow as tf
    from keras_hashing.models import DCH
    from keras_hashing.optimizers import deephash_optimizer

    print("replicas", strategy.num_replicas_in_sync)
    rng = np.random.default_rng(0)
    labels = np.eye(2, dtype="float32")[rng.integers(0, 2, 64)]
    images = rng.normal(size=(64, 5)).astype("float32") + labels[:, :1]
    data = tf.data.Dataset.from_tensor_slices((images, labels)).batch(16, drop_remainder=True)

    def build():
        backbone = keras.Sequential([keras.layers.Input((5,)), keras.layers.Dense(8, name="fc7")])
        model = DCH(backbone, code_length=4, name="dch")
        model.compile(optimizer=deephash_optimizer(0.01, 100, 0.1))
        return model

    keras.utils.set_random_seed(3)
    with strategy.scope():
        mirrored = build()
        mirrored.build((None, 5))
    start = [w.copy() for w in mirrored.get_weights()]
    mirrored.fit(data, epochs=1, verbose=0)

    # One replica per 8-item half: the mirrored update equals a single-device step whose loss is
    # the mean of the two half-batch losses.
    single = build()
    single.build((None, 5))
    single.set_weights(start)
    for x, y in data:
        with tf.GradientTape() as tape:
            z = single(x, training=True)
            loss = 0.5 * (single.hashing_loss(x[:8], y[:8], z[:8])
                          + single.hashing_loss(x[8:], y[8:], z[8:]))
        grads = tape.gradient(loss, single.trainable_variables)
        single.optimizer.apply_gradients(zip(grads, single.trainable_variables))
    diff = max(float(np.max(np.abs(a - b)))
               for a, b in zip(mirrored.get_weights(), single.get_weights()))
    print("max_diff", diff)
    """
)


@pytest.mark.tensorflow_only
def test_mirrored_strategy_on_two_logical_cpus_averages_replica_losses():
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        timeout=300,
        env={
            "KERAS_BACKEND": "tensorflow",
            "PATH": "/usr/bin:/bin",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "CUDA_VISIBLE_DEVICES": "",
        },
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = dict(line.split(" ", 1) for line in result.stdout.splitlines() if " " in line)
    assert lines["replicas"] == "2"
    # Not bitwise: log(1 - sigma) for close dissimilar pairs amplifies float32 rounding, which
    # differs between the 8-row and 16-row matmuls (~1e-4 relative). Treating the whole batch
    # as one replica would differ by ~0.6.
    assert float(lines["max_diff"]) < 5e-3


def test_parse_gpus():
    assert parse_gpus("0,1") == ["0", "1"]
    assert parse_gpus("") == []
    assert parse_gpus(None) is None
    with pytest.raises(ValueError, match="0,1"):
        parse_gpus("gpu0")
