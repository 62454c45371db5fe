"""The default float dtype of new arrays and parameters: float32 unless set otherwise, per context.

``set_default_dtype`` changes it for the rest of the current context (this thread); ``with default_dtype(...)``
for a block, restored on exit even when blocks in several threads overlap. A new thread starts at float32."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

import numpy

FLOAT_DTYPES = (numpy.dtype("float32"), numpy.dtype("float64"))
_floatx: contextvars.ContextVar[numpy.dtype] = contextvars.ContextVar("pyldl_floatx", default=FLOAT_DTYPES[0])


def floatx():
    """The default float dtype of new arrays and parameters (float32 unless changed)."""
    return _floatx.get()


def _checked(dtype) -> numpy.dtype:
    wanted = numpy.dtype(dtype)
    if wanted not in FLOAT_DTYPES:
        raise TypeError(f"default dtype must be float32 or float64, got {wanted}")
    return wanted


def set_default_dtype(dtype) -> None:
    """Set the default float dtype for this context: 'float32' (default) or 'float64' (gradient checks)."""
    _floatx.set(_checked(dtype))


@contextlib.contextmanager
def default_dtype(dtype) -> Iterator[numpy.dtype]:
    """``with default_dtype('float64'):`` creates float64 arrays inside, then restores the previous dtype."""
    token = _floatx.set(_checked(dtype))
    try:
        yield _floatx.get()
    finally:
        _floatx.reset(token)
