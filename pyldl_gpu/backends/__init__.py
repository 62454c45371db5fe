"""The one place that imports NumPy or CuPy. Everything else asks this facade at call time.

Device precedence: ``set_device()`` / ``with device(...)`` beats ``PYLDL_DEVICE``, which beats ``cpu``.
The variable is read at first use, not at import, so it can be set after ``import pyldl_gpu``.

    xp()                 the active array module (numpy or cupy)
    asarray(a)           host data -> active device, floating data cast to floatx()
    to_numpy(a)          any array -> host NumPy array
    floatx()             the default float dtype (float32 unless set_default_dtype says otherwise)
    manual_seed(s)       seeds Python's random, the host generator and every device generator
    rng()                the generator device-side draws use (dropout masks), per thread when local_rng says
    blas_threads(n)      context: the CPU BLAS pool limited to n threads (DataParallel's workers use 1 each)
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import random
from collections.abc import Iterator

import numpy

from ..exceptions import DeviceError
from ._config import ACCEPTED, ENV_VAR, DeviceSpec, device_from_env, parse_device
from ._numpy import NumpyBackend

__all__ = [
    "ACCEPTED", "ENV_VAR", "active", "as_strided", "asarray", "axpy", "blas_threads", "cpu_threads",
    "cuda_is_available", "default_dtype", "device", "einsum", "float_errors_ignored", "floatx", "fuse",
    "get_device", "host", "host_rng", "is_array", "load_npz", "local_rng", "manual_seed", "max_last_axis",
    "memory_reserved", "release_memory", "require_array", "reset", "rng", "save_npz", "scatter_add",
    "set_default_dtype", "set_device", "sliding_window_view", "synchronize", "tensordot", "to_numpy", "xp",
]

_override: contextvars.ContextVar[object | None] = contextvars.ContextVar("pyldl_device", default=None)
_local_rng: contextvars.ContextVar[object | None] = contextvars.ContextVar("pyldl_local_rng", default=None)
_blas_controller = None  # threadpoolctl's controller, built on first use (it scans the loaded libraries)
_env_backend: object | None = None  # resolved PYLDL_DEVICE, cached after first use
_backends: dict[str, object] = {}
_seed: int | None = None
_host_rng = numpy.random.default_rng()
_floatx = numpy.dtype("float32")
_FLOAT_DTYPES = (numpy.dtype("float32"), numpy.dtype("float64"))


# ---------------------------------------------------------------- device selection
def _backend_for(spec: DeviceSpec):
    if spec.kind == "auto":
        return _backend_for(DeviceSpec("cuda")) if cuda_is_available() else _backend_for(DeviceSpec("cpu"))
    key = str(spec)
    backend = _backends.get(key)
    if backend is None:
        if spec.kind == "cpu":
            backend = NumpyBackend(_seed)
        else:
            from ._cupy import CupyBackend  # lazily: CuPy is an optional extra

            backend = CupyBackend(spec.index, _seed)
        _backends[key] = backend
    return backend


def active():
    """The active backend object (its ``xp``, ``rng`` and helpers)."""
    backend = _override.get()
    if backend is not None:
        return backend
    global _env_backend
    if _env_backend is None:
        _env_backend = _backend_for(device_from_env())
    return _env_backend


def xp():
    """The active array module: ``numpy`` on cpu, ``cupy`` on cuda."""
    return active().xp


def get_device() -> str:
    """The active device as a string: 'cpu' or 'cuda:N'."""
    return active().name


def set_device(spec: str) -> None:
    """Make ``spec`` ('cpu', 'cuda', 'cuda:N', 'auto') the active device for the rest of this context."""
    backend = _backend_for(parse_device(spec))
    _activate(backend)
    _override.set(backend)


@contextlib.contextmanager
def device(spec: str) -> Iterator[str]:
    """``with device('cuda'):`` runs its body on that device, then restores the previous one."""
    backend = _backend_for(parse_device(spec))
    previous = active()
    _activate(backend)
    token = _override.set(backend)
    try:
        yield backend.name
    finally:
        _override.reset(token)
        _activate(previous)


def _activate(backend) -> None:
    activate = getattr(backend, "activate", None)
    if activate is not None:
        activate()


def reset() -> None:
    """Forget set_device() and the cached PYLDL_DEVICE so the variable is read again (tests use it)."""
    global _env_backend
    _env_backend = None
    _override.set(None)


def cuda_is_available() -> bool:
    """True when CuPy imports and at least one CUDA device answers."""
    try:
        _backend_for(DeviceSpec("cuda"))
    except Exception:  # any failure means "not usable"; set_device('cuda') reports the reason
        return False
    return True


# ---------------------------------------------------------------- dtypes
def floatx():
    """The default float dtype of new arrays and parameters (float32 unless changed)."""
    return _floatx


def set_default_dtype(dtype) -> None:
    """Set the default float dtype: 'float32' (default) or 'float64' (gradient checks)."""
    global _floatx
    wanted = numpy.dtype(dtype)
    if wanted not in _FLOAT_DTYPES:
        raise TypeError(f"default dtype must be float32 or float64, got {wanted}")
    _floatx = wanted


@contextlib.contextmanager
def default_dtype(dtype) -> Iterator[object]:
    """``with default_dtype('float64'):`` creates float64 arrays inside, then restores the previous dtype."""
    previous = _floatx
    set_default_dtype(dtype)
    try:
        yield _floatx
    finally:
        set_default_dtype(previous)


# ---------------------------------------------------------------- transfers
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
            dtype = _floatx
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


# ---------------------------------------------------------------- randomness
def manual_seed(seed: int) -> None:
    """Seed everything pyldl_gpu draws from: Python's random, the host generator (initial weights,
    shuffles) and each device generator (dropout masks). Same seed -> same weights on cpu and cuda."""
    global _seed, _host_rng
    _seed = int(seed)
    random.seed(_seed)
    _host_rng = numpy.random.default_rng(_seed)
    for backend in _backends.values():
        backend.seed(_seed)


def host_rng() -> numpy.random.Generator:
    """The host generator: initial weights and epoch shuffles are drawn here, then moved once."""
    return _host_rng


def rng():
    """The generator for device-side draws (dropout masks): the active backend's, unless ``local_rng`` set
    one for the current context (a DataParallel worker)."""
    local = _local_rng.get()
    return local if local is not None else active().rng


@contextlib.contextmanager
def local_rng(seed: int) -> Iterator[object]:
    """In this context (this thread's task), device-side draws come from a fresh generator seeded by ``seed``:
    workers drawing side by side stay reproducible whatever order the threads run in."""
    token = _local_rng.set(active().new_rng(int(seed)))
    try:
        yield _local_rng.get()
    finally:
        _local_rng.reset(token)


# ---------------------------------------------------------------- CPU threads
def cpu_threads() -> int:
    """How many CPU cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


@contextlib.contextmanager
def blas_threads(n: int) -> Iterator[None]:
    """Limit the CPU BLAS pool (OpenBLAS, MKL, ...) to ``n`` threads inside the context, then restore it (a
    process-wide setting, about 15 us per use). A no-op on CUDA."""
    global _blas_controller
    if active().name != "cpu":
        yield
        return
    if _blas_controller is None:
        from threadpoolctl import ThreadpoolController

        _blas_controller = ThreadpoolController()
    with _blas_controller.limit(limits=int(n), user_api="blas"):
        yield


# ---------------------------------------------------------------- helpers whose spelling differs
def sliding_window_view(x, window_shape, axis=None):
    """Read-only sliding windows of ``x`` along ``axis`` (appended as trailing dims)."""
    return active().sliding_window_view(x, window_shape, axis=axis)


def as_strided(x, shape, strides, writeable: bool = False):
    """A strided view of ``x`` (strides in bytes), read-only unless asked (on NumPy; CuPy arrays are always
    writeable); write only where no two view elements share memory."""
    return active().as_strided(x, shape, strides, writeable)


def axpy(alpha: float, x, y) -> None:
    """``y += alpha * x`` in place (BLAS on the CPU): the optimizers' update."""
    active().axpy(float(alpha), x, y)


def max_last_axis(x):
    """``x.max(axis=-1, keepdims=True)``, by the fastest route on the active backend (softmax, pooling)."""
    return active().max_last_axis(x)


def scatter_add(a, indices, values) -> None:
    """``a[indices] += values`` with repeated indices accumulated (np.add.at / cupyx.scatter_add)."""
    active().scatter_add(a, indices, values)


def einsum(subscripts: str, *operands):
    """einsum with the backend's best contraction path."""
    return active().einsum(subscripts, *operands)


def tensordot(a, b, axes=2):
    """tensordot on the active backend."""
    return active().tensordot(a, b, axes=axes)


def fuse(function):
    """Fuse an elementwise function into one kernel on CUDA (cupy.fuse); unchanged on the CPU."""
    return active().fuse(function)


def synchronize() -> None:
    """Wait for queued device work (benchmarks); a no-op on the CPU."""
    active().synchronize()


def memory_reserved() -> int:
    """Bytes the device memory pool holds (in use or cached); 0 on the CPU. Benchmarks take its growth over a
    few training steps as the step's peak device memory."""
    return active().memory_reserved()


def release_memory() -> None:
    """Return the device pool's cached, unused blocks to the driver (a no-op on the CPU)."""
    active().release_memory()


def float_errors_ignored():
    """Context that silences NumPy's overflow / invalid-value warnings (CuPy never warns): training checks
    the loss itself and reports a NaN once, with its epoch and batch, instead of a warning per batch."""
    return numpy.errstate(all="ignore")


# ---------------------------------------------------------------- host-side I/O
def host():
    """The host array module (NumPy), for data that lives on the host: datasets, files, reports."""
    return numpy


def save_npz(file, arrays: dict) -> None:
    """Write host copies of ``arrays`` (name -> array) to an open binary file or path as .npz."""
    numpy.savez(file, **{name: to_numpy(value) for name, value in arrays.items()})


def load_npz(path) -> dict:
    """Read a .npz file into a dict of host NumPy arrays (no pickles)."""
    with open(path, "rb") as file, numpy.load(file, allow_pickle=False) as data:  # we own the handle: numpy
        return {name: data[name] for name in data.files}  # leaks its own when the zip is corrupt
