"""Layers with parameters or shapes of their own."""

from .conv import Conv1D, Conv2D
from .dropout import Dropout
from .linear import Linear
from .normalization import BatchNorm1D, BatchNorm2D
from .pooling import AvgPool1D, AvgPool2D, MaxPool1D, MaxPool2D
from .shape import Flatten, Reshape, Upsample2D
from .tied import TiedLinear

__all__ = ["AvgPool1D", "AvgPool2D", "BatchNorm1D", "BatchNorm2D", "Conv1D", "Conv2D", "Dropout", "Flatten",
           "Linear", "MaxPool1D", "MaxPool2D", "Reshape", "TiedLinear", "Upsample2D"]
