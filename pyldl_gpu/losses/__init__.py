"""Losses: ``forward(y, yhat)`` -> mean loss (a device scalar) and ``backward(y, yhat)`` -> dL/dyhat."""

from ..layers.sparsity import KLSparsity
from .base import Loss
from .binary import BCELoss, BCEWithLogitsLoss
from .classification import CrossEntropyLoss, NLLLoss
from .composite import MultiTaskLoss, TaskDrivenLoss
from .regression import MAELoss, MSELoss, RMSELoss

__all__ = ["BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "KLSparsity", "Loss", "MAELoss", "MSELoss",
           "MultiTaskLoss", "NLLLoss", "RMSELoss", "TaskDrivenLoss"]
