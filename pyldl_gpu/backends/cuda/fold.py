"""The fold (col2im) of a tiled convolution in one kernel (kernels/fold.cu), where the array code runs kh * q
strided additions over the whole input gradient after zero-filling it. The tile windows (im2col) are already one
strided copy in the array code and keep it."""

from __future__ import annotations

from ..backend import Backend
from ..generic.geometry import output_size, span
from .launch import KernelOps
from .sources import Family, Kernel

FAMILY = Family("fold", "fold.cu", (Kernel("conv_fold", ("const T*", "T*", "long long", *("int",) * 10)),))


def fold_geometry(padded_shape: tuple, kh: int, kw: int, sh: int, sw: int, g: int) -> tuple:
    """(batch, Hp, Wp, C, Ho, tiles, kh, Wt, sh, step, q): generic/tiles.py conv_fold's quantities."""
    b, hp, wp, c = padded_shape
    ho, wo = output_size(hp, kh, sh), output_size(wp, kw, sw)
    tiles, wt, step = wo // g, span(g, kw, sw), g * sw
    return (b, hp, wp, c, ho, tiles, kh, wt, sh, step, min(-(-wt // step), tiles))


class FoldKernels(KernelOps):
    family = FAMILY
    operations = ("conv_fold",)

    def conv_fold(self, rows, padded_shape, kh, kw, sh, sw, g):
        t = self.floats(rows)
        geometry = fold_geometry(tuple(padded_shape), kh, kw, sh, sw, g)
        b, _, _, c, ho, tiles, _, wt, *_ = geometry
        if t is None or rows.shape != (b * ho * tiles, kh * wt * c) or ho < 1 or tiles < 1:
            return Backend.conv_fold(self.backend, rows, padded_shape, kh, kw, sh, sw, g)
        out = self.xp.empty(tuple(padded_shape), dtype=rows.dtype)
        self.run("conv_fold", (t,), out.size, rows, out, *geometry)
        return out
