"""In-memory copies of a model's weights and buffers (and an optimizer's state), on the same device."""

from __future__ import annotations

from ..module import Module
from ..optimizers.optimizer import Optimizer

PARAM, BUFFER = "param/", "buffer/"


def named_state(net: Module) -> dict:
    """Every array that defines a trained model: 'param/<name>' -> parameter data, 'buffer/<name>' -> buffer
    (e.g. BatchNorm running statistics). The one list that save, load and snapshots all use."""
    state = {PARAM + name: p.data for name, p in net.named_parameters()}
    state.update({BUFFER + name: array for name, array in net.named_buffers()})
    return state


def foreign_parameters(net: Module, optimizer: Optimizer) -> list:
    """(index in the optimizer, parameter) for each parameter the optimizer holds that is not ``net``'s: the
    check Optim and save share (an optimizer built for another model)."""
    own = {id(p) for p in net.parameters()}
    return [(i, p) for i, p in enumerate(optimizer.params) if id(p) not in own]


def snapshot_parameters(net: Module) -> list:
    """Device copies of every parameter and buffer."""
    return [array.copy() for array in named_state(net).values()]


def restore_parameters(net: Module, copies: list) -> None:
    """Copy a snapshot back in place (references to the arrays stay valid)."""
    for array, saved in zip(named_state(net).values(), copies):
        array[...] = saved


def snapshot_optimizer(optimizer: Optimizer) -> tuple:
    """(steps, lr, device copies of the state): everything an update reads besides the parameters."""
    return optimizer.steps, optimizer.lr, [{k: v.copy() for k, v in state.items()} for state in optimizer.state]


def restore_optimizer(optimizer: Optimizer, snapshot: tuple) -> None:
    optimizer.steps, optimizer.lr, states = snapshot
    optimizer.state = [{k: v.copy() for k, v in state.items()} for state in states]
