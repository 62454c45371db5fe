"""Fused max and average pooling (kernels/pooling.cu): one kernel per pass where the array code runs a few per tap.

Max pooling keeps each window's winner as an int32 index into the window (``KernelWinners``); its backward takes
those only. Winners made by the array code (a fallback forward) go back to the array code's backward."""

from __future__ import annotations

from dataclasses import dataclass

from ..backend import Backend
from ..generic.geometry import output_size
from .launch import KernelOps
from .sources import Family, Kernel

GEOMETRY = ("long long",) + ("int",) * 10  # batch, H, W, C, Ho, Wo, kh, kw, sh, sw, rows_stage
FAMILY = Family("pooling", "pooling.cu", (
    Kernel("max_pool_forward", ("const T*", "T*", "int*", *GEOMETRY)),
    Kernel("max_pool_backward", ("const T*", "const int*", "T*", *GEOMETRY)),
    Kernel("avg_pool_forward", ("const T*", "T*", *GEOMETRY, "T", "T")),
    Kernel("avg_pool_backward", ("const T*", "T*", *GEOMETRY, "T", "T"))))


@dataclass(frozen=True)
class KernelWinners:
    """The winners of a kernel max pool: index (batch, Ho, Wo, C) int32 = row * kw + column within each window
    (-1: none), and the input's shape."""

    index: object
    x_shape: tuple


def geometry(x_shape: tuple, kernel: tuple, stride: tuple) -> tuple:
    """The kernels' geometry arguments for a (batch, H, W, C) input."""
    b, h, w, c = x_shape
    (kh, kw), (sh, sw) = kernel, stride
    rows_stage = int(kh > 1 or sh > 1)  # the array code's _pools_rows: does it run the stage over H?
    return (b, h, w, c, output_size(h, kh, sh), output_size(w, kw, sw), kh, kw, sh, sw, rows_stage)


class PoolingKernels(KernelOps):
    family = FAMILY
    operations = ("max_pool2d", "max_pool2d_backward", "avg_pool2d", "avg_pool2d_backward")

    def _geometry(self, x_shape, kernel, stride) -> tuple | None:
        """The geometry when the kernels take it (a 4-d input with at least one window), else None."""
        if len(x_shape) != 4:
            return None
        g = geometry(tuple(x_shape), tuple(kernel), tuple(stride))
        return g if g[4] >= 1 and g[5] >= 1 else None

    def max_pool2d(self, x, kernel, stride):
        t, g = self.floats(x), self._geometry(x.shape, kernel, stride)
        if t is None or g is None:
            return Backend.max_pool2d(self.backend, x, kernel, stride)
        out_shape = (g[0], g[4], g[5], g[3])
        y = self.xp.empty(out_shape, dtype=x.dtype)
        index = self.xp.empty(out_shape, dtype="int32")
        self.run("max_pool_forward", (t,), y.size, x, y, index, *g)
        return y, KernelWinners(index, tuple(x.shape))

    def max_pool2d_backward(self, delta, winners, kernel, stride):
        if not isinstance(winners, KernelWinners):
            return Backend.max_pool2d_backward(self.backend, delta, winners, kernel, stride)
        delta = self.xp.ascontiguousarray(delta)  # no copy when it already is (a strided delta: one copy)
        t = self.floats(delta)
        if t is None or delta.shape != winners.index.shape:
            raise ValueError(f"max_pool2d_backward: delta must be float32 or float64 shaped like the pool's output "
                             f"{tuple(winners.index.shape)}, got {tuple(delta.shape)} {delta.dtype}")
        dx = self.xp.empty(winners.x_shape, dtype=delta.dtype)
        self.run("max_pool_backward", (t,), dx.size, delta, winners.index, dx,
                 *geometry(winners.x_shape, tuple(kernel), tuple(stride)))
        return dx

    def avg_pool2d(self, x, kernel, stride):
        t, g = self.floats(x), self._geometry(x.shape, kernel, stride)
        if t is None or g is None:
            return Backend.avg_pool2d(self.backend, x, kernel, stride)
        y = self.xp.empty((g[0], g[4], g[5], g[3]), dtype=x.dtype)
        self.run("avg_pool_forward", (t,), y.size, x, y, *g, 1.0 / kernel[0], 1.0 / kernel[1])
        return y

    def avg_pool2d_backward(self, delta, x_shape, kernel, stride):
        t, g = self.floats(delta), self._geometry(tuple(x_shape), kernel, stride)
        if t is None or g is None or delta.shape != (g[0], g[4], g[5], g[3]):
            return Backend.avg_pool2d_backward(self.backend, delta, x_shape, kernel, stride)
        dx = self.xp.empty(tuple(x_shape), dtype=delta.dtype)
        self.run("avg_pool_backward", (t,), dx.size, delta, dx, *g, 1.0 / kernel[0], 1.0 / kernel[1])
        return dx
