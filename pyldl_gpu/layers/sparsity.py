"""KLSparsity: a pass-through module that adds a sparsity penalty on hidden activations to the training loss."""

from __future__ import annotations

import math

from .. import arguments, backends
from ..exceptions import ArgumentError, ShapeError
from ..module import Module


class KLSparsity(Module):
    """Sparsity penalty on hidden activations h in (0, 1) (after a Sigmoid), as a pass-through module:
    forward returns h unchanged and records beta * sum_j KL(rho || mean_batch(h_j)) as ``extra_loss()``;
    backward adds that penalty's gradient, beta * (-rho / q_j + (1 - rho) / (1 - q_j)) / m per entry of unit j
    (q_j the mean activation, m the values averaged), to delta. ``penalty(h)`` and ``penalty_gradient(h)`` also
    work alone. h: (batch, ..., features); the mean runs over every axis but the last."""

    def __init__(self, rho: float = 0.05, beta: float = 0.5) -> None:
        super().__init__()
        self.rho = arguments.number(rho, "rho", "KLSparsity")  # a finite real number, then:
        if not 0.0 < self.rho < 1.0:
            raise ArgumentError(f"KLSparsity: rho must lie in (0, 1), got {rho}")
        self.beta = arguments.number(beta, "beta", "KLSparsity", low=0.0)
        self._penalty = None

    def _mean_activation(self, h):
        if h.size == 0:  # as the losses: a mean over nothing is NaN, not a penalty
            raise ShapeError(f"{self._label()}: empty batch (activations {tuple(h.shape)}): a mean over no values "
                             "is not a penalty")
        axes = tuple(range(h.ndim - 1))
        return backends.active().clip_probabilities(h.mean(axis=axes))

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

    def _forward(self, x):
        self._penalty = self.penalty(x)  # the penalty of the last forward: what extra_loss() reports
        return x, x

    def _replay(self, x):
        return x, x

    def extra_loss(self):
        return self._penalty

    def _backward_input(self, h, delta):
        return delta + self.penalty_gradient(h)

    def extra_repr(self) -> str:
        return f"rho={self.rho}, beta={self.beta}"
