"""Convolution as one GEMM against a banded weight matrix: the input is unrolled along kernel ROWS only.

    rows  X (batch * Ho, kh * Wp * C)     rows ho .. ho + kh - 1 of the padded image, contiguous runs
    band  T (kh * Wp * C, Wo * cout)      T[(i, w, c), (wo, o)] = W[i, w - stride * wo, c, o] inside the band
    out   X @ T = (batch * Ho, Wo * cout) which IS the channels-last output, no transpose

im2col copies every input pixel kh * kw times; this copies it kh times and does Wp / kw times the FLOPs in one
fat GEMM. For kernels wide relative to the image (LeNet's 9x9 on 28x28) it measured 2.8x faster forward and
1.7x faster for the weight gradient; for narrow kernels on wide inputs im2col wins (conv.py chooses)."""

from __future__ import annotations

from .. import backends
from ._windows import output_size, tap_slice


def worth_it(padded_width: int, kw: int) -> bool:
    """The banded GEMM does padded_width / kw times im2col's FLOPs: worth it up to about 4x."""
    return padded_width <= 4 * kw


def row_windows(xpad, kh: int, sh: int):
    """(batch, Hp, Wp, C) -> (batch * Ho, kh * Wp * C): each row the kh image rows one output row sees."""
    xp = backends.xp()
    xpad = xp.ascontiguousarray(xpad)
    b, hp, wp, c = xpad.shape
    ho = output_size(hp, kh, sh)
    s0, s1 = xpad.strides[:2]
    # the merged (W, C) axis steps by one item: NOT strides[3], which is 0 for a size-1 axis made by x[..., None]
    # (NumPy still calls such an array contiguous, so ascontiguousarray keeps it)
    view = backends.as_strided(xpad, (b, ho, kh, wp * c), (s0, s1 * sh, s1, xpad.itemsize))
    return xp.ascontiguousarray(view).reshape(b * ho, kh * wp * c)


def _blocks(t5, kw: int, sw: int, writeable: bool = False):
    """View (Wo, kh, kw, C, cout) of the band's blocks: [o, i, j, c, co] is t5[i, sw * o + j, c, o, co].
    Distinct entries are distinct memory, so writing through it is safe."""
    kh, _, c, wo, cout = t5.shape
    s = t5.strides
    return backends.as_strided(t5, (wo, kh, kw, c, cout), (sw * s[1] + s[3], s[0], s[1], s[2], s[4]), writeable)


def band(weight, wp: int, wo: int, sw: int):
    """The banded matrix (kh * Wp * C, Wo * cout) of a (kh, kw, C, cout) kernel: one broadcast write."""
    kh, kw, c, cout = weight.shape
    t5 = backends.xp().zeros((kh, wp, c, wo, cout), dtype=weight.dtype)
    _blocks(t5, kw, sw, writeable=True)[...] = weight
    return t5.reshape(kh * wp * c, wo * cout)


def unband(t, kernel_shape: tuple, wp: int, wo: int, sw: int):
    """Adjoint of band: the sum of the band's blocks, a (kh, kw, C, cout) kernel gradient."""
    kh, kw, c, cout = kernel_shape
    return _blocks(backends.xp().ascontiguousarray(t).reshape(kh, wp, c, wo, cout), kw, sw).sum(axis=0)


def fold_rows(rows, padded_shape: tuple, kh: int, sh: int):
    """Adjoint of row_windows: (batch * Ho, kh * Wp * C) -> (batch, Hp, Wp, C), summing overlapping rows."""
    b, hp, wp, c = padded_shape
    ho = output_size(hp, kh, sh)
    r4 = rows.reshape(b, ho, kh, wp * c)
    out = backends.xp().zeros((b, hp, wp * c), dtype=rows.dtype)
    for i in range(kh):
        out[:, tap_slice(i, sh, ho), :] += r4[:, :, i, :]
    return out.reshape(padded_shape)
