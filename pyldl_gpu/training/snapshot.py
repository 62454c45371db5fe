"""In-memory copies of a model's weights (and an optimizer's state), on the same device: no host traffic."""

from __future__ import annotations

from ..module import Module
from ..optim.optimizer import Optimizer


def snapshot_parameters(net: Module) -> list:
    """Device copies of every parameter's data, in parameters() order."""
    return [p.data.copy() for p in net.parameters()]


def restore_parameters(net: Module, copies: list) -> None:
    """Copy a snapshot back into the parameters, in place (references to the arrays stay valid)."""
    for p, saved in zip(net.parameters(), copies):
        p.data[...] = saved


def snapshot_optimizer(optimizer: Optimizer) -> tuple:
    return optimizer.steps, [{k: v.copy() for k, v in state.items()} for state in optimizer.state]


def restore_optimizer(optimizer: Optimizer, snapshot: tuple) -> None:
    optimizer.steps, states = snapshot
    optimizer.state = [{k: v.copy() for k, v in state.items()} for state in states]
