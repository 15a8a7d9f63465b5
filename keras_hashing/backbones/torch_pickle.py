"""Reads a legacy (non-zip) `torch.save` file of tensors into NumPy arrays, without torch.

The legacy format, written by `torch.save(..., _use_new_zipfile_serialization=False)` and by
every torch before 1.6, is a concatenation of (pytorch/pytorch torch/serialization.py,
`_legacy_save` and `_legacy_load`):

1. a pickled magic number, 2. a pickled protocol version (1001), 3. a pickled dict of system
information (byte order, C type sizes), 4. the main pickle, whose persistent ids name the
storages (`("storage", storage_class, key, location, numel, view_metadata)`) and whose tensors
are rebuilt by `torch._utils._rebuild_tensor_v2`, 5. a pickled list of storage keys, and
6. for each key in that order, an int64 element count followed by the storage's raw bytes.

Only the globals such a file of tensors needs are resolved (`collections.OrderedDict`,
`torch._utils._rebuild_tensor_v2` and the typed storage classes); any other global is refused,
so a crafted file cannot run code on load.
"""

import collections
import io
import os
import pickle
from typing import Any

import numpy as np

LEGACY_MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL_VERSION = 1001

# torch's typed storage classes and the element type each holds.
STORAGE_DTYPES = {
    "DoubleStorage": np.float64,
    "FloatStorage": np.float32,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}


class _StorageClass:
    """Stands in for `torch.<Type>Storage` inside the pickle: only its element type matters."""

    def __init__(self, name: str):
        self.name = name
        self.dtype = np.dtype(STORAGE_DTYPES[name])


class _StorageRef:
    """A storage named by the main pickle; its bytes follow the pickles in the file."""

    def __init__(self, key: str, storage_class: _StorageClass, numel: int):
        self.key = key
        self.storage_class = storage_class
        self.numel = numel
        self.array = None


class _TensorRef:
    """A tensor view (offset, size, stride in elements) into a storage, resolved after reading."""

    def __init__(self, storage, offset, size, stride):
        self.storage = storage
        self.offset = int(offset)
        self.size = tuple(int(s) for s in size)
        self.stride = tuple(int(s) for s in stride)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks, *_):
    # The gradient flag, the hooks and any later metadata argument say nothing about the values.
    return _TensorRef(storage, storage_offset, size, stride)


class _RestrictedUnpickler(pickle.Unpickler):
    """Resolves only the globals a legacy file of tensors holds; refuses every other one."""

    def __init__(self, handle, path: str, storages=None):
        super().__init__(handle)
        self.path = path
        self.storages = storages

    def find_class(self, module, name):
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor_v2
        if module == "torch" and name in STORAGE_DTYPES:
            return _StorageClass(name)
        raise ValueError(
            f"{self.path}: refusing to load the global {module}.{name}; a legacy torch file of "
            "tensors needs only collections.OrderedDict, torch._utils._rebuild_tensor_v2 and "
            "torch.<Type>Storage."
        )

    def persistent_load(self, pid):
        if self.storages is None:
            raise ValueError(f"{self.path}: unexpected persistent id {pid!r} in a header pickle.")
        if not isinstance(pid, tuple) or len(pid) != 6 or pid[0] != "storage":
            raise ValueError(
                f"{self.path}: expected a persistent id ('storage', type, key, location, numel, "
                f"view), found {pid!r}."
            )
        _, storage_class, key, _location, numel, view = pid
        if not isinstance(storage_class, _StorageClass):
            raise ValueError(f"{self.path}: storage {key!r} has no storage type: {pid!r}.")
        if key not in self.storages:
            self.storages[key] = _StorageRef(str(key), storage_class, int(numel))
        if view is not None:
            # State dicts hold whole storages; a view into another storage is not supported.
            raise ValueError(
                f"{self.path}: storage {key!r} is a view into another storage ({view!r}); "
                "only whole storages are supported."
            )
        storage = self.storages[key]
        return storage


def _load_pickle(handle, path: str, what: str, storages=None):
    try:
        return _RestrictedUnpickler(handle, path, storages).load()
    except ValueError:
        raise
    except Exception as error:  # EOFError, UnpicklingError, ... from a damaged file
        raise ValueError(
            f"{path}: could not read the {what} of a legacy torch file ({type(error).__name__}: "
            f"{error}); the file is damaged or not a torch.save file."
        ) from error


