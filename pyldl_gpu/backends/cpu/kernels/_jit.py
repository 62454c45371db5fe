"""The decorators kernels are compiled with, and Numba's thread pool set up to share the cores.

``kernel`` is ``numba.njit`` with ``parallel=True`` (``prange`` loops run on Numba's thread pool), ``nogil=True``
(other Python threads run meanwhile) and ``cache=True`` (the machine code is written next to this package, or to
Numba's cache folder where that is not writable, and loaded by later processes instead of compiled again).
``serial_kernel`` is the same on one thread, for work too small to share (``prange`` then runs as ``range``).
Importing this module imports Numba: only ``kernels/__init__.py`` does, on first use.

Thread pool: the OpenMP layer is preferred (safe when several Python threads call kernels at once) and, unless
the user configured OpenMP's waiting, told to put its threads to sleep as soon as a kernel ends. By default GNU
OpenMP spins them for a while, and on a small machine those spinning threads take the cores from the next
OpenBLAS GEMM (measured: a 1.1 ms GEMM took 5 ms right after a two-thread kernel; bench/NOTES.md)."""

from __future__ import annotations

import os
import threading

import numba

USER_OPENMP = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "KMP_BLOCKTIME")
_started = False
_start_lock = threading.Lock()
_serial_lock = threading.Lock()  # the workqueue layer aborts on concurrent launches: they queue here instead

kernel = numba.njit(parallel=True, nogil=True, cache=True, error_model="numpy")
# for kernels over small arrays (a loss's rows, a parameter): one thread, and about a fifth of the compile time
serial_kernel = numba.njit(nogil=True, cache=True, error_model="numpy")

if "NUMBA_THREADING_LAYER" not in os.environ and "NUMBA_THREADING_LAYER_PRIORITY" not in os.environ:
    numba.config.THREADING_LAYER_PRIORITY = ["omp", "tbb", "workqueue"]


def start_pool() -> str:
    """Start Numba's thread pool (once) with OpenMP's threads sleeping when idle; returns the layer's name."""
    global _started
    with _start_lock:
        if not _started:
            from numba.np.ufunc import parallel

            passive = not any(name in os.environ for name in USER_OPENMP)
            if passive:  # read once, when the OpenMP library loads: set it for that moment only
                os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
            try:
                parallel._launch_threads()
            finally:
                if passive:
                    del os.environ["OMP_WAIT_POLICY"]
            _started = True
    return numba.threading_layer()


def pool_size() -> int:
    """The most threads Numba's pool can run (NUMBA_NUM_THREADS, by default every CPU of the machine)."""
    return int(numba.config.NUMBA_NUM_THREADS)


_local = threading.local()


def use_threads(n: int) -> None:
    """Run this thread's next kernels on n threads (Numba's setting is per calling thread; set only on change)."""
    if getattr(_local, "threads", None) != n:
        numba.set_num_threads(n)
        _local.threads = n


def serial_lock():
    """A lock kernels take on the workqueue layer (which cannot run two launches at once), else None."""
    return _serial_lock if numba.threading_layer() == "workqueue" else None
