"""Adam and AdamW."""

from __future__ import annotations

from .. import arguments, backends
from ..exceptions import ArgumentError
from .optimizer import Optimizer


class Adam(Optimizer):
    """m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
    w -= (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps), with g = grad + wd * w (L2 penalty).
    Bias corrections are host Python floats, so no device scalar or float64 enters the update.
    lr > 0, betas in [0, 1), eps > 0, weight_decay >= 0."""

    slots = ("exp_avg", "exp_avg_sq", "scratch")
    decoupled = False

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        name = type(self).__name__
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ArgumentError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = tuple(arguments.number(b, f"betas[{k}]", name, low=0.0, high=1.0, high_open=True)
                           for k, b in enumerate(betas))
        self.eps = arguments.number(eps, "eps", name, low=0.0, low_open=True)
        self.weight_decay = arguments.number(weight_decay, "weight_decay", name, low=0.0)

    def _update(self, p, state) -> None:
        b1, b2 = self.betas
        backends.active().adam_update(p.data, p.grad, self.lr, b1, b2, self.eps, self.weight_decay, self.decoupled,
                                      self.steps, state["exp_avg"], state["exp_avg_sq"], state["scratch"])

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(lr={self.lr}, betas={self.betas}, eps={self.eps}, "
                f"weight_decay={self.weight_decay})")


class AdamW(Adam):
    """Adam with decoupled weight decay: w *= 1 - lr * wd before the Adam step (default wd 0.01)."""

    decoupled = True

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.01) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)
