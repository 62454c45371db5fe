"""Optimizer base: owns the parameter list, lazily created per-parameter state, and its (de)serialisation."""

from __future__ import annotations

from collections.abc import Iterable

from .. import arguments, backends
from ..exceptions import CheckpointError
from ..module import Module, Parameter


def _parameter_list(params, owner: str) -> list[Parameter]:
    if isinstance(params, Module):
        params = params.parameters()
    if not isinstance(params, Iterable) or isinstance(params, (str, bytes)):
        raise TypeError(f"{owner}: params must be a Module or an iterable of Parameters, got "
                        f"{type(params).__name__}")
    unique: dict[int, Parameter] = {}
    for p in params:
        if not isinstance(p, Parameter):
            raise TypeError(f"{owner}: optimizers take a Module or Parameters, got {type(p).__name__}")
        unique.setdefault(id(p), p)
    if not unique:
        raise ValueError("optimizer got no parameters to optimise")
    return list(unique.values())


def _scalar(value, key: str, owner: str, integer: bool = False):
    """A saved 'steps' (an integer >= 0) or 'lr' (a finite float >= 0: a schedule may end at 0) as a Python number,
    or a CheckpointError."""
    host = backends.host()
    array = host.asarray(backends.to_numpy(value))
    kinds = "iu" if integer else "iuf"
    if array.shape != () or array.dtype.kind not in kinds:
        raise CheckpointError(f"{owner}: saved {key!r} must be {'an integer' if integer else 'a number'}, got "
                              f"{array.dtype} of shape {array.shape}")
    number = int(array) if integer else float(array)
    if not (number >= 0 if integer else (number >= 0 and host.isfinite(number))):
        raise CheckpointError(f"{owner}: saved {key!r} must be {'>= 0' if integer else 'finite and >= 0'}, got "
                              f"{number}")
    return number


def _require_finite_floats(value, key: str, owner: str) -> None:
    """Optimizer state is floating point and finite: anything else is a damaged or foreign file."""
    kind = getattr(getattr(value, "dtype", None), "kind", None)
    if kind != "f":
        raise CheckpointError(f"{owner}: saved state {key!r} must hold floating-point numbers, got "
                              f"{getattr(value, 'dtype', type(value).__name__)}")
    if not backends.host().isfinite(backends.to_numpy(value)).all():
        raise CheckpointError(f"{owner}: saved state {key!r} holds NaN or infinite values")


class Optimizer:
    """Updates parameters in place from their ``.grad``. Subclasses implement ``_update(p, state)``.

    ``lr`` is a host Python float that schedules may change between steps: given > 0, set later to any finite
    value >= 0 (a schedule may end at 0; NaN, inf and negative values are refused when set, naming the optimizer).
    State arrays are created on first use with ``zeros_like(p.data)`` (same device and dtype as the parameter)."""

    slots: tuple[str, ...] = ()

    def __init__(self, params: Module | Iterable[Parameter], lr: float) -> None:
        self.lr = arguments.number(lr, "lr", type(self).__name__, low=0.0, low_open=True)
        self.params = _parameter_list(params, type(self).__name__)
        self.steps = 0
        self.state: list[dict] = [{} for _ in self.params]

    @property
    def lr(self) -> float:
        return self._lr

    @lr.setter
    def lr(self, value) -> None:
        self._lr = arguments.number(value, "lr", type(self).__name__, low=0.0)

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
        """Restore state saved by ``state_dict`` onto the active device. Every entry is checked first (the step
        count, the learning rate, each state array's key, shape, kind and values); a CheckpointError names the
        first that does not fit, and nothing changes unless everything does."""
        name = type(self).__name__
        steps = _scalar(saved.get("steps", 0), "steps", name, integer=True)
        lr = _scalar(saved.get("lr", self.lr), "lr", name)
        fresh: list[dict] = [{} for _ in self.params]
        for key, value in saved.items():
            if key in ("steps", "lr"):
                continue
            i, slot = self._slot_of(key)
            p = self.params[i]
            if tuple(getattr(value, "shape", ())) != tuple(p.data.shape):
                raise CheckpointError(f"{name}: state {key!r} has shape {tuple(getattr(value, 'shape', ()))}, "
                                      f"parameter {p.name!r} has {tuple(p.data.shape)}")
            _require_finite_floats(value, key, name)
            fresh[i][slot] = value
        wanted = [s for s in self.slots if s != "scratch"]
        for i, state in enumerate(fresh):
            if (state or steps) and wanted and sorted(state) != sorted(wanted):
                missing = ", ".join(f"state.{i}.{slot}" for slot in sorted(set(wanted) - set(state)))
                raise CheckpointError(f"{name}: no saved state {missing} for parameter {i} ({self.params[i].name!r}) "
                                      f"after {steps} steps")
        for p, state in zip(self.params, fresh):
            for slot, value in state.items():
                state[slot] = backends.asarray(value, dtype=p.data.dtype)
            if state:
                self._allocate(p, state)
        self.state = fresh
        self.steps = steps
        self.lr = lr

    def _slot_of(self, key: str) -> tuple[int, str]:
        """'state.<index>.<slot>' -> (index, slot), or a CheckpointError saying what does not fit."""
        parts = key.split(".", 2)
        slots = [s for s in self.slots if s != "scratch"]
        if len(parts) != 3 or parts[0] != "state" or not parts[1].isdigit():
            raise CheckpointError(f"{type(self).__name__}: saved entry {key!r} is not optimizer state "
                                  "('state.<parameter index>.<slot>', 'steps' or 'lr')")
        i, slot = int(parts[1]), parts[2]
        if i >= len(self.params) or slot not in slots:
            raise CheckpointError(f"{type(self).__name__}: saved state {key!r} does not fit this optimizer "
                                  f"({len(self.params)} parameters; slots: {', '.join(slots) or 'none'})")
        return i, slot

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lr={self.lr})"
