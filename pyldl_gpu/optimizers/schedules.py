"""Learning-rate schedules, stepped once per epoch: ``scheduler.step()`` sets ``optimizer.lr``."""

from __future__ import annotations

import math

from .. import arguments
from ..exceptions import ArgumentError
from .optimizer import Optimizer


class LRScheduler:
    """Base: ``lr_at(epoch)`` is the pure formula; ``step()`` advances one epoch and applies it."""

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: expected an Optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.epoch = 0

    def lr_at(self, epoch: int) -> float:
        raise NotImplementedError

    def step(self) -> float:
        """Advance one epoch; returns the new learning rate (an ArgumentError where the formula leaves the finite
        numbers: a gamma > 1 over many epochs)."""
        lr = float(self.lr_at(self.epoch + 1))
        if not math.isfinite(lr):
            raise ArgumentError(f"{type(self).__name__}: the learning rate of epoch {self.epoch + 1} is {lr} "
                                f"(base_lr {self.base_lr}); choose a schedule that stays finite")
        self.epoch += 1
        self.optimizer.lr = lr
        return self.optimizer.lr


class StepLR(LRScheduler):
    """lr = base_lr * gamma ** (epoch // step_size)."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        super().__init__(optimizer)
        self.step_size = arguments.integer(step_size, "step_size", "StepLR")
        self.gamma = arguments.number(gamma, "gamma", "StepLR", low=0.0, low_open=True)

    def lr_at(self, epoch: int) -> float:
        try:
            return self.base_lr * self.gamma ** (epoch // self.step_size)
        except OverflowError:
            return math.inf


class ExponentialLR(LRScheduler):
    """lr = base_lr * gamma ** epoch."""

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        super().__init__(optimizer)
        self.gamma = arguments.number(gamma, "gamma", "ExponentialLR", low=0.0, low_open=True)

    def lr_at(self, epoch: int) -> float:
        try:
            return self.base_lr * self.gamma**epoch
        except OverflowError:
            return math.inf


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2, held at eta_min after T_max."""

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:  # noqa: N803
        super().__init__(optimizer)
        self.T_max = arguments.integer(T_max, "T_max", "CosineAnnealingLR")
        self.eta_min = arguments.number(eta_min, "eta_min", "CosineAnnealingLR", low=0.0, high=self.base_lr)

    def lr_at(self, epoch: int) -> float:
        t = min(epoch, self.T_max)
        return self.eta_min + (self.base_lr - self.eta_min) * (1.0 + math.cos(math.pi * t / self.T_max)) / 2.0
