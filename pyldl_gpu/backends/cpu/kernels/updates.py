"""Optimizer updates as compiled loops: one pass over a parameter and its state, element by element, where the
array code makes five to twelve (backends/generic/updates.py, whose arithmetic and order these follow, so both
give the same bits). One thread: a parameter's pass takes microseconds to a millisecond, and a fused pass is what
saves the time (bench/NOTES.md). Hyper-parameters come in the parameter's dtype (the caller converts them), as
NumPy would use them."""

from __future__ import annotations

import math

from ._jit import serial_kernel


@serial_kernel
def sgd(data, grad, lr, momentum, nesterov, weight_decay, velocity):
    """g = grad + wd * w;  v = momentum * v + g;  w -= lr * (g + momentum * v if nesterov else v)."""
    for i in range(data.size):
        g = grad[i]
        if weight_decay != 0:
            g = data[i] * weight_decay + g
        direction = g
        if momentum != 0:
            v = velocity[i] * momentum + g
            velocity[i] = v
            direction = g + momentum * v if nesterov else v
        data[i] = data[i] + -lr * direction


@serial_kernel
def rmsprop(data, grad, lr, rho, one_minus_rho, eps, weight_decay, square_avg):
    """s = rho * s + (1 - rho) * g^2;  w -= lr * g / (sqrt(s) + eps), with g = grad + wd * w."""
    for i in range(data.size):
        g = grad[i]
        if weight_decay != 0:
            g = g + weight_decay * data[i]
        s = square_avg[i] * rho + g * g * one_minus_rho
        square_avg[i] = s
        data[i] = data[i] - g / (math.sqrt(s) + eps) * lr


@serial_kernel
def adam(data, grad, lr_corrected, beta1, one_minus_beta1, beta2, one_minus_beta2, eps, weight_decay, shrink,
         inv_sqrt_correction2, exp_avg, exp_avg_sq):
    """m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  w -= lr_corrected * m / (sqrt(v) / sqrt(1 - b2^t) + eps),
    with w *= shrink first (AdamW: 1 - lr * wd; 1 otherwise) and g = grad + wd * w (Adam's L2; wd = 0 for AdamW)."""
    for i in range(data.size):
        w = data[i] * shrink if shrink != 1 else data[i]
        g = grad[i]
        if weight_decay != 0:
            g = g + weight_decay * w
        m = exp_avg[i] * beta1 + g * one_minus_beta1
        v = exp_avg_sq[i] * beta2 + g * g * one_minus_beta2
        exp_avg[i] = m
        exp_avg_sq[i] = v
        data[i] = w - m / (math.sqrt(v) * inv_sqrt_correction2 + eps) * lr_corrected
