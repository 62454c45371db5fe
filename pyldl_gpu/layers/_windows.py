"""Sliding-window helpers shared by convolution, pooling and upsampling: sizes, padding, kernel-tap slices,
channel sums and the 1-D <-> 2-D views.

Everything is channels-last and 2-D: x is (batch, H, W, C); 1-D layers call these on a (batch, 1, L, C) view."""

from __future__ import annotations

from collections.abc import Iterator

from .. import backends
from ..backends.generic.geometry import output_size, tap_slice

__all__ = ["channel_sum", "length_as_width", "output_size", "pad", "tap_slice", "taps", "unpad",
           "width_as_length"]


def channel_sum(a):
    """Sum over every axis but the last: (..., W, C) -> (C,). Summing the wide (rows, W * C) view first and the
    (W, C) rest after is much faster on NumPy than one reduction over short rows of C (bench/NOTES.md)."""
    if a.ndim < 3:
        return a.sum(axis=0)
    w, c = a.shape[-2:]
    return a.reshape(-1, w * c).sum(axis=0).reshape(w, c).sum(axis=0)


def pad(x, ph: int, pw: int):
    """Zero-pad the two spatial axes of (batch, H, W, C)."""
    if ph == 0 and pw == 0:
        return x
    xp = backends.xp()
    b, h, w, c = x.shape
    out = xp.zeros((b, h + 2 * ph, w + 2 * pw, c), dtype=x.dtype)
    out[:, ph:ph + h, pw:pw + w, :] = x
    return out


def unpad(x, ph: int, pw: int):
    """Inverse of pad (a contiguous copy when something was cut)."""
    if ph == 0 and pw == 0:
        return x
    return backends.xp().ascontiguousarray(x[:, ph:x.shape[1] - ph, pw:x.shape[2] - pw, :])


def taps(kh: int, kw: int, sh: int, sw: int, ho: int, wo: int) -> Iterator[tuple[int, int, slice, slice]]:
    """(i, j, rows, cols): the input slices that kernel tap (i, j) sees at every output position."""
    for i in range(kh):
        for j in range(kw):
            yield i, j, tap_slice(i, sh, ho), tap_slice(j, sw, wo)


def length_as_width(x):
    """(batch, length, C) -> a (batch, 1, length, C) view: how 1-D layers reuse the 2-D code."""
    return x.reshape(x.shape[0], 1, x.shape[1], x.shape[2])


def width_as_length(y4):
    """Inverse of length_as_width: (batch, 1, length, C) -> (batch, length, C)."""
    return y4.reshape(y4.shape[0], y4.shape[2], y4.shape[3])
