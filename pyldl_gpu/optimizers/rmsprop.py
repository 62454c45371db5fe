"""RMSProp."""

from __future__ import annotations

from .. import arguments, backends
from .optimizer import Optimizer


class RMSProp(Optimizer):
    """s = rho * s + (1 - rho) * g^2;  w -= lr * g / (sqrt(s) + eps), with g = grad + wd * w.
    lr > 0, rho in [0, 1), eps > 0, weight_decay >= 0."""

    slots = ("square_avg", "scratch")

    def __init__(self, params, lr: float = 0.01, rho: float = 0.9, eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        self.rho = arguments.number(rho, "rho", "RMSProp", low=0.0, high=1.0, high_open=True)
        self.eps = arguments.number(eps, "eps", "RMSProp", low=0.0, low_open=True)
        self.weight_decay = arguments.number(weight_decay, "weight_decay", "RMSProp", low=0.0)

    def _update(self, p, state) -> None:
        backends.active().rmsprop_update(p.data, p.grad, self.lr, self.rho, self.eps, self.weight_decay,
                                         state["square_avg"], state["scratch"])

    def __repr__(self) -> str:
        return f"RMSProp(lr={self.lr}, rho={self.rho}, eps={self.eps}, weight_decay={self.weight_decay})"
