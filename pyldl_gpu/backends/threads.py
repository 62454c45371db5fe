"""CPU cores and the BLAS thread pool."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator

from .devices import active

_lock = threading.Lock()
_controller = None  # threadpoolctl's controller, built on first use (it scans the loaded libraries)
_controller_modules = -1  # len(sys.modules) when it was built: an import since may have loaded another BLAS
_limit = None  # its limit while any blas_threads block runs, else None
_limit_threads: int | None = None  # that limit's thread count (the CPU kernels follow it)
_holders = 0  # how many blas_threads blocks are open, in all threads


def cpu_threads() -> int:
    """How many CPU cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _release_openblas_control() -> None:
    """threadpoolctl (3.6 on) lets only the thread that last set an OpenBLAS limit set it again while that
    thread lives, and silently ignores the others: the last block to close, in another thread, could not restore
    the pool. Every change here is serialised under _lock, so after each one the control is handed back."""
    import threadpoolctl

    clear = getattr(getattr(threadpoolctl, "OpenBLASController", None), "clear_controlling_thread", None)
    if clear is not None:
        clear(force=True)


@contextlib.contextmanager
def blas_threads(n: int) -> Iterator[None]:
    """Limit the CPU BLAS pool (OpenBLAS, MKL, ...) to ``n`` threads inside the context (a process-wide setting).
    Blocks open in several threads at once share one limit, set by the first and undone by the last to close,
    whichever threads those are, so the pool ends as it was found. A no-op on other devices."""
    global _controller, _controller_modules, _limit, _limit_threads, _holders
    if active().name != "cpu":
        yield
        return
    with _lock:
        if _holders == 0:
            if _controller is None or _controller_modules != len(sys.modules):
                from threadpoolctl import ThreadpoolController

                # scanning takes milliseconds: again only after an import (Numba brings SciPy's own OpenBLAS)
                _controller, _controller_modules = ThreadpoolController(), len(sys.modules)
            _release_openblas_control()
            _limit = _controller.limit(limits=int(n), user_api="blas")
            _limit_threads = int(n)
            _release_openblas_control()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0:
                _release_openblas_control()
                _limit.restore_original_limits()
                _release_openblas_control()
                _limit = _limit_threads = None


def blas_thread_limit() -> int | None:
    """The thread count an open blas_threads block set (DataParallel's replicas: 1), else None. The CPU
    backend's compiled kernels use no more threads than that, so the replicas do not oversubscribe the cores."""
    return _limit_threads
