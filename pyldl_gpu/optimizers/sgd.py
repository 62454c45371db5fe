"""Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight decay."""

from __future__ import annotations

from .. import arguments, backends
from ..exceptions import ArgumentError
from .optimizer import Optimizer


class SGD(Optimizer):
    """g = grad + wd * w;  v = momentum * v + g;  w -= lr * (g + momentum * v if nesterov else v).
    With momentum 0 this is w -= lr * g (PyTorch's conventions). lr > 0, momentum in [0, 1), weight_decay >= 0."""

    def __init__(self, params, lr: float = 0.01, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        self.momentum = arguments.number(momentum, "momentum", "SGD", low=0.0, high=1.0, high_open=True)
        self.nesterov = arguments.choice(nesterov, "nesterov", "SGD", (False, True))
        if nesterov and momentum <= 0:
            raise ArgumentError("SGD: nesterov momentum needs momentum > 0")
        self.weight_decay = arguments.number(weight_decay, "weight_decay", "SGD", low=0.0)
        needs_scratch = self.weight_decay or self.nesterov
        self.slots = (("scratch",) if needs_scratch else ()) + (("velocity",) if self.momentum else ())

    def _update(self, p, state) -> None:
        backends.active().sgd_update(p.data, p.grad, self.lr, self.momentum, self.nesterov, self.weight_decay,
                                     state.get("velocity"), state.get("scratch"))

    def __repr__(self) -> str:
        return (f"SGD(lr={self.lr}, momentum={self.momentum}, nesterov={self.nesterov}, "
                f"weight_decay={self.weight_decay})")
