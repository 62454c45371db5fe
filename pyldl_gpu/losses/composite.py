"""Losses made of other losses: a weighted multi-task sum, and the task-driven loss read through a frozen network."""

from __future__ import annotations

from .. import backends
from ..exceptions import ShapeError
from ..module import Module
from .base import Loss


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
    (one-hot labels for a classifier). The judge is not trained: backward reaches yhat through the judge's input
    gradient only (``backward_with_state(..., param_grads=False)``), so its parameter gradients are never
    touched; it runs in eval mode. backward after forward of the same prediction reuses the judge's forward."""

    def __init__(self, reconstruction: Loss, judge: Module, task: Loss, weight: float = 1.0) -> None:
        self.reconstruction, self.judge, self.task, self.weight = reconstruction, judge, task, float(weight)
        self._last = (None, None, None)

    def _check(self, y, yhat) -> None:
        if yhat.ndim != 2 or y.ndim != 2 or y.shape[0] != yhat.shape[0] or y.shape[1] <= yhat.shape[1]:
            raise ShapeError(f"{self!r}: expected prediction (batch, d) and target (batch, d + k): the clean "
                             f"target then the task target; got {tuple(yhat.shape)} and {tuple(y.shape)}")

    def _judge(self, yhat):
        """(judge(yhat) in eval mode, its Saved record), remembered for the backward of the same prediction."""
        seen, judged, saved = self._last
        if seen is not yhat:
            self.judge.eval()
            judged, saved = self.judge.forward_with_state(yhat)
            self._last = (yhat, judged, saved)
        return judged, saved

    def _forward(self, y, yhat):
        d = yhat.shape[1]
        self._last = (None, None, None)  # a new forward: judge this prediction afresh
        judged, _ = self._judge(yhat)
        return self.reconstruction.forward(y[:, :d], yhat) + self.task.forward(y[:, d:], judged) * self.weight

    def _backward(self, y, yhat):
        d = yhat.shape[1]
        judged, saved = self._judge(yhat)
        g = self.judge.backward_with_state(saved, self.task.backward(y[:, d:], judged), param_grads=False)
        g *= self.weight
        g += self.reconstruction.backward(y[:, :d], yhat)
        return g

    def __repr__(self) -> str:
        judge = type(self.judge).__name__
        return f"TaskDrivenLoss({self.reconstruction!r} + {self.weight:g} x {self.task!r} of {judge})"
