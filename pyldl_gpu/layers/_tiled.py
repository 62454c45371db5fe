"""Convolution as one GEMM over width tiles: im2col and the banded GEMM are its two ends.

A tile is g neighbouring output columns of one output row. It reads kh input rows and Wt = (g - 1) * sw + kw
input columns, so with G = Wo / g tiles per output row:

    windows X (batch * Ho * G, kh * Wt * C)    one strided view, one contiguous copy
    band    T (kh * Wt * C, g * cout)          T[(i, w, c), (t, o)] = W[i, w - sw * t, c, o] inside the band, else 0
    out     X @ T = (batch * Ho * G, g * cout) which IS the channels-last output (batch, Ho, Wo, cout)

    weights: dW = unband(X.T @ delta)          input: dx = fold(delta @ T.T)

With a bias, X gets a last column of ones and T a last row holding the bias once per tile column: the GEMM adds
the bias, and the last row of X.T @ delta is the bias gradient (saves two passes over the output: -0.4 ms of
LeNet conv1's 3.4, -0.18 of the seed Conv1D's 0.54).

g = 1 is im2col (T is the kernel as a matrix; every input pixel is copied kh * kw times, the GEMM is thin: N = cout).
g = Wo is the banded GEMM (each pixel copied kh times, a fat GEMM, but Wp / kw times im2col's FLOPs, mostly zeros).
tile_width() picks g in between from a cost model of this CPU (LeNet's 9x9 conv: g = 10 of Wo = 20)."""

from __future__ import annotations

from functools import lru_cache

from .. import backends
from ._windows import output_size

# cost model, fitted to copy, fold and GEMM times measured on the project's 2-core AVX-512 CPU (bench/NOTES.md): a
# GEMM runs at PEAK * N / (N + N_HALF) * K / (K + K_HALF) FLOP/ns; per element of the windows, the strided copy
# costs COPY_NS + COPY_RUN_NS / run and the fold FOLD_NS + FOLD_RUN_NS / run, run being the contiguous stretch
# (Wt * C items) each moves at a time
_PEAK, _N_HALF, _K_HALF = 310.0, 24.0, 32.0
_COPY_NS, _COPY_RUN_NS = 0.1, 10.0
_FOLD_NS, _FOLD_RUN_NS = 0.9, 10.0


def span(g: int, kw: int, sw: int) -> int:
    """Wt: the input columns a tile of g outputs reads."""
    return (g - 1) * sw + kw


def _cost(g: int, rows: int, wo: int, kh: int, kw: int, sw: int, c: int, cout: int, input_gradient: bool) -> float:
    """Modelled ns at tile width g: the copy and the two GEMMs of the forward and the weight gradient, or, for the
    input gradient, its GEMM and the fold."""
    wt = span(g, kw, sw)
    m, k, n = rows * (wo // g), kh * wt * c, g * cout
    gemm = 2.0 * m * k * n / (_PEAK * n / (n + _N_HALF) * k / (k + _K_HALF))
    if input_gradient:
        return gemm + m * k * (_FOLD_NS + _FOLD_RUN_NS / (wt * c))
    return 2 * gemm + m * k * (_COPY_NS + _COPY_RUN_NS / (wt * c))


@lru_cache(maxsize=256)
def tile_width(rows: int, wo: int, kh: int, kw: int, sw: int, c: int, cout: int, input_gradient: bool = False) -> int:
    """The divisor g of Wo with the least modelled cost; rows = batch * Ho. The input gradient never reads the
    windows, so it gets a tile width of its own (LeNet conv2: 3 for the forward, 6 for the input gradient)."""
    divisors = [g for g in range(1, wo + 1) if wo % g == 0]
    return min(divisors, key=lambda g: _cost(g, rows, wo, kh, kw, sw, c, cout, input_gradient))


def windows(xpad, kh: int, kw: int, sh: int, sw: int, g: int, ones: bool = False):
    """(batch, Hp, Wp, C) -> (batch * Ho * G, kh * Wt * C [+ 1]): per tile, the kh rows by Wt columns it reads,
    then a column of ones if asked (for the bias)."""
    xp = backends.xp()
    xpad = xp.ascontiguousarray(xpad)
    b, hp, wp, c = xpad.shape
    ho, wo = output_size(hp, kh, sh), output_size(wp, kw, sw)
    tiles, wt = wo // g, span(g, kw, sw)
    k = kh * wt * c
    s0, s1, s2 = xpad.strides[:3]
    # the merged (Wt, C) axis steps by one item: NOT strides[3], which is 0 for a size-1 axis made by x[..., None]
    # (NumPy still calls such an array contiguous, so ascontiguousarray keeps it)
    view = backends.as_strided(xpad, (b, ho, tiles, kh, wt * c), (s0, s1 * sh, s2 * sw * g, s1, xpad.itemsize))
    out = xp.empty((b * ho * tiles, k + ones), dtype=xpad.dtype)
    row = out.strides[0]
    backends.as_strided(out, view.shape, (row * ho * tiles, row * tiles, row, wt * c * out.itemsize, out.itemsize),
                        writeable=True)[...] = view
    if ones:
        out[:, k] = 1
    return out


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


def fold(rows, padded_shape: tuple, kh: int, kw: int, sh: int, sw: int, g: int):
    """Adjoint of windows: (batch * Ho * G, kh * Wt * C) -> (batch, Hp, Wp, C), summing where windows overlap.

    Tiles q = ceil(Wt / (g * sw)) apart never overlap, so one slice ``+=`` adds a whole phase of tiles for one
    kernel row: kh * min(q, G) adds in all (kh * kw for im2col, kh for the banded GEMM)."""
    xp = backends.xp()
    b, hp, wp, c = padded_shape
    ho, wo = output_size(hp, kh, sh), output_size(wp, kw, sw)
    tiles, wt, step = wo // g, span(g, kw, sw), g * sw
    q = min(-(-wt // step), tiles)
    r6 = rows.reshape(b, ho, tiles, kh, wt, c)
    out = xp.zeros(padded_shape, dtype=rows.dtype)
    flat = out.reshape(-1)
    s0, s1, s2, s3 = out.strides
    for i in range(kh):
        for p in range(q):
            n = len(range(p, tiles, q))
            start = (i * s1 + p * step * s2) // out.itemsize  # image row i, column of tile p
            phase = backends.as_strided(flat[start:], (b, ho, n, wt, c), (s0, s1 * sh, s2 * step * q, s2, s3), True)
            phase += r6[:, :, p::q, i]
    return out
