"""The one place that imports NumPy or CuPy; everything else asks this package at call time.

    backend.py     the interface: every operation a backend provides, with its array-module default
    generic/       those defaults (also the oracle of every compiled kernel)
    cpu/, cuda/    the NumPy and CuPy backends: each overrides only what it does differently
    registry.py    backends by name, device strings          devices.py  which backend is active
    dtypes.py      the default float dtype                   seeding.py  random generators, manual_seed
    transfers.py   host <-> device, host file I/O            threads.py  CPU cores, the BLAS pool
    precision.py   float32 matmul precision (TF32 on CUDA)   _heap.py    the CPU backend's glibc heap setting

Device precedence: ``set_device()`` / ``with device(...)`` beats ``PYLDL_DEVICE``, which beats ``cpu``. Device,
default dtype and seeded generators are per context (thread)."""

from __future__ import annotations

from . import cpu, cuda  # noqa: F401 - importing them registers the built-in backends
from .backend import Backend
from .devices import active, cuda_is_available, device, get_device, reset, set_device, xp
from .dtypes import default_dtype, floatx, set_default_dtype
from .precision import get_matmul_precision, set_matmul_precision
from .registry import ENV_VAR, DeviceSpec, backend_names, parse_device, register_backend, unregister_backend
from .seeding import Streams, host_rng, local_rng, manual_seed, rng, spawn_streams, using_streams
from .threads import blas_threads, cpu_threads
from .transfers import asarray, float_errors_ignored, host, is_array, load_npz, require_array, save_npz, to_numpy

__all__ = [
    "ENV_VAR", "Backend", "DeviceSpec", "Streams", "active", "as_strided", "asarray", "axpy", "backend_names",
    "blas_threads", "cpu_threads", "cuda_is_available", "default_dtype", "device", "float_errors_ignored", "floatx",
    "get_device", "get_matmul_precision", "host", "host_rng", "is_array", "load_npz", "local_rng", "manual_seed",
    "max_last_axis", "memory_reserved", "parse_device", "register_backend", "release_memory", "require_array",
    "reset", "rng", "save_npz", "set_default_dtype", "set_device", "set_matmul_precision", "spawn_streams",
    "synchronize", "to_numpy", "unregister_backend", "using_streams", "xp",
]


# ---------------------------------------------------------------- the active backend's helpers, by name
def as_strided(x, shape, strides, writeable: bool = False):
    """A strided view of ``x`` (strides in bytes), read-only unless asked (see Backend.as_strided)."""
    return active().as_strided(x, shape, strides, writeable)


def axpy(alpha: float, x, y) -> None:
    """``y += alpha * x`` in place."""
    active().axpy(float(alpha), x, y)


def max_last_axis(x):
    """``x.max(axis=-1, keepdims=True)``, by the fastest route on the active backend."""
    return active().max_last_axis(x)


def synchronize() -> None:
    """Wait for queued device work (benchmarks); a no-op on the CPU."""
    active().synchronize()


def memory_reserved() -> int:
    """Bytes the device memory pool holds (in use or cached); 0 on the CPU."""
    return active().memory_reserved()


def release_memory() -> None:
    """Return the device pool's cached, unused blocks to the driver (a no-op on the CPU)."""
    active().release_memory()
