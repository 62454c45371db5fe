"""The CPU backend: NumPy, with the fused operations served by compiled kernels (compiled.py, kernels/) and the few
operations NumPy serves faster another way overridden."""

from __future__ import annotations

import threading

import numpy
from numpy.lib import stride_tricks

from .._heap import keep_freed_memory
from ..registry import register_backend
from . import kernels
from .compiled import CompiledOps
from .tile_model import tile_width


class NumpyBackend(CompiledOps):
    """Arrays in host memory through NumPy."""

    name = "cpu"
    xp = numpy
    ndarray = numpy.ndarray

    AXPY_CHUNK = 1 << 16  # elements: a 256 KB float32 scratch stays in L2

    def __init__(self, seed: int | None = None) -> None:
        super().__init__(seed)
        keep_freed_memory()  # no page faults for every large array of every step (see _heap.py)
        self._local = threading.local()  # per-thread scratch: trials may train in parallel threads

    def describe(self) -> str:
        """The device, NumPy's version and which kernels serve the fused operations (importing Numba, if on)."""
        return f"cpu (NumPy {numpy.__version__}; {kernels.describe()})"

    def to_numpy(self, a):
        return numpy.asarray(a)

    def as_strided(self, x, shape, strides, writeable: bool = False):
        """A C-contiguous x (every caller in the library) gets its view as an ndarray over x's buffer, which also
        checks that the view stays inside x and skips stride_tricks' array-interface round trip."""
        if x.flags.c_contiguous and (writeable <= x.flags.writeable):
            view = numpy.ndarray(shape, x.dtype, buffer=x, strides=strides)
            view.flags.writeable = writeable
            return view
        return stride_tricks.as_strided(x, shape=shape, strides=strides, writeable=writeable)

    def axpy(self, alpha: float, x, y) -> None:
        """Large arrays go in cache-sized chunks through a reused scratch buffer, so the scaled copy never reaches
        main memory. (Not SciPy's BLAS saxpy: SciPy bundles a second OpenBLAS whose spinning pool slowed every
        GEMM on 2 cores; bench/NOTES.md.)"""
        chunk = self.AXPY_CHUNK
        if y.size <= 2 * chunk or x.dtype != y.dtype or x.shape != y.shape or not (
                x.flags.c_contiguous and y.flags.c_contiguous):
            y += alpha * x
            return
        scratch = getattr(self._local, "axpy", None)
        if scratch is None or scratch.dtype != y.dtype:
            scratch = self._local.axpy = numpy.empty(chunk, dtype=y.dtype)
        flat_x, flat_y = x.reshape(-1), y.reshape(-1)  # views: writes land in y
        for start in range(0, flat_y.size, chunk):
            stop = min(start + chunk, flat_y.size)
            part = scratch[: stop - start]
            numpy.multiply(flat_x[start:stop], alpha, out=part)
            flat_y[start:stop] += part

    def max_last_axis(self, x):
        """NumPy reduces short rows one by one; a loop of elementwise maxima over the few columns is faster, so
        rows of up to 32 entries take that path."""
        columns = x.shape[-1]
        if columns > 32 or columns < 2:
            return x.max(axis=-1, keepdims=True)
        out = x[..., 0:1].copy()
        for j in range(1, columns):
            numpy.maximum(out, x[..., j:j + 1], out=out)
        return out

    def conv_tile_width(self, rows, wo, kh, kw, sw, c, cout, input_gradient=False) -> int:
        """By a cost model fitted to the project's 2-core CPU (tile_model.py)."""
        return tile_width(rows, wo, kh, kw, sw, c, cout, input_gradient)


register_backend("cpu", lambda index, seed: NumpyBackend(seed), auto_priority=0)
