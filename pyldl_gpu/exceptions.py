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


class ArgumentError(PyldlError, ValueError, TypeError):
    """An argument of the wrong type or outside its valid range (a learning rate of NaN, a batch size of 2.5);
    the message names the receiver, the argument, the valid values and the value given. It is a ValueError and a
    TypeError, so either ``except`` catches it."""


class ValueRangeError(PyldlError, ValueError):
    """Data whose values lie outside what the receiver accepts: a label of -1 or of the number of classes, a
    probability above 1, a NaN in the inputs. The message names the receiver, the value, where it is and the
    valid range."""


class NonFiniteLossError(PyldlError, FloatingPointError):
    """Training produced a NaN or infinite loss, weight, gradient or optimizer state; the model keeps the last
    weights known to be good (see docs/training.md)."""


class DivergenceError(NonFiniteLossError):
    """Training diverged: an epoch's loss grew past the bound fit was given (its ``divergence`` argument) while
    still finite. A NonFiniteLossError too, so one ``except`` catches every blow-up; the weights are restored the
    same way."""


class CheckpointError(PyldlError, ValueError):
    """A checkpoint file that does not fit the model or optimizer it is loaded into."""


class GradcheckError(PyldlError, AssertionError):
    """An analytic gradient that disagrees with its finite-difference estimate."""


class DatasetError(PyldlError, OSError):
    """A data file that is missing, corrupt or truncated; the message names the path and how to get it."""
