"""Softmax, log-softmax and the fused softmax cross-entropy in array code (last axis)."""

from __future__ import annotations

import math


def exp_without_denormals(xp, x, out=None):
    """exp(x) for x <= 0 (log-probabilities, shifted logits), with every result that would fall below
    exp(log(smallest normal float) + 20) set to exactly 0, so none is a denormal number, even after a division
    by a batch size of up to 10^8. Denormal gradients make every CPU GEMM that reads them many times slower
    (bench/NOTES.md). Zeroed: values below 6e-30 (float32) or 5e-300 (float64)."""
    floor = math.log(float(xp.finfo(x.dtype).tiny)) + 20.0
    clipped = xp.where(x >= floor, x, -xp.inf)  # exp(-inf) is an exact 0, computed without denormals
    return xp.exp(clipped, out=clipped if out is None else out)


def softmax(backend, x):
    """exp(x - max) / sum(exp(x - max)) along the last axis."""
    xp = backend.xp
    e = x - backend.max_last_axis(x)
    exp_without_denormals(xp, e, out=e)
    e /= e.sum(axis=-1, keepdims=True)
    return e


def log_softmax(backend, x):
    """x - max - log(sum(exp(x - max))) along the last axis."""
    xp = backend.xp
    shifted = x - backend.max_last_axis(x)
    shifted -= xp.log(exp_without_denormals(xp, shifted).sum(axis=-1, keepdims=True))
    return shifted


def softmax_backward(xp, s, delta):
    """dL/dx of s = softmax(x): s * (delta - sum_j delta_j s_j)."""
    g = delta - (delta * s).sum(axis=-1, keepdims=True)
    g *= s
    return g


def log_softmax_backward(xp, y, delta):
    """dL/dx of y = log_softmax(x): delta - exp(y) * sum_j delta_j."""
    s = exp_without_denormals(xp, y)
    s *= delta.sum(axis=-1, keepdims=True)
    return delta - s


def picked_sum(xp, y, values):
    """sum_i values[i, y[i]] for label targets (batch,), sum_ij y[i, j] values[i, j] for (batch, classes) ones."""
    if y.ndim == 1:
        return values[xp.arange(values.shape[0]), y].sum()
    return xp.vdot(y, values)


def subtract_targets(xp, g, y) -> None:
    """g -= one_hot(y) (or the soft targets y), in place."""
    if y.ndim == 1:
        g[xp.arange(g.shape[0]), y] -= 1.0
    else:
        g -= y


def softmax_cross_entropy(backend, logits, y):
    """(mean cross-entropy, log-probabilities): -mean_i sum_j y_ij log softmax(logits)_ij."""
    log_p = log_softmax(backend, logits)
    return picked_sum(backend.xp, y, log_p) * (-1.0 / logits.shape[0]), log_p


def softmax_cross_entropy_backward(backend, log_p, y):
    """d mean cross-entropy / d logits = (softmax * sum_j y_ij - y) / batch, from the forward's log-probabilities."""
    xp = backend.xp
    g = exp_without_denormals(xp, log_p)
    if y.ndim == 2:  # soft labels need not sum to one
        g *= y.sum(axis=1, keepdims=True)
    subtract_targets(xp, g, y)
    g *= 1.0 / g.shape[0]
    return g
