"""Argument checks shared by everything that takes hyper-parameters (optimizers, schedules, fit, EarlyStopping,
losses, DataParallel): one helper per kind of value, one message shape, raised when the argument is given:

    SGD: lr must be positive (a finite number > 0), got nan
    fit: batch_size must be >= 1 (an integer), got 2.5

Each returns the value as a plain Python int or float, so what a constructor keeps is never a NumPy scalar (a
float64 one would promote float32 arrays)."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

from .exceptions import ArgumentError


def integer(value, name: str, owner: str, minimum: int = 1) -> int:
    """``value`` as an int >= minimum. Floats (even 3.0), bools, strings and None are refused: a batch size of
    2.5 is a mistake, not a request to round."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ArgumentError(f"{owner}: {name} must be >= {minimum} (an integer), got {value!r}")
    return int(value)


def pair(value, name: str, owner: str, minimum: int = 1) -> tuple[int, int]:
    """An int or a (vertical, horizontal) pair of ints, each >= minimum -> a pair of Python ints (kernel sizes,
    strides, paddings). Floats and bools are refused, as by ``integer``."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = integer(value, name, owner, minimum)
        return value, value
    if not (isinstance(value, (tuple, list)) and len(value) == 2):
        raise ArgumentError(f"{owner}: {name} must be an int or a pair of ints (each >= {minimum}), got {value!r}")
    return (integer(value[0], f"{name}[0]", owner, minimum), integer(value[1], f"{name}[1]", owner, minimum))


def _range_text(low, high, low_open: bool, high_open: bool) -> str:
    if high is None:
        if low is None:
            return "a finite number"
        if low == 0 and low_open:
            return "positive (a finite number > 0)"
        return f"a finite number {'>' if low_open else '>='} {low:g}"
    return f"a finite number in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"


def number(value, name: str, owner: str, low: float | None = None, high: float | None = None,
           low_open: bool = False, high_open: bool = False) -> float:
    """``value`` as a finite float within [low, high] (an end left open when asked; None: unbounded). NaN, inf,
    bools, strings and None are refused."""
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        raise ArgumentError(f"{owner}: {name} must be {_range_text(low, high, low_open, high_open)}, got {value!r}")
    return float(value)


def choice(value, name: str, owner: str, options: Sequence):
    """``value`` if it is one of ``options`` (compared with ==; bools only match bools)."""
    if not any(value == option and isinstance(value, bool) == isinstance(option, bool) for option in options):
        listed = ", ".join(repr(option) for option in options)
        raise ArgumentError(f"{owner}: {name} must be one of {listed}, got {value!r}")
    return value
