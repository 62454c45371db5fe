"""Losses: ``forward(y, yhat)`` -> scalar mean (a device scalar, never read back here) and
``backward(y, yhat)`` -> dL/dyhat with yhat's shape. Targets come first, as in the seed reports."""

from __future__ import annotations

import math

from . import backends
from .activations import exp_without_denormals, log_softmax, softmax
from .exceptions import DTypeError, ShapeError
from .module import Module


class Loss:
    """Base class. Subclasses implement ``_forward`` and ``_backward`` on checked arrays; ``_check`` (shapes and
    dtypes, here: equal) may be overridden, and sees arrays of the active device."""

    def __call__(self, y, yhat):
        return self.forward(y, yhat)

    def forward(self, y, yhat):
        """Mean loss over the batch (a device scalar)."""
        self._validate(y, yhat)
        return self._forward(y, yhat)

    def backward(self, y, yhat):
        """dL/dyhat, same shape as yhat."""
        self._validate(y, yhat)
        return self._backward(y, yhat)

    def _validate(self, y, yhat) -> None:
        """Both are arrays of the active device (a clear error otherwise), then the loss's own _check."""
        backends.require_array(yhat, f"{self!r} prediction")
        backends.require_array(y, f"{self!r} target")
        self._check(y, yhat)

    def _check(self, y, yhat) -> None:
        if yhat.shape != y.shape:
            raise ShapeError(
                f"{self!r}: target and prediction must have the same shape, got y {tuple(y.shape)} "
                f"and yhat {tuple(yhat.shape)}"
            )
        if y.dtype != yhat.dtype:
            raise DTypeError(f"{self!r}: target dtype {y.dtype} differs from prediction dtype {yhat.dtype}")

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


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


def _clip_probabilities(p):
    eps = float(backends.xp().finfo(p.dtype).eps)
    return backends.xp().clip(p, eps, 1.0 - eps)


class BCELoss(Loss):
    """Binary cross-entropy on probabilities: -mean(y log p + (1 - y) log(1 - p)).
    p is clamped to [eps, 1 - eps] of its dtype, so 0 and 1 give large finite values, never NaN."""

    def _forward(self, y, yhat):
        # -mean(log(1 - p) + y (log p - log(1 - p))): the product with y is one BLAS dot, no temporary
        xp = backends.xp()
        p = _clip_probabilities(yhat)
        log_q = xp.negative(p)
        xp.log1p(log_q, out=log_q)
        log_ratio = xp.log(p)
        log_ratio -= log_q
        return -(log_q.sum() + xp.vdot(y, log_ratio)) * (1.0 / p.size)

    def _backward(self, y, yhat):
        p = _clip_probabilities(yhat)
        g = p - y
        g /= p * (1.0 - p)
        g *= 1.0 / g.size
        return g


class BCEWithLogitsLoss(Loss):
    """Binary cross-entropy on logits z, stable for any z: mean(max(z, 0) - z y + log(1 + exp(-|z|)))."""

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


class _ClassificationLoss(Loss):
    """Targets are integer labels (batch,) or one-hot / soft labels (batch, classes)."""

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
    """Softmax cross-entropy on logits, fused: -mean(log_softmax(yhat)[target]); dL/dyhat = (softmax - y) / batch.
    backward for the same yhat as the last forward reuses its log-probabilities (softmax = exp of them)."""

    def __init__(self) -> None:
        self._last = (None, None)

    def _forward(self, y, yhat):
        log_p = log_softmax(yhat)
        self._last = (yhat, log_p)
        return self._picked_sum(y, log_p) * (-1.0 / yhat.shape[0])

    def _backward(self, y, yhat):
        seen, log_p = self._last
        g = exp_without_denormals(log_p) if seen is yhat else softmax(yhat)
        if y.ndim == 2:  # soft labels need not sum to one
            g *= y.sum(axis=1, keepdims=True)
        self._subtract_targets(g, y)
        g *= 1.0 / g.shape[0]
        return g


class NLLLoss(_ClassificationLoss):
    """Negative log-likelihood of log-probabilities (put LogSoftmax before it): -mean(yhat[target])."""

    def _forward(self, y, yhat):
        return self._picked_sum(y, yhat) * (-1.0 / yhat.shape[0])

    def _backward(self, y, yhat):
        g = backends.xp().zeros_like(yhat)
        self._subtract_targets(g, y)
        g *= 1.0 / g.shape[0]
        return g


