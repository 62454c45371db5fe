"""Moving data between the host and the active device, and host-side file I/O.

``asarray`` (host -> device) and ``to_numpy`` (device -> host) are the only two paths; data flows one way
through training: moved once, computed on the device, read back once per epoch."""

from __future__ import annotations

import numpy

from ..exceptions import DeviceError
from .devices import active
from .dtypes import floatx


def host():
    """The host array module (NumPy), for data that lives on the host: datasets, files, reports."""
    return numpy


def is_array(a) -> bool:
    """True for an array of the active device."""
    return isinstance(a, active().ndarray)


def asarray(a, dtype=None):
    """Move host data to the active device. Floating data become ``floatx()`` unless dtype says otherwise;
    integer and boolean data keep their dtype. An array of another device raises DeviceError."""
    backend = active()
    if not isinstance(a, (numpy.ndarray, backend.ndarray)) and hasattr(a, "__cuda_array_interface__"):
        raise DeviceError(
            f"asarray: got a CUDA array while the active device is {backend.name}; "
            "copy it to the host with pyldl_gpu.to_numpy(a) first"
        )
    if dtype is None:
        kind = getattr(getattr(a, "dtype", None), "kind", None)
        if kind is None:
            kind = numpy.asarray(a).dtype.kind
        if kind == "f":
            dtype = floatx()
    return backend.asarray(a, dtype=dtype)


def to_numpy(a):
    """Any array (NumPy, CuPy, scalar, list) -> a host NumPy array. The only device -> host path."""
    if isinstance(a, numpy.ndarray):
        return a
    if hasattr(a, "__cuda_array_interface__"):
        return a.get()
    return numpy.asarray(a)


def require_array(a, where):
    """Raise DeviceError naming ``where`` (a name, or a module: its repr is built only for the message) unless
    ``a`` is an array of the active device."""
    backend = active()
    if isinstance(a, backend.ndarray):
        return a
    if isinstance(a, numpy.ndarray) or hasattr(a, "__cuda_array_interface__"):
        got = "a CuPy (GPU) array" if hasattr(a, "__cuda_array_interface__") else "a NumPy (host) array"
        raise DeviceError(
            f"{where}: got {got} but the active device is {backend.name}; "
            "move data with pyldl_gpu.asarray(x) (host -> device) or pyldl_gpu.to_numpy(x) (device -> host)"
        )
    raise TypeError(f"{where}: expected an array, got {type(a).__name__}; wrap it with pyldl_gpu.asarray(x)")


def float_errors_ignored():
    """Context that silences NumPy's overflow / invalid-value warnings (CuPy never warns): training checks
    the loss itself and reports a NaN once, with its epoch and batch, instead of a warning per batch."""
    return numpy.errstate(all="ignore")


def save_npz(file, arrays: dict) -> None:
    """Write host copies of ``arrays`` (name -> array) to an open binary file or path as .npz."""
    numpy.savez(file, **{name: to_numpy(value) for name, value in arrays.items()})


def load_npz(path) -> dict:
    """Read a .npz file into a dict of host NumPy arrays (no pickles)."""
    with open(path, "rb") as file, numpy.load(file, allow_pickle=False) as data:  # we own the handle: numpy
        return {name: data[name] for name in data.files}  # leaks its own when the zip is corrupt
