"""Regression losses: mean squared, mean absolute and root mean squared error over every element."""

from __future__ import annotations

from .. import backends
from .base import Loss


class MSELoss(Loss):
    """mean((yhat - y)^2) over every element."""

    def _forward(self, y, yhat):
        d = yhat - y
        d *= d
        return d.mean()

    def _backward(self, y, yhat):
        g = yhat - y
        g *= 2.0 / g.size
        return g


class MAELoss(Loss):
    """mean(|yhat - y|) over every element; the gradient at 0 is taken as 0."""

    def _forward(self, y, yhat):
        return backends.xp().abs(yhat - y).mean()

    def _backward(self, y, yhat):
        g = backends.xp().sign(yhat - y)
        g *= 1.0 / g.size
        return g


class RMSELoss(Loss):
    """sqrt(mean((yhat - y)^2)); the gradient at a perfect fit is taken as 0."""

    def _forward(self, y, yhat):
        return backends.xp().sqrt(MSELoss._forward(self, y, yhat))

    def _backward(self, y, yhat):
        xp = backends.xp()
        g = yhat - y
        rmse = xp.sqrt((g * g).mean())
        g /= xp.maximum(rmse, xp.finfo(g.dtype).tiny) * g.size
        return g
