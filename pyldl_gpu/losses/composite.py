"""Losses made of other losses: a weighted multi-task sum, and the task-driven loss read through a frozen network."""

from __future__ import annotations

from .. import arguments, backends
from ..exceptions import ShapeError
from ..module import Module
from .base import Loss, trusted_values


class MultiTaskLoss(Loss):
    """A weighted sum of losses, each on some output columns against one target column: several heads trained
    at once (e.g. Siamese with auxiliary heads). parts: (loss, first column, last column + 1, target column,
    weight) tuples. y: (batch, targets) integer labels; yhat: (batch, columns). Each part sees
    yhat[:, first:stop] and y[:, target]."""

    def __init__(self, parts) -> None:
        self.parts = []
        if isinstance(parts, (str, bytes)) or not isinstance(parts, (list, tuple)):
            raise TypeError(f"MultiTaskLoss: parts must be a list of (loss, first, stop, target, weight) tuples, got "
                            f"{type(parts).__name__}")
        for k, part in enumerate(parts):
            if not isinstance(part, (list, tuple)) or len(part) != 5:
                raise TypeError(f"MultiTaskLoss: part {k} must be a (loss, first, stop, target, weight) tuple, got "
                                f"{part!r}")
            loss, first, stop, target, weight = part
            if not isinstance(loss, Loss):
                raise TypeError(f"MultiTaskLoss: part {k} must start with a Loss, got {type(loss).__name__}")
            first = arguments.integer(first, f"part {k}'s first column", "MultiTaskLoss", minimum=0)
            stop = arguments.integer(stop, f"part {k}'s stop column", "MultiTaskLoss", minimum=first + 1)
            target = arguments.integer(target, f"part {k}'s target column", "MultiTaskLoss", minimum=0)
            self.parts.append((loss, first, stop, target, arguments.number(weight, f"part {k}'s weight",
                                                                           "MultiTaskLoss", low=0.0)))
        if not self.parts:
            raise ValueError("MultiTaskLoss: give at least one part")

    def _check(self, y, yhat) -> None:
        stop = max(p[2] for p in self.parts)
        targets = max(p[3] for p in self.parts) + 1
        fits = yhat.ndim == 2 and y.ndim == 2 and yhat.shape[1] >= stop and y.shape[1] >= targets
        if not fits or y.shape[0] != yhat.shape[0]:
            raise ShapeError(f"{self!r}: expected prediction (batch, >= {stop}) and targets (batch, >= {targets}), "
                             f"got {tuple(yhat.shape)} and {tuple(y.shape)}")

    def check_targets(self, y, prediction_shape: tuple) -> None:
        for loss, first, stop, target, _ in self.parts:
            loss.check_targets(y[:, target], (prediction_shape[0], stop - first))

    def check_predictions(self, yhat, non_finite_ok: bool = False) -> None:
        for loss, first, stop, _, _ in self.parts:
            loss.check_predictions(yhat[:, first:stop], non_finite_ok)

    def _forward(self, y, yhat):
        total = None
        with trusted_values():  # the parts' values were checked with this loss's (or by the trainer)
            for loss, first, stop, target, weight in self.parts:
                value = loss.forward(y[:, target], yhat[:, first:stop]) * weight
                total = value if total is None else total + value
        return total

    def _backward(self, y, yhat):
        g = backends.xp().zeros_like(yhat)
        with trusted_values():
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
        if not (isinstance(reconstruction, Loss) and isinstance(task, Loss) and isinstance(judge, Module)):
            raise TypeError("TaskDrivenLoss(reconstruction: Loss, judge: Module, task: Loss, weight), got "
                            f"{type(reconstruction).__name__}, {type(judge).__name__}, {type(task).__name__}")
        self.reconstruction, self.judge, self.task = reconstruction, judge, task
        self.weight = arguments.number(weight, "weight", "TaskDrivenLoss", low=0.0)
        self._last = (None, None, None)

    def _check(self, y, yhat) -> None:
        if yhat.ndim != 2 or y.ndim != 2 or y.shape[0] != yhat.shape[0] or y.shape[1] <= yhat.shape[1]:
            raise ShapeError(f"{self!r}: expected prediction (batch, d) and target (batch, d + k): the clean "
                             f"target then the task target; got {tuple(yhat.shape)} and {tuple(y.shape)}")

    def check_targets(self, y, prediction_shape: tuple) -> None:
        d = prediction_shape[1]
        self.reconstruction.check_targets(y[:, :d], prediction_shape)
        self.task.check_targets(y[:, d:], (prediction_shape[0], y.shape[1] - d))

    def check_predictions(self, yhat, non_finite_ok: bool = False) -> None:
        # the task sees the judge's outputs, whatever they are
        self.reconstruction.check_predictions(yhat, non_finite_ok)

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
        with trusted_values():  # the parts' values were checked with this loss's (or by the trainer)
            return self.reconstruction.forward(y[:, :d], yhat) + self.task.forward(y[:, d:], judged) * self.weight

    def _backward(self, y, yhat):
        d = yhat.shape[1]
        judged, saved = self._judge(yhat)
        with trusted_values():
            g = self.judge.backward_with_state(saved, self.task.backward(y[:, d:], judged), param_grads=False)
            g *= self.weight
            g += self.reconstruction.backward(y[:, :d], yhat)
        return g

    def __repr__(self) -> str:
        judge = type(self.judge).__name__
        return f"TaskDrivenLoss({self.reconstruction!r} + {self.weight:g} x {self.task!r} of {judge})"
