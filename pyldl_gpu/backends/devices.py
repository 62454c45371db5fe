"""Which backend is active: ``set_device()`` / ``with device(...)`` beat ``PYLDL_DEVICE``, which beats 'cpu'.

The choice is per context (a ContextVar): ``with device('cuda')`` in one thread never moves another thread, and a
new thread starts from ``PYLDL_DEVICE``. The variable is read at first use, not at import. Backends are created
once per device string and cached."""

from __future__ import annotations

import contextlib
import contextvars
import threading
from collections.abc import Iterator

from . import registry
from .registry import DeviceSpec, device_from_env, parse_device

_override: contextvars.ContextVar[object | None] = contextvars.ContextVar("pyldl_device", default=None)
_env_backend: object | None = None  # PYLDL_DEVICE's backend, resolved at first use
_backends: dict[str, object] = {}  # str(spec) -> backend
_lock = threading.Lock()  # two threads asking for a new device at once create it once
_seed: int | None = None  # the last manual_seed, for backends created after it


def backend_for(spec: DeviceSpec):
    """The (cached) backend of a parsed spec; 'auto' resolves to the first candidate that starts."""
    if spec.kind == "auto":
        for candidate in registry.auto_candidates():
            try:
                return backend_for(candidate)
            except Exception:  # not usable here: try the next (set_device names the reason)
                continue
        raise RuntimeError("device 'auto': no registered backend could be started")
    key = str(spec)
    backend = _backends.get(key)
    if backend is None:
        with _lock:
            backend = _backends.get(key)
            if backend is None:
                backend = _backends[key] = registry.create(spec, _seed)
    return backend


def created_backends() -> list:
    """Every backend created so far (manual_seed reseeds them all)."""
    return list(_backends.values())


def active():
    """The active backend: its ``xp``, its operations (see ``backend.Backend``) and its generator."""
    backend = _override.get()
    if backend is not None:
        return backend
    global _env_backend
    if _env_backend is None:
        _env_backend = backend_for(device_from_env())
    return _env_backend


def xp():
    """The active array module: ``numpy`` on cpu, ``cupy`` on cuda."""
    return active().xp


def get_device() -> str:
    """The active device as a string: 'cpu' or 'cuda:N'."""
    return active().name


def set_device(spec: str) -> None:
    """Make ``spec`` ('cpu', 'cuda', 'cuda:N', 'auto', or another registered name) the active device for the rest
    of this context (this thread)."""
    backend = backend_for(parse_device(spec))
    backend.activate()
    _override.set(backend)


@contextlib.contextmanager
def device(spec: str) -> Iterator[str]:
    """``with device('cuda'):`` runs its body on that device, then restores the previous one."""
    backend = backend_for(parse_device(spec))
    previous = active()
    backend.activate()
    token = _override.set(backend)
    try:
        yield backend.name
    finally:
        _override.reset(token)
        previous.activate()


def reset() -> None:
    """Forget set_device() and the cached PYLDL_DEVICE so the variable is read again (tests use it)."""
    global _env_backend
    _env_backend = None
    _override.set(None)


def cuda_is_available() -> bool:
    """True when CuPy imports and at least one CUDA device answers."""
    try:
        backend_for(DeviceSpec("cuda"))
    except Exception:  # any failure means "not usable"; set_device('cuda') reports the reason
        return False
    return True


def remember_seed(seed: int) -> None:
    """Backends created from now on start from this seed (see seeding.manual_seed)."""
    global _seed
    _seed = seed
