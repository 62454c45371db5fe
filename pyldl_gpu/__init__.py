"""pyldl_gpu: a teaching-grade, fast deep-learning library with hand-written backward passes,
running the same code on NumPy (cpu) and CuPy (cuda). ``import pyldl_gpu as nn`` reads well.

The core, bottom up: backends (arrays and devices), module (Module, Parameter), layers, losses, optimizers,
training. The tools above it: datasets, metrics, plots, tuning, parallel (DataParallel), testing (gradcheck).
docs/architecture.md has the map."""

# ---------------------------------------------------------------- the core
from .backends import (
    asarray,
    cuda_is_available,
    default_dtype,
    device,
    floatx,
    get_device,
    get_matmul_precision,
    manual_seed,
    set_default_dtype,
    set_device,
    set_matmul_precision,
    synchronize,
    to_numpy,
    xp,
)
from .exceptions import (
    ArgumentError,
    CheckpointError,
    CudaUnavailableError,
    DatasetError,
    DeviceError,
    DivergenceError,
    DTypeError,
    GradcheckError,
    NonFiniteLossError,
    PyldlError,
    ShapeError,
    ValueRangeError,
)
from .labels import one_hot
from .layers import (
    AutoEncoder,
    AvgPool1D,
    AvgPool2D,
    BatchNorm1D,
    BatchNorm2D,
    Conv1D,
    Conv2D,
    Dropout,
    Flatten,
    Identity,
    KLSparsity,
    LeakyReLU,
    Linear,
    LogSoftmax,
    MaxPool1D,
    MaxPool2D,
    ReLU,
    Reshape,
    Sequential,
    Siamese,
    Sigmoid,
    Softmax,
    Tanh,
    TiedLinear,
    Upsample2D,
    log_softmax,
    softmax,
)
from .losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    Loss,
    MAELoss,
    MSELoss,
    MultiTaskLoss,
    NLLLoss,
    RMSELoss,
    TaskDrivenLoss,
)
from .module import Module, Parameter
from .optimizers import SGD, Adam, AdamW, CosineAnnealingLR, ExponentialLR, RMSProp, StepLR

# ---------------------------------------------------------------- tools (datasets, metrics, plots and tuning are
# subpackages: pyldl_gpu.datasets, ...; nothing in the core imports them)
from .parallel import DataParallel
from .testing import gradcheck
from .training import EarlyStopping, History, Optim, accuracy, evaluate, load, predict, save

__version__ = "0.1.0"

__all__ = [
    "AvgPool1D", "AvgPool2D", "BatchNorm1D", "BatchNorm2D", "Conv1D", "Conv2D", "Dropout", "Flatten", "MaxPool1D",
    "MaxPool2D", "Reshape", "TiedLinear", "Upsample2D",
    "SGD", "Adam", "AdamW", "ArgumentError", "AutoEncoder", "BCELoss", "BCEWithLogitsLoss", "CheckpointError",
    "CosineAnnealingLR", "CrossEntropyLoss", "CudaUnavailableError", "DTypeError", "DataParallel", "DatasetError",
    "DeviceError", "DivergenceError",
    "EarlyStopping", "ExponentialLR",
    "GradcheckError", "History", "Identity", "KLSparsity", "LeakyReLU", "Linear", "LogSoftmax", "Loss", "MAELoss",
    "MSELoss", "Module", "MultiTaskLoss", "NLLLoss", "NonFiniteLossError", "Optim", "Parameter", "PyldlError",
    "RMSELoss", "RMSProp", "ReLU", "Sequential", "Siamese", "ShapeError", "Sigmoid", "Softmax", "StepLR", "Tanh",
    "TaskDrivenLoss", "ValueRangeError",
    "accuracy", "asarray",
    "cuda_is_available", "default_dtype", "device", "evaluate", "floatx", "get_device", "gradcheck", "load",
    "log_softmax", "manual_seed", "one_hot", "predict", "save", "set_default_dtype", "set_device", "softmax",
    "synchronize", "to_numpy", "xp",
    "get_matmul_precision", "set_matmul_precision",
]
