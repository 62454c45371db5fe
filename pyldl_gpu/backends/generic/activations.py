"""Activation forward/backward pairs in array code. Backward passes take the forward's output y where the
derivative is a function of it (ReLU's mask y > 0 is x > 0), so the forward's input need not be kept."""

from __future__ import annotations


def relu(xp, x):
    """max(x, 0)."""
    return xp.maximum(x, 0)


def relu_backward(xp, y, delta):
    """delta where y > 0, else 0 (y = relu(x); the derivative at 0 is taken as 0)."""
    return delta * (y > 0)


def tanh_backward(xp, y, delta):
    """delta * (1 - y^2), y = tanh(x)."""
    g = y * y
    xp.subtract(1.0, g, out=g)
    g *= delta
    return g


def sigmoid(xp, x):
    """1 / (1 + exp(-x)), computed as (1 + tanh(x / 2)) / 2: no overflow for any x."""
    y = xp.tanh(x * 0.5)
    y *= 0.5
    y += 0.5
    return y


def sigmoid_backward(xp, y, delta):
    """delta * y * (1 - y), y = sigmoid(x)."""
    g = 1.0 - y
    g *= y
    g *= delta
    return g
