"""Every module a network is built from: layers with parameters, activations, shape layers, regularisation,
containers, and the textbook reference twins of the optimised computations (reference.py)."""

from .activations import Identity, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh, log_softmax, softmax
from .containers import AutoEncoder, Sequential, Siamese
from .conv import Conv1D, Conv2D
from .dropout import Dropout
from .linear import Linear
from .normalization import BatchNorm1D, BatchNorm2D
from .pooling import AvgPool1D, AvgPool2D, MaxPool1D, MaxPool2D
from .shape import Flatten, Reshape, Upsample2D
from .sparsity import KLSparsity
from .tied import TiedLinear

__all__ = ["AutoEncoder", "AvgPool1D", "AvgPool2D", "BatchNorm1D", "BatchNorm2D", "Conv1D", "Conv2D", "Dropout",
           "Flatten", "Identity", "KLSparsity", "LeakyReLU", "Linear", "LogSoftmax", "MaxPool1D", "MaxPool2D", "ReLU",
           "Reshape", "Sequential", "Siamese", "Sigmoid", "Softmax", "Tanh", "TiedLinear", "Upsample2D",
           "log_softmax", "softmax"]
