"""Training: Optim (step and fit), predict, evaluate, History, EarlyStopping, save and load, training metrics."""

from .checkpoint import load, save
from .early_stopping import EarlyStopping
from .history import History
from .inference import evaluate, predict
from .metrics import accuracy
from .trainer import Optim

__all__ = ["EarlyStopping", "History", "Optim", "accuracy", "evaluate", "load", "predict", "save"]
