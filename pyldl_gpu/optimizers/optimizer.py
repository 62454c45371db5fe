"""Optimizer base: owns the parameter list, lazily created per-parameter state, and its (de)serialisation."""

from __future__ import annotations

from collections.abc import Iterable

from .. import backends
from ..exceptions import CheckpointError
from ..module import Module, Parameter


def _parameter_list(params) -> list[Parameter]:
    if isinstance(params, Module):
        params = params.parameters()
    unique: dict[int, Parameter] = {}
    for p in params:
        if not isinstance(p, Parameter):
            raise TypeError(f"optimizers take a Module or Parameters, got {type(p).__name__}")
        unique.setdefault(id(p), p)
    if not unique:
        raise ValueError("optimizer got no parameters to optimise")
    return list(unique.values())


class Optimizer:
    """Updates parameters in place from their ``.grad``. Subclasses implement ``_update(p, state)``.

    ``lr`` is a host Python float that schedules may change between steps; state arrays are created
    on first use with ``zeros_like(p.data)`` (same device and dtype as the parameter)."""

    slots: tuple[str, ...] = ()

    def __init__(self, params: Module | Iterable[Parameter], lr: float) -> None:
        if lr <= 0:
            raise ValueError(f"{type(self).__name__}: lr must be positive, got {lr}")
        self.params = _parameter_list(params)
        self.lr = float(lr)
        self.steps = 0
        self.state: list[dict] = [{} for _ in self.params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.zero_grad()

    def step(self) -> None:
        """Apply one update to every parameter."""
        self.steps += 1
        for p, state in zip(self.params, self.state):
            if not state:
                self._allocate(p, state)
            self._update(p, state)

    def _allocate(self, p: Parameter, state: dict) -> None:
        xp = backends.xp()
        for name in self.slots:
            if name not in state:
                state[name] = xp.zeros_like(p.data)

    def _update(self, p: Parameter, state: dict) -> None:
        raise NotImplementedError

    def state_dict(self) -> dict:
        """{'steps', 'lr', 'state.<i>.<slot>': array}; 'scratch' slots are work space, not state."""
        out = {"steps": self.steps, "lr": self.lr}
        for i, state in enumerate(self.state):
            for name, value in state.items():
                if name != "scratch":
                    out[f"state.{i}.{name}"] = value
        return out

    def load_state_dict(self, saved: dict) -> None:
        """Restore state saved by ``state_dict`` onto the active device; checks count and shapes."""
        fresh: list[dict] = [{} for _ in self.params]
        for key, value in saved.items():
            if not key.startswith("state."):
                continue
            _, index, name = key.split(".", 2)
            i = int(index)
            if i >= len(self.params) or name not in self.slots:
                raise CheckpointError(f"{type(self).__name__}: saved state {key!r} does not fit this optimizer")
            p = self.params[i]
            if tuple(value.shape) != tuple(p.data.shape):
                raise CheckpointError(
                    f"{type(self).__name__}: state {key!r} has shape {tuple(value.shape)}, "
                    f"parameter {p.name!r} has {tuple(p.data.shape)}"
                )
            fresh[i][name] = backends.asarray(value, dtype=p.data.dtype)
        for p, state in zip(self.params, fresh):
            if state:
                self._allocate(p, state)
        self.state = fresh
        self.steps = int(saved.get("steps", 0))
        self.lr = float(saved.get("lr", self.lr))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lr={self.lr})"
