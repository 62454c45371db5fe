"""Activations as parameter-free modules. Each forward keeps what its derivative needs (its output y, or for
LeakyReLU its input), and each pair runs as the active backend's fused operation (``relu`` / ``relu_backward``,
...; see backends/backend.py)."""

from __future__ import annotations

from .. import arguments, backends
from ..module import Module


class Identity(Module):
    """y = x."""

    def _forward(self, x):
        return x, None

    def _backward_input(self, state, delta):
        return delta


class _ByOutput(Module):
    """An activation whose derivative is a function of its output y: the forward keeps y, and both passes are the
    backend's fused pair ``op`` / ``op_backward``."""

    op = ""

    def _forward(self, x):
        y = getattr(backends.active(), self.op)(x)
        return y, y

    def _backward_input(self, y, delta):
        return getattr(backends.active(), self.op + "_backward")(y, delta)


class ReLU(_ByOutput):
    """y = max(x, 0); dy/dx = 1 where y > 0, else 0 (0 at x = 0)."""

    op = "relu"


class LeakyReLU(Module):
    """y = x for x > 0, alpha * x otherwise; dy/dx = 1 or alpha."""

    def __init__(self, alpha: float = 0.01) -> None:
        super().__init__()
        self.alpha = arguments.number(alpha, "alpha", "LeakyReLU")

    def _slope(self, x):
        # alpha + (1 - alpha) [x > 0], by mask arithmetic (an xp.where is slower on the CPU: bench/NOTES.md)
        slope = (x > 0).astype(x.dtype)
        slope *= 1.0 - self.alpha
        slope += self.alpha
        return slope

    def _forward(self, x):
        return self._slope(x) * x, x

    def _backward_input(self, x, delta):
        return self._slope(x) * delta

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class Tanh(_ByOutput):
    """y = tanh(x); dy/dx = 1 - y^2."""

    op = "tanh"


class Sigmoid(_ByOutput):
    """y = 1 / (1 + exp(-x)), finite for any x; dy/dx = y (1 - y)."""

    op = "sigmoid"


def _along_last(op, x, axis: int):
    """op (a last-axis operation) applied along ``axis``."""
    if axis in (-1, x.ndim - 1):
        return op(x)
    xp = backends.xp()
    return xp.moveaxis(op(xp.moveaxis(x, axis, -1)), -1, axis)


def softmax(x, axis: int = -1):
    """Numerically stable softmax along ``axis`` (probabilities below 6e-30 in float32 are exactly 0)."""
    return _along_last(backends.active().softmax, x, axis)


def log_softmax(x, axis: int = -1):
    """Numerically stable log-softmax along ``axis``."""
    return _along_last(backends.active().log_softmax, x, axis)


class Softmax(_ByOutput):
    """s = softmax(x) over the last axis; dL/dx = s * (delta - sum_j delta_j s_j)."""

    op = "softmax"


class LogSoftmax(_ByOutput):
    """y = log(softmax(x)) over the last axis, without forming softmax's small numbers;
    dL/dx = delta - softmax(x) * sum_j delta_j."""

    op = "log_softmax"
