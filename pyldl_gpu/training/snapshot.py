"""In-memory copies of a model's weights and buffers (and an optimizer's state), on the same device."""

from __future__ import annotations

from ..module import Module
from ..optim.optimizer import Optimizer


def _state_arrays(net: Module) -> list:
    return [p.data for p in net.parameters()] + [array for _, array in net.named_buffers()]


def snapshot_parameters(net: Module) -> list:
    """Device copies of every parameter and buffer (e.g. BatchNorm running statistics)."""
    return [array.copy() for array in _state_arrays(net)]


def restore_parameters(net: Module, copies: list) -> None:
    """Copy a snapshot back in place (references to the arrays stay valid)."""
    for array, saved in zip(_state_arrays(net), copies):
        array[...] = saved


def snapshot_optimizer(optimizer: Optimizer) -> tuple:
    return optimizer.steps, [{k: v.copy() for k, v in state.items()} for state in optimizer.state]


def restore_optimizer(optimizer: Optimizer, snapshot: tuple) -> None:
    optimizer.steps, states = snapshot
    optimizer.state = [{k: v.copy() for k, v in state.items()} for state in states]
