"""Exceptions raised by pyldl_gpu, one class per kind of user mistake or failure."""


class PyldlError(Exception):
    """Base class of every error raised on purpose by pyldl_gpu."""


class DeviceError(PyldlError, ValueError):
    """An unknown device string, or arrays of two devices that met."""


class CudaUnavailableError(PyldlError, RuntimeError):
    """CUDA was asked for but CuPy, the driver or a device is missing."""


class ShapeError(PyldlError, ValueError):
    """An input whose shape does not fit the module that received it."""


class DTypeError(PyldlError, TypeError):
    """An input whose dtype does not match the module's parameters."""


class NonFiniteLossError(PyldlError, FloatingPointError):
    """Training produced a NaN or infinite loss; the model keeps its last good weights."""


class CheckpointError(PyldlError, ValueError):
    """A checkpoint file that does not fit the model or optimizer it is loaded into."""


class GradcheckError(PyldlError, AssertionError):
    """An analytic gradient that disagrees with its finite-difference estimate."""


class DatasetError(PyldlError, OSError):
    """A data file that is missing, corrupt or truncated; the message names the path and how to get it."""
