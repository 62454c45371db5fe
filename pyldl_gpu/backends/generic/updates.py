"""Optimizer updates in array code, each in place on one parameter and its state arrays (same shape and dtype).
Hyper-parameters are Python floats: a NumPy float64 scalar would promote float32 arrays."""

from __future__ import annotations

import math


def sgd_update(backend, data, grad, lr: float, momentum: float, nesterov: bool, weight_decay: float,
               velocity=None, scratch=None) -> None:
    """g = grad + wd * w;  v = momentum * v + g;  w -= lr * (g + momentum * v if nesterov else v)."""
    if weight_decay:
        backend.xp.multiply(data, weight_decay, out=scratch)
        scratch += grad
        grad = scratch
    direction = grad
    if momentum:
        velocity *= momentum
        velocity += grad
        direction = velocity
        if nesterov:
            if grad is not scratch:
                scratch[...] = grad
            backend.axpy(momentum, velocity, scratch)
            direction = scratch
    backend.axpy(-lr, direction, data)


def rmsprop_update(backend, data, grad, lr: float, rho: float, eps: float, weight_decay: float, square_avg,
                   scratch) -> None:
    """s = rho * s + (1 - rho) * g^2;  w -= lr * g / (sqrt(s) + eps), with g = grad + wd * w."""
    xp = backend.xp
    g = grad + weight_decay * data if weight_decay else grad
    square_avg *= rho
    xp.multiply(g, g, out=scratch)
    scratch *= 1.0 - rho
    square_avg += scratch
    xp.sqrt(square_avg, out=scratch)
    scratch += eps
    xp.divide(g, scratch, out=scratch)
    scratch *= lr
    data -= scratch


def adam_update(backend, data, grad, lr: float, beta1: float, beta2: float, eps: float, weight_decay: float,
                decoupled: bool, step: int, exp_avg, exp_avg_sq, scratch) -> None:
    """m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
    w -= (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps), with g = grad + wd * w (Adam) or
    w *= 1 - lr * wd first and g = grad (AdamW, decoupled)."""
    xp = backend.xp
    if weight_decay and decoupled:
        data *= 1.0 - lr * weight_decay
        g = grad
    elif weight_decay:
        g = grad + weight_decay * data
    else:
        g = grad
    exp_avg *= beta1
    xp.multiply(g, 1.0 - beta1, out=scratch)
    exp_avg += scratch
    exp_avg_sq *= beta2
    xp.multiply(g, g, out=scratch)
    scratch *= 1.0 - beta2
    exp_avg_sq += scratch
    xp.sqrt(exp_avg_sq, out=scratch)
    scratch *= 1.0 / math.sqrt(1.0 - beta2**step)
    scratch += eps
    xp.divide(exp_avg, scratch, out=scratch)
    scratch *= lr / (1.0 - beta1**step)
    data -= scratch
