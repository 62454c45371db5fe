"""The weight side of a tiled convolution: the band, and its adjoints. (The data side, the tile windows and their
fold, are operations of the backend: backends/generic/tiles.py.)

A tile is g neighbouring output columns of one output row. It reads kh input rows and Wt = (g - 1) * sw + kw
input columns, so with G = Wo / g tiles per output row:

    windows X (batch * Ho * G, kh * Wt * C)    backend.conv_windows
    band    T (kh * Wt * C, g * cout)          T[(i, w, c), (t, o)] = W[i, w - sw * t, c, o] inside the band, else 0
    out     X @ T = (batch * Ho * G, g * cout) which IS the channels-last output (batch, Ho, Wo, cout)

    weights: dW = unband(X.T @ delta)          input: dx = fold(delta @ T.T)        (backend.conv_fold)

With a bias, X gets a last column of ones and T a last row holding the bias once per tile column: the GEMM adds
the bias, and the last row of X.T @ delta is the bias gradient (two passes over the output fewer).

g = 1 is im2col (T is the kernel as a matrix; a thin GEMM, N = cout); g = Wo is one band per output row (a fat
GEMM with Wp / kw times im2col's FLOPs, mostly zeros). The backend picks g (``conv_tile_width``). The textbook
version of all this is im2col and one GEMM: reference.conv2d."""

from __future__ import annotations

from .. import backends
from ..backends.generic.geometry import span


def _blocks(t5, kw: int, sw: int, writeable: bool = False):
    """View (g, kh, kw, C, cout) of the band's blocks: [t, i, j, c, o] is t5[i, sw * t + j, c, t, o].
    Distinct entries are distinct memory, so writing through it is safe."""
    kh, _, c, g, cout = t5.shape
    s = t5.strides
    return backends.as_strided(t5, (g, kh, kw, c, cout), (sw * s[1] + s[3], s[0], s[1], s[2], s[4]), writeable)


def band(weight, g: int, sw: int, bias=None):
    """The band (kh * Wt * C [+ 1], g * cout) of a (kh, kw, C, cout) kernel: one broadcast write into zeros, then
    the (cout,) bias once per tile column in a last row, if given."""
    xp = backends.xp()
    kh, kw, c, cout = weight.shape
    k = kh * span(g, kw, sw) * c
    t = xp.zeros((k + (bias is not None), g * cout), dtype=weight.dtype)
    _blocks(t[:k].reshape(kh, span(g, kw, sw), c, g, cout), kw, sw, writeable=True)[...] = weight
    if bias is not None:
        t[k].reshape(g, cout)[...] = bias
    return t


def unband(t, kernel_shape: tuple, g: int, sw: int):
    """Adjoint of band for the kernel: the sum of the band's g blocks, a (kh, kw, C, cout) gradient (a bias row,
    if t has one, is left out)."""
    kh, kw, c, cout = kernel_shape
    k = kh * span(g, kw, sw) * c
    t5 = backends.xp().ascontiguousarray(t[:k]).reshape(kh, span(g, kw, sw), c, g, cout)
    return _blocks(t5, kw, sw).sum(axis=0)


def unband_bias(t, g: int):
    """Adjoint of band for the bias: its last row summed over the g tile columns, (cout,)."""
    return t[-1].reshape(g, -1).sum(axis=0)
