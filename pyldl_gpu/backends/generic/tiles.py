"""The data movement of a tiled convolution in array code: the tile windows (im2col's generalisation) and their
adjoint, the fold (col2im's).

A tile is g neighbouring output columns of one output row. It reads kh input rows and Wt = (g - 1) * sw + kw
input columns (``span``), so with G = Wo / g tiles per output row:

    windows (batch, Hp, Wp, C) -> (batch * Ho * G, kh * Wt * C [+ 1])    one strided view, one contiguous copy
    fold    (batch * Ho * G, kh * Wt * C) -> (batch, Hp, Wp, C)          sums where windows overlap

g = 1 is im2col (every input pixel copied kh * kw times); g = Wo copies each pixel kh times. Both take the
backend (for ``xp`` and its ``as_strided``) as their first argument."""

from __future__ import annotations

from .geometry import output_size, span


def conv_windows(backend, xpad, kh: int, kw: int, sh: int, sw: int, g: int, ones: bool = False):
    """(batch, Hp, Wp, C) -> (batch * Ho * G, kh * Wt * C [+ 1]): per tile, the kh rows by Wt columns it reads,
    then a column of ones if asked (for the bias)."""
    xp = backend.xp
    xpad = xp.ascontiguousarray(xpad)
    b, hp, wp, c = xpad.shape
    ho, wo = output_size(hp, kh, sh), output_size(wp, kw, sw)
    tiles, wt = wo // g, span(g, kw, sw)
    k = kh * wt * c
    s0, s1, s2 = xpad.strides[:3]
    # the merged (Wt, C) axis steps by one item: NOT strides[3], which is 0 for a size-1 axis made by x[..., None]
    # (NumPy still calls such an array contiguous, so ascontiguousarray keeps it)
    view = backend.as_strided(xpad, (b, ho, tiles, kh, wt * c), (s0, s1 * sh, s2 * sw * g, s1, xpad.itemsize))
    out = xp.empty((b * ho * tiles, k + ones), dtype=xpad.dtype)
    row = out.strides[0]
    backend.as_strided(out, view.shape, (row * ho * tiles, row * tiles, row, wt * c * out.itemsize, out.itemsize),
                       writeable=True)[...] = view
    if ones:
        out[:, k] = 1
    return out


def conv_fold(backend, rows, padded_shape: tuple, kh: int, kw: int, sh: int, sw: int, g: int):
    """Adjoint of conv_windows: (batch * Ho * G, kh * Wt * C) -> (batch, Hp, Wp, C), summing where windows overlap.

    Tiles q = ceil(Wt / (g * sw)) apart never overlap, so one slice ``+=`` adds a whole phase of tiles for one
    kernel row: kh * min(q, G) adds in all (kh * kw for im2col, kh for g = Wo)."""
    xp = backend.xp
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
            phase = backend.as_strided(flat[start:], (b, ho, n, wt, c), (s0, s1 * sh, s2 * step * q, s2, s3), True)
            phase += r6[:, :, p::q, i]
    return out