def _resolve(value, path: str):
    if isinstance(value, _StorageRef):
        return value.array
    if isinstance(value, _TensorRef):
        storage = value.storage.array if isinstance(value.storage, _StorageRef) else None
        if storage is None:  # rebuilt from something other than a persistent storage
            raise ValueError(f"{path}: a tensor refers to a storage that has no data.")
        if value.size:
            last = value.offset + sum((n - 1) * s for n, s in zip(value.size, value.stride))
        else:
            last = value.offset
        if value.offset < 0 or (min(value.size, default=1) > 0 and last >= storage.size):
            raise ValueError(
                f"{path}: a tensor of size {value.size}, stride {value.stride} at offset "
                f"{value.offset} reaches past its storage of {storage.size} elements."
            )
        strides = tuple(s * storage.itemsize for s in value.stride)
        view = np.lib.stride_tricks.as_strided(
            storage[value.offset :], shape=value.size, strides=strides, writeable=False
        )
        return np.array(view)
    if isinstance(value, collections.OrderedDict):
        return collections.OrderedDict((k, _resolve(v, path)) for k, v in value.items())
    if isinstance(value, dict):
        return {k: _resolve(v, path) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_resolve(v, path) for v in value)
    return value


def load_legacy_torch_file(path: str | os.PathLike) -> Any:
    """Reads a legacy (non-zip) `torch.save` file of tensors; tensors become NumPy arrays.

    Args:
        path: str or path-like, the `.pth` / `.pt` file.

    Returns:
        The saved object with every tensor replaced by a NumPy array of its dtype (a state
        dict comes back as an `OrderedDict` of arrays, `num_batches_tracked` entries included).

    Raises:
        ValueError: the file is a zip-format torch file, is truncated or damaged, or holds a
            global other than `collections.OrderedDict`, `torch._utils._rebuild_tensor_v2` and
            the `torch.<Type>Storage` classes. The message names the file.

    Example:
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "empty.pth"
    >>> path.write_bytes(b"")
    0
    >>> try:
    ...     load_legacy_torch_file(path)
    ... except ValueError as error:
    ...     print("could not read" in str(error))
    True

    References:
        pytorch/pytorch torch/serialization.py, `_legacy_save` and `_legacy_load`.
    """
    path = os.fspath(path)
    with open(path, "rb") as handle:
        data = handle.read()
    if data[:4] == b"PK\x03\x04":
        raise ValueError(
            f"{path} is a zip-format torch.save file; this reader handles only the legacy "
            "format (torch < 1.6 or _use_new_zipfile_serialization=False)."
        )
    stream = io.BytesIO(data)
    magic = _load_pickle(stream, path, "magic number")
    if magic != LEGACY_MAGIC_NUMBER:
        raise ValueError(
            f"{path}: expected the legacy torch magic number {LEGACY_MAGIC_NUMBER:#x}, "
            f"found {magic!r}."
        )
    version = _load_pickle(stream, path, "protocol version")
    if version != LEGACY_PROTOCOL_VERSION:
        raise ValueError(
            f"{path}: expected legacy protocol version {LEGACY_PROTOCOL_VERSION}, "
            f"found {version!r}."
        )
    sys_info = _load_pickle(stream, path, "system information")
    if not isinstance(sys_info, dict) or "little_endian" not in sys_info:
        raise ValueError(f"{path}: expected a system-information dict, found {sys_info!r}.")
    byte_order = "<" if sys_info["little_endian"] else ">"
    storages: dict = {}
    result = _load_pickle(stream, path, "main pickle", storages)
    keys = _load_pickle(stream, path, "storage key list")
    if not isinstance(keys, list) or set(map(str, keys)) != set(storages):
        raise ValueError(
            f"{path}: the storage key list does not match the storages the main pickle uses "
            f"({len(storages)} storages, key list {keys!r:.200})."
        )
    for key in keys:
        storage = storages[str(key)]
        dtype = storage.storage_class.dtype.newbyteorder(byte_order)
        start = stream.tell()
        header = stream.read(8)
        if len(header) != 8:
            raise ValueError(
                f"{path} is truncated: the element count of storage {key!r} should be 8 bytes "
                f"at byte {start}, found {len(header)} (file size {len(data)})."
            )
        numel = int(np.frombuffer(header, dtype=byte_order + "i8")[0])
        if numel != storage.numel:
            raise ValueError(
                f"{path}: storage {key!r} holds {numel} elements at byte {start}, the main "
                f"pickle expected {storage.numel}; the file is damaged."
            )
        raw = stream.read(numel * dtype.itemsize)
        if len(raw) != numel * dtype.itemsize:
            raise ValueError(
                f"{path} is truncated: storage {key!r} needs {numel * dtype.itemsize} bytes "
                f"from byte {start + 8}, found {len(raw)} (file size {len(data)})."
            )
        storage.array = np.frombuffer(raw, dtype=dtype).astype(dtype.newbyteorder("="))
    if stream.tell() != len(data):
        raise ValueError(
            f"{path}: {len(data) - stream.tell()} bytes follow the last storage; expected the "
            "file to end there (damaged or not a legacy torch file)."
        )
    return _resolve(result, path)
