"""Multi-class losses on integer labels or one-hot / soft targets: softmax cross-entropy and negative log-likelihood."""

from __future__ import annotations

from .. import backends
from ..exceptions import DTypeError, ShapeError
from .base import Loss
from .values import CLASS_TARGETS


class _ClassificationLoss(Loss):
    """Targets are integer labels (batch,) in [0, classes) or one-hot / soft labels (batch, classes) with
    entries in [0, 1]; a label of -1 is refused, not read as the last class."""

    targets = CLASS_TARGETS

    def _check(self, y, yhat) -> None:
        if yhat.ndim != 2:
            raise ShapeError(f"{self!r}: expected prediction (batch, classes), got {tuple(yhat.shape)}")
        if y.ndim == 1:
            if y.dtype.kind not in "iu":
                raise DTypeError(f"{self!r}: 1-d targets must be integer labels, got dtype {y.dtype}")
            if y.shape[0] != yhat.shape[0]:
                raise ShapeError(
                    f"{self!r}: expected labels ({yhat.shape[0]},) for prediction {tuple(yhat.shape)}, "
                    f"got {tuple(y.shape)}"
                )
        else:
            super()._check(y, yhat)

    @staticmethod
    def _picked_sum(y, values):
        """sum_i values[i, y[i]] for label targets, sum_ij y[i, j] values[i, j] for one-hot targets."""
        if y.ndim == 1:
            return values[backends.xp().arange(values.shape[0]), y].sum()
        return backends.xp().vdot(y, values)

    @staticmethod
    def _subtract_targets(g, y) -> None:
        """g -= one_hot(y), in place."""
        if y.ndim == 1:
            g[backends.xp().arange(g.shape[0]), y] -= 1.0
        else:
            g -= y


class CrossEntropyLoss(_ClassificationLoss):
    """Softmax cross-entropy on logits z, fused: L = -mean_i sum_j y_ij log softmax(z_i)_j, with y one-hot for
    labels; dL/dz = (softmax(z) * sum_j y_ij - y) / batch (one pass from the log-probabilities, both through the
    backend's ``softmax_cross_entropy`` pair). backward for the same yhat as the last forward reuses the
    forward's log-probabilities instead of computing them again. The textbook twin: reference.cross_entropy."""

    def __init__(self) -> None:
        self._last = (None, None)

    def _forward(self, y, yhat):
        loss, log_p = backends.active().softmax_cross_entropy(yhat, y)
        self._last = (yhat, log_p)
        return loss

    def _backward(self, y, yhat):
        seen, log_p = self._last
        if seen is not yhat:
            log_p = backends.active().log_softmax(yhat)
        return backends.active().softmax_cross_entropy_backward(log_p, y)


class NLLLoss(_ClassificationLoss):
    """Negative log-likelihood of log-probabilities (put LogSoftmax before it): -mean(yhat[target])."""

    def _forward(self, y, yhat):
        return self._picked_sum(y, yhat) * (-1.0 / yhat.shape[0])

    def _backward(self, y, yhat):
        g = backends.xp().zeros_like(yhat)
        self._subtract_targets(g, y)
        g *= 1.0 / g.shape[0]
        return g
