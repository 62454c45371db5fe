"""Keep the C heap's freed memory for the next training step (glibc on Linux).

NumPy allocates every array with malloc. glibc serves blocks above its mmap threshold with fresh mappings and
gives the top of its heap back to the OS once more than M_TRIM_THRESHOLD bytes there are free; either way the
next step's arrays of the same sizes land on new pages, which the kernel zero-fills one 4 KiB page fault at a
time: a convolutional training step takes thousands of them. Raising both thresholds keeps a step's memory mapped
for the next step, and the page faults disappear (bench/NOTES.md has the measurements; PyTorch's CPU allocator is
glibc's too and gains from the same setting).

It is on by default, when the CPU backend is first used: training is what the library is for, and the setting
makes its CNN steps markedly faster. Turn it off with ``PYLDL_MALLOC_TUNING=0`` when pyldl_gpu runs inside a
long-lived process whose other parts should get freed memory back quickly.

The setting is process-wide (every library in the process shares the heap) and costs resident memory: up to
``trim_threshold`` freed bytes stay mapped instead of going back to the OS. It is skipped where the C library is
not glibc, where ``PYLDL_MALLOC_TUNING=0``, or where the user already tuned glibc with MALLOC_* variables."""

from __future__ import annotations

import ctypes
import os
import sys

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameter numbers (malloc.h)
MMAP_THRESHOLD = 32 << 20  # glibc's largest accepted value on 64-bit systems
TRIM_THRESHOLD = 256 << 20
ENV_VAR = "PYLDL_MALLOC_TUNING"

_done = False


def keep_freed_memory(mmap_threshold: int = MMAP_THRESHOLD, trim_threshold: int = TRIM_THRESHOLD) -> bool:
    """Set glibc's mmap and trim thresholds (once per process). True when they were set."""
    global _done
    if _done:
        return True
    if not sys.platform.startswith("linux") or os.environ.get(ENV_VAR, "1") == "0":
        return False
    if any(name.startswith("MALLOC_") for name in os.environ):
        return False  # the user's own glibc tuning wins
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl or another C library: nothing to tune
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    _done = bool(mallopt(M_MMAP_THRESHOLD, mmap_threshold)) and bool(mallopt(M_TRIM_THRESHOLD, trim_threshold))
    return _done
