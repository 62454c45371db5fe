"""Layers that only move data around: Flatten, Reshape, Upsample2D."""

from __future__ import annotations

import math

from .. import backends
from ..exceptions import ShapeError
from ..module import Module
from ._windows import taps


class Flatten(Module):
    """(batch, d1, d2, ...) -> (batch, d1 * d2 * ...). A view when the input is contiguous."""

    def forward(self, x):
        backends.require_array(x, self)
        return x.reshape(x.shape[0], -1)

    def backward_delta(self, x, delta):
        return delta.reshape(x.shape)

    def output_shape(self, input_shape: tuple) -> tuple:
        return (math.prod(input_shape),)


class Reshape(Module):
    """(batch, ...) -> (batch, *shape), e.g. Reshape((7, 7, 16)) in a convolutional decoder."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        super().__init__()
        self.shape = tuple(int(s) for s in shape)

    def forward(self, x):
        backends.require_array(x, self)
        if math.prod(x.shape[1:]) != math.prod(self.shape):
            raise ShapeError(f"{self!r}: cannot reshape input {tuple(x.shape)} to (batch, {self.shape})")
        return x.reshape(x.shape[0], *self.shape)

    def backward_delta(self, x, delta):
        return delta.reshape(x.shape)

    def output_shape(self, input_shape: tuple) -> tuple:
        return self.shape

    def extra_repr(self) -> str:
        return f"{self.shape}"


class Upsample2D(Module):
    """Nearest-neighbour upsampling: (batch, H, W, C) -> (batch, H * factor, W * factor, C)."""

    def __init__(self, factor: int = 2) -> None:
        super().__init__()
        if not isinstance(factor, int) or factor < 1:
            raise ValueError(f"Upsample2D: factor must be a positive int, got {factor!r}")
        self.factor = factor

    def forward(self, x):
        backends.require_array(x, self)
        if x.ndim != 4:
            raise ShapeError(f"{self!r}: expected input (batch, H, W, chan), got {tuple(x.shape)}")
        xp, f = backends.xp(), self.factor
        b, h, w, c = x.shape
        out = xp.empty((b, h * f, w * f, c), dtype=x.dtype)
        for _, _, rows, cols in taps(f, f, f, f, h, w):
            out[:, rows, cols, :] = x
        return out

    def backward_delta(self, x, delta):
        f = self.factor
        h, w = x.shape[1:3]
        (_, _, r0, c0), *rest = taps(f, f, f, f, h, w)
        dx = delta[:, r0, c0, :].copy()
        for _, _, rows, cols in rest:
            dx += delta[:, rows, cols, :]
        return dx

    def output_shape(self, input_shape: tuple) -> tuple:
        h, w, c = input_shape
        return (h * self.factor, w * self.factor, c)

    def extra_repr(self) -> str:
        return f"{self.factor}"
