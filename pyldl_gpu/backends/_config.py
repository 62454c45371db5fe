"""Device strings: parsing, validation and the environment variable that names the default."""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..exceptions import DeviceError

ENV_VAR = "PYLDL_DEVICE"
ACCEPTED = "'cpu', 'cuda', 'cuda:N' (N a device index) or 'auto'"


@dataclass(frozen=True)
class DeviceSpec:
    """A parsed device request: kind is 'cpu', 'cuda' or 'auto'; index only for cuda."""

    kind: str
    index: int = 0

    def __str__(self) -> str:
        return f"cuda:{self.index}" if self.kind == "cuda" else self.kind


def parse_device(spec: object, source: str = "device") -> DeviceSpec:
    """Parse 'cpu' | 'cuda' | 'cuda:N' | 'auto' (case and surrounding spaces ignored)."""
    if isinstance(spec, DeviceSpec):
        return spec
    if not isinstance(spec, str):
        raise DeviceError(f"{source} must be a string, one of {ACCEPTED}; got {spec!r}")
    text = spec.strip().lower()
    if text in ("cpu", "auto", "cuda"):
        return DeviceSpec(text)
    if text.startswith("cuda:"):
        index = text[5:]
        if index.isdigit():
            return DeviceSpec("cuda", int(index))
    raise DeviceError(f"unknown {source} {spec!r}: expected {ACCEPTED}")


def device_from_env() -> DeviceSpec:
    """The device named by PYLDL_DEVICE, or cpu when it is unset or empty."""
    value = os.environ.get(ENV_VAR, "").strip()
    return parse_device(value, source=f"{ENV_VAR} value") if value else DeviceSpec("cpu")