class KLSparsity(Module):
    """Sparsity penalty on hidden activations h in (0, 1) (after a Sigmoid), as a pass-through module:
    forward returns h unchanged and records beta * sum_j KL(rho || mean_batch(h_j)) as ``extra_loss()``;
    backward adds that penalty's gradient to delta. ``penalty(h)`` and ``penalty_gradient(h)`` also work alone.
    h: (batch, ..., features); the mean runs over every axis but the last."""

    def __init__(self, rho: float = 0.05, beta: float = 0.5) -> None:
        super().__init__()
        if not 0.0 < rho < 1.0:
            raise ValueError(f"KLSparsity: rho must lie in (0, 1), got {rho}")
        self.rho = float(rho)
        self.beta = float(beta)
        self._penalty = None

    def _mean_activation(self, h):
        axes = tuple(range(h.ndim - 1))
        return _clip_probabilities(h.mean(axis=axes))

    def penalty(self, h):
        """beta * sum_j KL(rho || rho_hat_j), a device scalar."""
        xp = backends.xp()
        rho, q = self.rho, self._mean_activation(h)
        kl = rho * (math.log(rho) - xp.log(q)) + (1.0 - rho) * (math.log1p(-rho) - xp.log1p(-q))
        return self.beta * kl.sum()

    def penalty_gradient(self, h):
        """d penalty / dh, same shape as h."""
        q = self._mean_activation(h)
        per_unit = (1.0 - self.rho) / (1.0 - q) - self.rho / q
        per_unit *= self.beta * h.shape[-1] / h.size
        return backends.xp().broadcast_to(per_unit, h.shape)

    def forward(self, x):
        backends.require_array(x, self)
        self._penalty = self.penalty(x)
        return x

    def extra_loss(self):
        return self._penalty

    def backward_delta(self, x, delta):
        return delta + self.penalty_gradient(x)

    def extra_repr(self) -> str:
        return f"rho={self.rho}, beta={self.beta}"


class MultiTaskLoss(Loss):
    """A weighted sum of losses, each on some output columns against one target column: several heads trained
    at once (e.g. Siamese with auxiliary heads). parts: (loss, first column, last column + 1, target column,
    weight) tuples. y: (batch, targets) integer labels; yhat: (batch, columns). Each part sees
    yhat[:, first:stop] and y[:, target]."""

    def __init__(self, parts) -> None:
        self.parts = [(loss, int(first), int(stop), int(target), float(weight))
                      for loss, first, stop, target, weight in parts]
        if not self.parts:
            raise ValueError("MultiTaskLoss: give at least one part")

    def _check(self, y, yhat) -> None:
        stop = max(p[2] for p in self.parts)
        targets = max(p[3] for p in self.parts) + 1
        fits = yhat.ndim == 2 and y.ndim == 2 and yhat.shape[1] >= stop and y.shape[1] >= targets
        if not fits or y.shape[0] != yhat.shape[0]:
            raise ShapeError(f"{self!r}: expected prediction (batch, >= {stop}) and targets (batch, >= {targets}), "
                             f"got {tuple(yhat.shape)} and {tuple(y.shape)}")

    def _forward(self, y, yhat):
        total = None
        for loss, first, stop, target, weight in self.parts:
            value = loss.forward(y[:, target], yhat[:, first:stop]) * weight
            total = value if total is None else total + value
        return total

    def _backward(self, y, yhat):
        g = backends.xp().zeros_like(yhat)
        for loss, first, stop, target, weight in self.parts:
            part = loss.backward(y[:, target], yhat[:, first:stop])
            part *= weight
            g[:, first:stop] += part
        return g

    def __repr__(self) -> str:
        return f"MultiTaskLoss({len(self.parts)} parts)"


class TaskDrivenLoss(Loss):
    """Reconstruction plus a task loss read through a fixed judge network (task-driven denoising: the output
    must look like the clean target *and* keep what, e.g., a classifier trained on clean images needs):

        L = reconstruction(clean, yhat) + weight * task(task_target, judge(yhat))

    yhat: (batch, d). y: (batch, d + k), the clean target's d columns followed by the task target's k columns
    (one-hot labels for a classifier). The judge is not trained: backward reaches yhat through
    ``judge.backward_delta`` only, so its parameter gradients are never touched; it runs in eval mode.
    backward after forward of the same prediction reuses the judge's forward."""

    def __init__(self, reconstruction: Loss, judge: Module, task: Loss, weight: float = 1.0) -> None:
        self.reconstruction, self.judge, self.task, self.weight = reconstruction, judge, task, float(weight)
        self._last = (None, None)

    def _check(self, y, yhat) -> None:
        if yhat.ndim != 2 or y.ndim != 2 or y.shape[0] != yhat.shape[0] or y.shape[1] <= yhat.shape[1]:
            raise ShapeError(f"{self!r}: expected prediction (batch, d) and target (batch, d + k): the clean "
                             f"target then the task target; got {tuple(yhat.shape)} and {tuple(y.shape)}")

    def _judge(self, yhat):
        """judge(yhat) in eval mode; it also leaves the judge's caches set for backward_delta."""
        self.judge.eval()
        judged = self.judge(yhat)
        self._last = (yhat, judged)
        return judged

    def _forward(self, y, yhat):
        d = yhat.shape[1]
        judged = self._judge(yhat)
        return self.reconstruction.forward(y[:, :d], yhat) + self.task.forward(y[:, d:], judged) * self.weight

    def _backward(self, y, yhat):
        d = yhat.shape[1]
        seen, judged = self._last
        if seen is not yhat:  # backward without the forward of this prediction
            judged = self._judge(yhat)
        g = self.judge.backward_delta(yhat, self.task.backward(y[:, d:], judged))
        g *= self.weight
        g += self.reconstruction.backward(y[:, :d], yhat)
        return g

    def __repr__(self) -> str:
        judge = type(self.judge).__name__
        return f"TaskDrivenLoss({self.reconstruction!r} + {self.weight:g} x {self.task!r} of {judge})"
