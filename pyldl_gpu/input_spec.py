"""InputSpec: what a module accepts, declared once per module and checked by one helper before its forward.

    InputSpec(("batch", 784), dtype_of="weight")                  Linear(784, ...)
    InputSpec(("batch", "H", "W", 3), fits=(KernelFit(1, "height", 5, 0), ...))
    InputSpec(("batch", 5), ("batch", "length", 5))               BatchNorm1D(5): either layout
    InputSpec(("batch", "..."))                                   any array with a batch axis

A layout lists the axes: an int is a required size, a name a free one, "..." any number of further axes.
Every error names the module, what it expected and what it got, before anything has changed:
    Linear(784, 256): expected input (batch, 784), got (128, 785)"""

from __future__ import annotations

import math
from dataclasses import dataclass

from . import backends
from .exceptions import DTypeError, ShapeError

ANY = "..."


@dataclass(frozen=True)
class KernelFit:
    """Axis ``axis`` (a name for messages: 'height') plus twice ``padding`` must hold a kernel of ``kernel``."""

    axis: int
    name: str
    kernel: int
    padding: int = 0


class InputSpec:
    """Layouts (alternatives), an optional dtype taken from one of the module's parameters, kernel fits, and for
    reshaping modules a required number of values per sample."""

    __slots__ = ("_rules", "dtype_of", "fits", "layouts", "per_sample")

    def __init__(self, *layouts: tuple, dtype_of: str | None = None, fits: tuple[KernelFit, ...] = (),
                 per_sample: tuple[int, str] | None = None) -> None:
        self.layouts = layouts or (("batch", ANY),)
        self.dtype_of = dtype_of  # e.g. "weight": x must have the dtype of module.weight.data
        self.fits = fits
        self.per_sample = per_sample  # (values, target shape text) for Reshape
        # each layout as (number of axes, whether more may follow, the (axis, size) pairs it fixes): checked on
        # every forward, so in plain loops
        self._rules = tuple(_rule(layout) for layout in self.layouts)

    def describe(self) -> str:
        return " or ".join("(" + ", ".join(map(str, layout)) + ")" for layout in self.layouts)

    def check(self, module, x) -> None:
        """Raise DeviceError/TypeError, ShapeError or DTypeError naming ``module`` unless x fits."""
        backends.require_array(x, module)
        shape, name = x.shape, module._label  # a repr is built only for an error
        for ndim, open_ended, fixed in self._rules:
            if len(shape) == ndim or (open_ended and len(shape) > ndim):
                for axis, size in fixed:
                    if shape[axis] != size:
                        break
                else:
                    break
        else:
            raise ShapeError(f"{name()}: expected input {self.describe()}, got {tuple(shape)}")
        for fit in self.fits:
            if shape[fit.axis] + 2 * fit.padding < fit.kernel:
                raise ShapeError(f"{name()}: input {fit.name} {shape[fit.axis]} (+ 2 x padding {fit.padding}) is "
                                 f"shorter than the kernel {fit.kernel}")
        if self.per_sample is not None and math.prod(shape[1:]) != self.per_sample[0]:
            values, target = self.per_sample
            raise ShapeError(f"{name()}: cannot reshape input {tuple(shape)} to (batch, {target}): expected {values} "
                             f"values per sample, got {math.prod(shape[1:])}")
        if self.dtype_of is not None:
            dtype = getattr(module, self.dtype_of).data.dtype
            if x.dtype != dtype:
                raise DTypeError(f"{name()}: expected {dtype} input, got {x.dtype} (convert with pyldl_gpu.asarray(x))")


def _rule(layout: tuple) -> tuple:
    open_ended = bool(layout) and layout[-1] == ANY
    axes = layout[:-1] if open_ended else layout
    return len(axes), open_ended, tuple((i, size) for i, size in enumerate(axes) if isinstance(size, int))


ANY_INPUT = InputSpec(("batch", ANY))
