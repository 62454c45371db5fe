"""Weight initialisers. Values are drawn on the host generator (so cpu and cuda start identical for a
seed), cast to floatx() on the host, and moved to the active device once."""

from __future__ import annotations

import math

from . import backends

INITS = ("xavier", "he", "uniform", "normal", "zeros")


def _to_device(values):
    return backends.asarray(values.astype(backends.floatx(), copy=False))


def xavier_uniform(shape: tuple, fan_in: int, fan_out: int):
    """Glorot uniform: U(-a, a), a = sqrt(6 / (fan_in + fan_out)); suits tanh and sigmoid."""
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return _to_device(backends.host_rng().uniform(-limit, limit, size=shape))


def he_normal(shape: tuple, fan_in: int, fan_out: int):
    """He (Kaiming) normal: N(0, 2 / fan_in); suits ReLU."""
    return _to_device(backends.host_rng().normal(0.0, math.sqrt(2.0 / fan_in), size=shape))


def lecun_uniform(shape: tuple, fan_in: int, fan_out: int):
    """U(-1/sqrt(fan_in), 1/sqrt(fan_in)), the seed reports' 'uniform' initialisation."""
    limit = 1.0 / math.sqrt(fan_in)
    return _to_device(backends.host_rng().uniform(-limit, limit, size=shape))


def normal(shape: tuple, fan_in: int, fan_out: int, std: float = 0.01):
    """N(0, std^2)."""
    return _to_device(backends.host_rng().normal(0.0, std, size=shape))


def zeros(shape: tuple, fan_in: int = 0, fan_out: int = 0):
    return backends.xp().zeros(shape, dtype=backends.floatx())


_BY_NAME = {"xavier": xavier_uniform, "he": he_normal, "uniform": lecun_uniform, "normal": normal, "zeros": zeros}


def initialise(name: str, shape: tuple, fan_in: int, fan_out: int):
    """Draw a weight array of ``shape`` with the named scheme (one of INITS)."""
    try:
        draw = _BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown init {name!r}: expected one of {', '.join(INITS)}") from None
    return draw(tuple(shape), fan_in, fan_out)
