"""Binary cross-entropy, on probabilities and on logits."""

from __future__ import annotations

from .. import backends
from .base import Loss
from .values import PROBABILITIES


class BCELoss(Loss):
    """Binary cross-entropy on probabilities: -mean(y log p + (1 - y) log(1 - p)).
    p is clamped to [eps, 1 - eps] of its dtype, so 0 and 1 give large finite values, never NaN. Targets and
    predictions must lie in [0, 1] (checked when called directly, and once by fit)."""

    targets = predictions = PROBABILITIES

    def _forward(self, y, yhat):
        # -mean(log(1 - p) + y (log p - log(1 - p))): the product with y is one BLAS dot, no temporary
        xp = backends.xp()
        p = backends.active().clip_probabilities(yhat)
        log_q = xp.negative(p)
        xp.log1p(log_q, out=log_q)
        log_ratio = xp.log(p)
        log_ratio -= log_q
        return -(log_q.sum() + xp.vdot(y, log_ratio)) * (1.0 / p.size)

    def _backward(self, y, yhat):
        p = backends.active().clip_probabilities(yhat)
        g = p - y
        g /= p * (1.0 - p)
        g *= 1.0 / g.size
        return g


class BCEWithLogitsLoss(Loss):
    """Binary cross-entropy on logits z, stable for any z: mean(max(z, 0) - z y + log(1 + exp(-|z|))).
    Targets must lie in [0, 1]."""

    targets = PROBABILITIES

    def _forward(self, y, yhat):
        xp = backends.xp()
        return (xp.maximum(yhat, 0) - yhat * y + xp.log1p(xp.exp(-xp.abs(yhat)))).mean()

    def _backward(self, y, yhat):
        g = backends.xp().tanh(yhat * 0.5)
        g *= 0.5
        g += 0.5
        g -= y
        g *= 1.0 / g.size
        return g
