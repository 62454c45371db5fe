"""Backends by name, and the device strings that name them.

A backend registers a factory under a name: ``register_backend("cpu", factory)``. Device strings are parsed
against this registry: a registered name, ``name:N`` for a backend registered with ``indexed=True`` (N a device
index), or ``auto``, which picks the usable backend of highest ``auto_priority``. A new backend (say a NumPy one
that counts host transfers, in a test) registers itself and is usable everywhere at once."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from ..exceptions import DeviceError

ENV_VAR = "PYLDL_DEVICE"


@dataclass(frozen=True)
class DeviceSpec:
    """A parsed device request: ``kind`` is a registered backend name or 'auto'; ``index`` for indexed ones."""

    kind: str
    index: int = 0

    def __str__(self) -> str:
        entry = _REGISTRY.get(self.kind)
        return f"{self.kind}:{self.index}" if entry is not None and entry.indexed else self.kind


@dataclass(frozen=True)
class _Entry:
    factory: Callable  # (index, seed) -> Backend
    indexed: bool
    auto_priority: int | None


_REGISTRY: dict[str, _Entry] = {}


def register_backend(name: str, factory: Callable, indexed: bool = False, auto_priority: int | None = None) -> None:
    """Make ``factory(index, seed)`` the backend named ``name``. indexed: it takes device strings ``name:N``.
    auto_priority: 'auto' tries backends with a priority, highest first, and takes the first that starts."""
    if not name.isidentifier() or name == "auto":
        raise ValueError(f"register_backend: {name!r} is not a usable backend name")
    _REGISTRY[name] = _Entry(factory, indexed, auto_priority)


def unregister_backend(name: str) -> None:
    """Forget a registered backend (tests that register one of their own)."""
    _REGISTRY.pop(name, None)


def backend_names() -> list[str]:
    """Registered backend names, in registration order."""
    return list(_REGISTRY)


def accepted() -> str:
    """The accepted device strings, for error messages."""
    names, noted = [], False
    for name, entry in _REGISTRY.items():
        if entry.indexed:
            names.append(f"'{name}', '{name}:N'" + ("" if noted else " (N a device index)"))
            noted = True
        else:
            names.append(f"'{name}'")
    return ", ".join(names) + " or 'auto'"


def parse_device(spec: object, source: str = "device") -> DeviceSpec:
    """Parse a device string (case and surrounding spaces ignored) against the registry."""
    if isinstance(spec, DeviceSpec):
        return spec
    if not isinstance(spec, str):
        raise DeviceError(f"{source} must be a string, one of {accepted()}; got {spec!r}")
    text = spec.strip().lower()
    name, sep, index = text.partition(":")
    entry = _REGISTRY.get(name)
    if text == "auto" or (entry is not None and not sep):
        return DeviceSpec(name)
    if entry is not None and entry.indexed and index.isdigit():
        return DeviceSpec(name, int(index))
    raise DeviceError(f"unknown {source} {spec!r}: expected {accepted()}")


def device_from_env() -> DeviceSpec:
    """The device named by PYLDL_DEVICE, or cpu when it is unset or empty."""
    value = os.environ.get(ENV_VAR, "").strip()
    return parse_device(value, source=f"{ENV_VAR} value") if value else DeviceSpec("cpu")


def create(spec: DeviceSpec, seed: int | None):
    """A new backend for a parsed, non-auto spec."""
    return _REGISTRY[spec.kind].factory(spec.index, seed)


def auto_candidates() -> list[DeviceSpec]:
    """The specs 'auto' tries, in order."""
    ranked = sorted(((e.auto_priority, n) for n, e in _REGISTRY.items() if e.auto_priority is not None), reverse=True)
    return [DeviceSpec(name) for _, name in ranked]
