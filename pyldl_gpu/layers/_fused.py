"""Neighbouring modules a Sequential runs as one backend operation: a ReLU next to a max pool, in either order.

The two commute exactly (tests/layers/test_pooling.py), so ``ReLU(), MaxPool2D(k)`` and ``MaxPool2D(k), ReLU()``
are both ``relu(max_pool(x))``, which the backend's ``relu_max_pool2d`` computes in one pass over x, and whose
backward ``relu_max_pool2d_backward`` is one pass too (the CPU kernels; elsewhere the backend's own pool and
ReLU). Each module still gets a Saved record that its own backward can use:

    ReLU first:  the ReLU's state is the pair's input x (its mask x > 0 is the mask relu(x) > 0), the pool's the
                 winners of the pool of relu(x)
    pool first:  the pool's state is the winners of the pool of x, the ReLU's its real output

Only the built-in classes pair up (a subclass may change either pass), and Sequential's backward runs a pair's
backward as one call."""

from __future__ import annotations

from .. import backends
from ..module import Module, Saved
from .activations import ReLU
from .pooling import MaxPool1D, MaxPool2D

POOLS = (MaxPool2D, MaxPool1D)


def pair_at(layers: list[Module], i: int) -> bool | None:
    """Whether layers[i], layers[i + 1] run fused: None if not, else relu_first (True: ReLU then the pool)."""
    if i + 1 >= len(layers):
        return None
    first, second = type(layers[i]), type(layers[i + 1])
    if first is ReLU and second in POOLS:
        return True
    if first in POOLS and second is ReLU:
        return False
    return None


def forward(pool: MaxPool2D, x, relu_first: bool, keep: bool):
    """(y, [the first module's Saved, the second's] or None): the pair's output and, when keep, their records.
    The pool's input check runs first (on x: the ReLU keeps the shape), so errors read as the pool's own."""
    pool.input_spec.check(pool, x)
    y4, winners = backends.active().relu_max_pool2d(pool._to_4d(x), pool.kernel, pool.stride, relu_first)
    y = pool._from_4d(y4)
    if not keep:
        return y, None
    pool_record = Saved((x.shape, winners), y)
    if relu_first:
        return y, [Saved(x, x), pool_record]
    return y, [pool_record, Saved(y, y)]


def backward(pool: MaxPool2D, records: list[Saved], relu_first: bool, delta):
    """dL/dx of the pair from its two records (in the layers' order) and the delta of its output."""
    records[1].check_delta(pool, delta)
    x_shape, winners = records[1 if relu_first else 0].state
    relu_state = records[0 if relu_first else 1].state  # the ReLU's: the pair's input x, or its output y
    relu_state = pool._to_4d(relu_state) if relu_first else pool._out_to_4d(relu_state)
    dx = backends.active().relu_max_pool2d_backward(pool._out_to_4d(delta), winners, pool.kernel, pool.stride,
                                                    relu_first, relu_state)
    return dx.reshape(x_shape)
