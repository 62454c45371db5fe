"""Activation passes as compiled loops over the flat arrays: each output element depends on its own inputs only,
so the loop runs in parallel (``prange``) and gives the same bits on any number of threads. Each backward is ONE
pass (NumPy needs two or three, with temporaries) and does the array code's arithmetic in the same order.

``zero`` and ``one`` come in the arrays' dtype: a literal 1 would make Numba compute a float32 expression in
float64, which rounds differently from NumPy."""

from __future__ import annotations

from numba import prange

from ._jit import kernel


@kernel
def relu(x, zero, out):
    """out = max(x, 0) (NaN stays NaN, as in NumPy)."""
    for i in prange(x.size):
        out[i] = zero if x[i] <= zero else x[i]


@kernel
def relu_backward(y, delta, zero, out):
    """out = delta where y > 0, else 0 (delta * 0, as NumPy's delta * (y > 0))."""
    for i in prange(y.size):
        out[i] = delta[i] if y[i] > zero else delta[i] * zero


@kernel
def tanh_backward(y, delta, one, out):
    """out = (1 - y^2) * delta."""
    for i in prange(y.size):
        out[i] = (one - y[i] * y[i]) * delta[i]


@kernel
def sigmoid_backward(y, delta, one, out):
    """out = (1 - y) * y * delta."""
    for i in prange(y.size):
        out[i] = (one - y[i]) * y[i] * delta[i]
