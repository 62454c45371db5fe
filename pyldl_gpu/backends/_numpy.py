"""The helper surface on NumPy: the CPU backend."""

from __future__ import annotations

import numpy
from numpy.lib import stride_tricks


class NumpyBackend:
    """Array module and helpers for the host CPU. Every backend offers the same names."""

    name = "cpu"
    xp = numpy
    ndarray = numpy.ndarray

    def __init__(self, seed: int | None = None) -> None:
        self.rng = numpy.random.default_rng(seed)

    def seed(self, seed: int) -> None:
        """Reseed this backend's random generator (dropout masks and other device-side draws)."""
        self.rng = numpy.random.default_rng(seed)

    def asarray(self, a, dtype=None):
        """Host data -> a NumPy array (no copy when already of that dtype)."""
        return numpy.asarray(a, dtype=dtype)

    @staticmethod
    def to_numpy(a):
        return numpy.asarray(a)

    @staticmethod
    def axpy(alpha: float, x, y) -> None:
        """y += alpha * x in place. Not SciPy's BLAS saxpy: SciPy bundles a second OpenBLAS whose thread pool
        spins against NumPy's and made every GEMM 4x slower on 2 cores (measured)."""
        y += alpha * x

    @staticmethod
    def sliding_window_view(x, window_shape, axis=None):
        """Read-only windows over x: numpy.lib.stride_tricks.sliding_window_view."""
        return stride_tricks.sliding_window_view(x, window_shape, axis=axis)

    @staticmethod
    def as_strided(x, shape, strides):
        """A strided view; strides in bytes."""
        return stride_tricks.as_strided(x, shape=shape, strides=strides, writeable=False)

    @staticmethod
    def scatter_add(a, indices, values) -> None:
        """a[indices] += values, accumulating repeated indices (unbuffered)."""
        numpy.add.at(a, indices, values)

    @staticmethod
    def einsum(subscripts, *operands):
        """einsum with contraction-order optimisation (NumPy spells it optimize=True)."""
        return numpy.einsum(subscripts, *operands, optimize=True)

    @staticmethod
    def tensordot(a, b, axes=2):
        return numpy.tensordot(a, b, axes=axes)

    @staticmethod
    def fuse(function):
        """Kernel fusion is a CuPy feature: on the CPU the function runs as written."""
        return function

    @staticmethod
    def synchronize() -> None:
        """NumPy runs eagerly: nothing to wait for."""

    def describe(self) -> str:
        return f"cpu (NumPy {numpy.__version__})"
