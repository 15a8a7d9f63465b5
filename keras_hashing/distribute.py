"""Device selection and multi-device training (TensorFlow's MirroredStrategy).

This module and `keras_hashing/data/` are the only places that import TensorFlow.
"""

import contextlib
import os

import keras


def parse_gpus(gpus):
    """Parses the originals' `--gpus` flag ("0", "0,1", "" for none) into a list of ids."""
    if gpus is None:
        return None
    gpus = str(gpus).strip()
    if not gpus:
        return []
    ids = [token.strip() for token in gpus.split(",")]
    if not all(token.isdigit() for token in ids):
        raise ValueError(f"`--gpus` must be comma-separated GPU ids such as '0,1', found {gpus!r}.")
    return ids


def set_visible_gpus(gpus):
    """Sets `CUDA_VISIBLE_DEVICES` like the originals; call before TensorFlow starts."""
    ids = parse_gpus(gpus)
    if ids is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = ",".join(ids)
    return ids


def split_cpu(num_devices):
    """Splits the CPU into `num_devices` logical devices (testing multi-device code without GPUs).

    Must run before TensorFlow initialises its devices.
    """
    import tensorflow as tf

    cpus = tf.config.list_physical_devices("CPU")
    tf.config.set_logical_device_configuration(
        cpus[0], [tf.config.LogicalDeviceConfiguration() for _ in range(int(num_devices))]
    )
    return [device.name for device in tf.config.list_logical_devices("CPU")]


def training_strategy(gpus=None, cpu_replicas=None):
    """The scope a model should be built and compiled in.

    Returns a `tf.distribute.MirroredStrategy` over the visible GPUs when more than one is given
    (or over `cpu_replicas` logical CPUs), else the default strategy. Only the TensorFlow backend
    distributes here; other backends get a null context.

    Args:
        gpus: the `--gpus` string ("0", "0,1"); sets `CUDA_VISIBLE_DEVICES`.
        cpu_replicas: optional int >= 2 to mirror over logical CPU devices instead.

    Returns:
        An object with a `scope()` context manager and `num_replicas_in_sync`.
    """
    set_visible_gpus(gpus)
    if keras.backend.backend() != "tensorflow":
        return _NullStrategy()
    import tensorflow as tf

    if cpu_replicas and int(cpu_replicas) > 1:
        devices = split_cpu(int(cpu_replicas))
        return tf.distribute.MirroredStrategy(devices=devices)
    gpu_devices = tf.config.list_logical_devices("GPU")
    if len(gpu_devices) > 1:
        return tf.distribute.MirroredStrategy(devices=[device.name for device in gpu_devices])
    return tf.distribute.get_strategy()


class _NullStrategy:
    num_replicas_in_sync = 1

    def scope(self):
        return contextlib.nullcontext()
