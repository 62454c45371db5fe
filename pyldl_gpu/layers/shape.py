"""Layers that only move data around: Flatten, Reshape, Upsample2D."""

from __future__ import annotations

import math

from .. import arguments, backends
from ..exceptions import ArgumentError
from ..input_spec import InputSpec
from ..module import Module
from ._windows import taps


class Flatten(Module):
    """(batch, d1, d2, ...) -> (batch, d1 * d2 * ...). A view when the input is contiguous; backward reshapes
    delta back."""

    def _forward(self, x):
        return x.reshape(x.shape[0], -1), x.shape

    def _backward_input(self, x_shape, delta):
        return delta.reshape(x_shape)

    def output_shape(self, input_shape: tuple) -> tuple:
        return (math.prod(input_shape),)


class Reshape(Module):
    """(batch, ...) -> (batch, *shape), e.g. Reshape((7, 7, 16)) in a convolutional decoder."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        super().__init__()
        if not isinstance(shape, (tuple, list)):
            raise ArgumentError(f"Reshape: shape must be a tuple of sizes, got {shape!r}")
        # every size is given: -1 (infer one) is refused, as the input check needs the values per sample
        self.shape = tuple(arguments.integer(s, f"shape[{i}] (every size, no -1)", "Reshape")
                           for i, s in enumerate(shape))
        self.input_spec = InputSpec(per_sample=(math.prod(self.shape), f"{self.shape}"))

    def _forward(self, x):
        return x.reshape(x.shape[0], *self.shape), x.shape

    def _backward_input(self, x_shape, delta):
        return delta.reshape(x_shape)

    def output_shape(self, input_shape: tuple) -> tuple:
        return self.shape

    def extra_repr(self) -> str:
        return f"{self.shape}"


class Upsample2D(Module):
    """Nearest-neighbour upsampling: (batch, H, W, C) -> (batch, H * factor, W * factor, C). Backward: each input
    entry gets the sum of the factor x factor deltas it was copied to."""

    input_spec = InputSpec(("batch", "H", "W", "chan"))

    def __init__(self, factor: int = 2) -> None:
        super().__init__()
        self.factor = arguments.integer(factor, "factor", "Upsample2D")

    def _forward(self, x):
        xp, f = backends.xp(), self.factor
        b, h, w, c = x.shape
        out = xp.empty((b, h * f, w * f, c), dtype=x.dtype)
        for _, _, rows, cols in taps(f, f, f, f, h, w):
            out[:, rows, cols, :] = x
        return out, x.shape

    def _backward_input(self, x_shape, delta):
        f = self.factor
        h, w = x_shape[1:3]
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
