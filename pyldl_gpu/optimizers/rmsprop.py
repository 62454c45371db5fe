"""RMSProp."""

from __future__ import annotations

from .. import backends
from .optimizer import Optimizer


class RMSProp(Optimizer):
    """s = rho * s + (1 - rho) * g^2;  w -= lr * g / (sqrt(s) + eps), with g = grad + wd * w."""

    slots = ("square_avg", "scratch")

    def __init__(self, params, lr: float = 0.01, rho: float = 0.9, eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        if not 0.0 <= rho < 1.0:
            raise ValueError(f"RMSProp: rho must lie in [0, 1), got {rho}")
        self.rho = float(rho)
        self.eps = float(eps)
        self.weight_decay = float(weight_decay)

    def _update(self, p, state) -> None:
        backends.active().rmsprop_update(p.data, p.grad, self.lr, self.rho, self.eps, self.weight_decay,
                                         state["square_avg"], state["scratch"])

    def __repr__(self) -> str:
        return f"RMSProp(lr={self.lr}, rho={self.rho}, eps={self.eps}, weight_decay={self.weight_decay})"
