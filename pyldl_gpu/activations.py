"""Activations as parameter-free modules. Each backward reuses the cached forward output when it is
called for the same x (the usual case), so nothing is computed twice."""

from __future__ import annotations

import math

from . import backends
from .module import Module


class _Activation(Module):
    def forward(self, x):
        backends.require_array(x, self)
        return self._apply(x)

    def _apply(self, x):
        raise NotImplementedError

    def _out(self, x):
        y = self._cached_output(x)
        return self._apply(x) if y is None else y


class Identity(_Activation):
    """y = x."""

    def _apply(self, x):
        return x

    def backward_delta(self, x, delta):
        return delta


class ReLU(_Activation):
    """y = max(x, 0)."""

    def _apply(self, x):
        return backends.xp().maximum(x, 0)

    def backward_delta(self, x, delta):
        return delta * (x > 0)


class LeakyReLU(_Activation):
    """y = x for x > 0, alpha * x otherwise."""

    def __init__(self, alpha: float = 0.01) -> None:
        super().__init__()
        self.alpha = float(alpha)

    def _slope(self, x):
        # alpha + (1 - alpha) [x > 0], by mask arithmetic: xp.where measured 6x slower on the CPU
        slope = (x > 0).astype(x.dtype)
        slope *= 1.0 - self.alpha
        slope += self.alpha
        return slope

    def _apply(self, x):
        return self._slope(x) * x

    def backward_delta(self, x, delta):
        return self._slope(x) * delta

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class Tanh(_Activation):
    """y = tanh(x); dy/dx = 1 - y^2."""

    def _apply(self, x):
        return backends.xp().tanh(x)

    def backward_delta(self, x, delta):
        y = self._out(x)
        g = y * y
        backends.xp().subtract(1.0, g, out=g)
        g *= delta
        return g


class Sigmoid(_Activation):
    """y = 1 / (1 + exp(-x)), computed as (1 + tanh(x/2)) / 2: no overflow for any x."""

    def _apply(self, x):
        y = backends.xp().tanh(x * 0.5)
        y *= 0.5
        y += 0.5
        return y

    def backward_delta(self, x, delta):
        y = self._out(x)
        g = 1.0 - y
        g *= y
        g *= delta
        return g


def _row_max(x, axis: int):
    """x.max(axis, keepdims=True); the last axis by the backend's fastest route."""
    return backends.max_last_axis(x) if axis in (-1, x.ndim - 1) else x.max(axis=axis, keepdims=True)


def exp_without_denormals(x, out=None):
    """exp(x) for x <= 0 (log-probabilities, shifted logits), with every result that would fall below
    exp(log(smallest normal float) + 20) set to exactly 0, so none is a denormal number, even after a division
    by a batch size of up to 10^8. A confident classifier's tiny probabilities otherwise become denormals, and
    every CPU GEMM that reads the gradient ran up to 80x slower (bench/NOTES.md). Zeroed: values below 6e-30
    (float32) or 5e-300 (float64)."""
    xp = backends.xp()
    floor = math.log(float(xp.finfo(x.dtype).tiny)) + 20.0
    clipped = xp.where(x >= floor, x, -xp.inf)  # exp(-inf) is an exact 0, computed without denormals
    return xp.exp(clipped, out=clipped if out is None else out)


def softmax(x, axis: int = -1):
    """Numerically stable softmax along ``axis`` (probabilities below 6e-30 are 0: see exp_without_denormals)."""
    e = x - _row_max(x, axis)
    exp_without_denormals(e, out=e)
    e /= e.sum(axis=axis, keepdims=True)
    return e


def log_softmax(x, axis: int = -1):
    """Numerically stable log-softmax along ``axis``."""
    xp = backends.xp()
    shifted = x - _row_max(x, axis)
    shifted -= xp.log(exp_without_denormals(shifted).sum(axis=axis, keepdims=True))
    return shifted


class Softmax(_Activation):
    """Softmax over the last axis."""

    def _apply(self, x):
        return softmax(x)

    def backward_delta(self, x, delta):
        s = self._out(x)
        g = delta - (delta * s).sum(axis=-1, keepdims=True)
        g *= s
        return g


class LogSoftmax(_Activation):
    """log(softmax(x)) over the last axis, without forming softmax's small numbers."""

    def _apply(self, x):
        return log_softmax(x)

    def backward_delta(self, x, delta):
        s = exp_without_denormals(self._out(x))
        s *= delta.sum(axis=-1, keepdims=True)
        return delta - s
