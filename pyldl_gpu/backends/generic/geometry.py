"""Window geometry shared by the array operations and the layers: sizes and kernel-tap slices along one axis."""

from __future__ import annotations


def output_size(size: int, kernel: int, stride: int, padding: int = 0) -> int:
    """Number of window positions along one axis."""
    return (size + 2 * padding - kernel) // stride + 1


def tap_slice(i: int, stride: int, count: int) -> slice:
    """The input positions kernel tap i reads along one axis, for ``count`` outputs at ``stride``."""
    return slice(i, i + stride * (count - 1) + 1, stride)


def span(g: int, kw: int, sw: int) -> int:
    """Wt: the input columns a tile of g output columns reads (kernel width kw, stride sw)."""
    return (g - 1) * sw + kw
