"""Adam and AdamW."""

from __future__ import annotations

import math

from .. import backends
from .optimizer import Optimizer


class Adam(Optimizer):
    """m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
    w -= (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps), with g = grad + wd * w (L2 penalty).
    Bias corrections are host Python floats, so no device scalar or float64 enters the update."""

    slots = ("exp_avg", "exp_avg_sq", "scratch")
    decoupled = False

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, lr)
        b1, b2 = betas
        if not (0.0 <= b1 < 1.0 and 0.0 <= b2 < 1.0):
            raise ValueError(f"{type(self).__name__}: betas must lie in [0, 1), got {betas}")
        self.betas = (float(b1), float(b2))
        self.eps = float(eps)
        self.weight_decay = float(weight_decay)

    def _update(self, p, state) -> None:
        xp = backends.xp()
        b1, b2 = self.betas
        t = self.steps
        if self.weight_decay and self.decoupled:
            p.data *= 1.0 - self.lr * self.weight_decay
            g = p.grad
        elif self.weight_decay:
            g = p.grad + self.weight_decay * p.data
        else:
            g = p.grad
        m, v, step = state["exp_avg"], state["exp_avg_sq"], state["scratch"]
        m *= b1
        xp.multiply(g, 1.0 - b1, out=step)
        m += step
        v *= b2
        xp.multiply(g, g, out=step)
        step *= 1.0 - b2
        v += step
        xp.sqrt(v, out=step)
        step *= 1.0 / math.sqrt(1.0 - b2**t)
        step += self.eps
        xp.divide(m, step, out=step)
        step *= self.lr / (1.0 - b1**t)
        p.data -= step


    def __repr__(self) -> str:
        return (f"{type(self).__name__}(lr={self.lr}, betas={self.betas}, eps={self.eps}, "
                f"weight_decay={self.weight_decay})")


class AdamW(Adam):
    """Adam with decoupled weight decay: w *= 1 - lr * wd before the Adam step (default wd 0.01)."""

    decoupled = True

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.01) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)
