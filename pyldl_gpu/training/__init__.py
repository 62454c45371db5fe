"""Training: Optim (step and fit), predict, evaluate, History, EarlyStopping, save and load."""

from .checkpoint import load, save
from .early_stopping import EarlyStopping
from .history import History
from .inference import evaluate, predict
from .optim import Optim

__all__ = ["EarlyStopping", "History", "Optim", "evaluate", "load", "predict", "save"]
