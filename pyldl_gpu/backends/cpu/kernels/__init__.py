"""Compiled CPU kernels (Numba): the switch, the thread count and the cache. The kernels themselves are one file
per family, each a few plain loops: ``pooling.py``, ``activations.py``, ``tiles.py``, ``softmax.py``,
``updates.py``; ``_jit.py`` holds the decorator and the thread pool's set-up. docs/cpu-kernels.md tells the story.

Which code serves the CPU backend's fused operations, read once, at the backend's first use:

    PYLDL_KERNELS=numba        the kernels (the default when Numba can be imported)
    PYLDL_KERNELS=reference    the array code of backends/generic/ (the kernels' oracle), with or without Numba

How many threads a kernel runs on: ``PYLDL_NUM_THREADS`` if set, else ``NUMBA_NUM_THREADS`` or
``OMP_NUM_THREADS`` if the user set one, else every core this process may use; never more than Numba's pool
holds, never more than an open ``blas_threads(n)`` block allows (DataParallel's replicas run one thread each), and
one thread for small work, where waking a second costs more than it saves. Every kernel splits its work so that
the result does not depend on that count (no sums across the parallel loop): the same bits on 1 or 16 threads.

Nothing here imports Numba until a kernel is first called; compiled code is cached on disk (``cache_location``),
so only a process that finds no cache compiles, each kernel at its first call for each dtype."""

from __future__ import annotations

import importlib.util
import os
import threading
from types import SimpleNamespace

from ...threads import blas_thread_limit, cpu_threads

KERNELS_VAR = "PYLDL_KERNELS"
THREADS_VAR = "PYLDL_NUM_THREADS"
CHOICES = ("numba", "reference")
USER_THREAD_VARS = (THREADS_VAR, "NUMBA_NUM_THREADS", "OMP_NUM_THREADS")
PARALLEL_WORK = 1 << 16  # elements: below this a kernel runs on one thread (a wake-up costs ~10-20 us)
# elements: below this an activation (forward or backward) runs the array code. NumPy makes that pass as fast as
# one kernel thread does (bench/NOTES.md, "Small work"), so the kernel's edge is its second thread, and an MLP's
# first run does not compile kernels it would not gain from
ELEMENTWISE_WORK = 1 << 17

_lock = threading.Lock()
_loaded: SimpleNamespace | None = None


def choice() -> tuple[str, str]:
    """(which kernels serve the CPU backend: 'numba' or 'reference', why)."""
    asked = os.environ.get(KERNELS_VAR, "").strip().lower()
    if asked not in ("", *CHOICES):
        raise ValueError(f"{KERNELS_VAR} must be one of {CHOICES} (or unset), got {os.environ[KERNELS_VAR]!r}")
    if asked == "reference":
        return "reference", f"{KERNELS_VAR}=reference"
    if importlib.util.find_spec("numba") is None:
        if asked == "numba":
            raise ValueError(f"{KERNELS_VAR}=numba, but Numba is not installed: pip install numba (or install "
                             "pyldl-gpu with its default dependencies)")
        return "reference", "Numba is not installed"
    return "numba", f"{KERNELS_VAR}=numba" if asked else "the default where Numba is installed"


def load() -> SimpleNamespace:
    """The kernel families (imports Numba and starts its thread pool, once)."""
    global _loaded
    if _loaded is None:
        with _lock:
            if _loaded is None:
                from . import _jit, activations, pooling, softmax, tiles, updates

                _jit.start_pool()
                _loaded = SimpleNamespace(activations=activations, pooling=pooling, softmax=softmax, tiles=tiles,
                                          updates=updates, jit=_jit, lock=_jit.serial_lock())
    return _loaded


def _user_threads() -> int | None:
    for name in USER_THREAD_VARS:
        value = os.environ.get(name, "").strip()
        if value:
            try:
                count = int(value)
            except ValueError:
                raise ValueError(f"{name} must be a positive integer, got {value!r}") from None
            if count < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
            return count
    return None


_configured: int | None = None


def configured_threads() -> int:
    """The kernels' thread count for large work (read from the environment once; see the module's docstring)."""
    global _configured
    if _configured is None:
        wanted = _user_threads() or cpu_threads()
        _configured = max(1, min(wanted, load().jit.pool_size()))
    return _configured


def threads_for(work: int) -> int:
    """Threads for a kernel over ``work`` elements: 1 for small work, else the configured count, capped by an
    open blas_threads block."""
    if work < PARALLEL_WORK:
        return 1
    limit = blas_thread_limit()
    n = configured_threads()
    return n if limit is None else max(1, min(n, limit))


def cache_location() -> str:
    """Where Numba keeps the compiled kernels: next to this package when it is writable, else Numba's cache folder
    (NUMBA_CACHE_DIR, or the user's cache directory)."""
    return str(load().activations.relu._cache._cache_path)


def describe() -> str:
    """One phrase: which kernels serve the CPU backend, on how many threads, and why."""
    kind, why = choice()
    if kind == "reference":
        return f"kernels: reference array code ({why})"
    import numba

    load()
    return (f"kernels: Numba {numba.__version__} ({why}), {configured_threads()} thread(s) on the "
            f"{numba.threading_layer()} layer")
