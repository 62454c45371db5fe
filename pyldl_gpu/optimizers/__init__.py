"""Optimizers (in-place updates on the parameters' device) and learning-rate schedules."""

from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSProp
from .schedules import CosineAnnealingLR, ExponentialLR, LRScheduler, StepLR
from .sgd import SGD

__all__ = ["SGD", "Adam", "AdamW", "CosineAnnealingLR", "ExponentialLR", "LRScheduler", "Optimizer", "RMSProp",
           "StepLR"]
