"""Random generators: one on the host (initial weights, shuffles), one per device (dropout masks).

``manual_seed(s)`` seeds Python's random, a new host generator and every device generator, process-wide, and
also gives the calling context (thread) generators of its own seeded by s: a thread that seeds and then builds
and trains a net draws from its own streams, whatever other threads seed or draw meanwhile, so it reproduces its
sequential run. A thread that never seeds draws from the process-wide generators.

A training run owns its streams: ``spawn_streams()`` makes a set seeded by one draw from the calling context's
host generator (so manual_seed fixes it), and ``with using_streams(streams):`` makes every draw of the context
(shuffles, dropout masks, DataParallel's chunk seeds) come from that set. Optim spawns its set when it is built
and trains inside it: two nets built in one thread and trained in two threads each reproduce their sequential
run, whatever order the threads draw in."""

from __future__ import annotations

import contextlib
import contextvars
import random
from collections.abc import Iterator

import numpy

from ..exceptions import ArgumentError
from . import devices

_host_rng = numpy.random.default_rng()
_seeded: contextvars.ContextVar[Streams | None] = contextvars.ContextVar("pyldl_streams", default=None)
_local_rng: contextvars.ContextVar[object | None] = contextvars.ContextVar("pyldl_local_rng", default=None)


class Streams:
    """A set of generators seeded by one integer: the host's, and each device's (created when first drawn
    from). manual_seed gives one to its context; a training run owns another (spawn_streams)."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.host = numpy.random.default_rng(seed)
        self.devices: dict[str, object] = {}

    def device_rng(self, backend):
        rng = self.devices.get(backend.name)
        if rng is None:
            rng = self.devices[backend.name] = backend.new_rng(self.seed)
        return rng


def _checked_seed(seed) -> int:
    """A seed as a Python int: a non-negative integer (NumPy integers and integral floats too; bools refused)."""
    integral = isinstance(seed, (int, numpy.integer)) or (isinstance(seed, (float, numpy.floating))
                                                          and float(seed).is_integer())
    if isinstance(seed, (bool, numpy.bool_)) or not integral or seed < 0:
        shown = repr(seed) if isinstance(seed, str) else str(seed)
        raise ArgumentError(f"manual_seed: seed must be a non-negative integer, got {type(seed).__name__} {shown}")
    return int(seed)


def manual_seed(seed: int) -> None:
    """Seed everything pyldl_gpu draws from (see the module docstring). Same seed -> same weights on cpu and
    cuda, and the same shuffles and dropout masks run to run. A seed that is not a non-negative integer is
    refused before any generator changes."""
    global _host_rng
    seed = _checked_seed(seed)
    random.seed(seed)
    _host_rng = numpy.random.default_rng(seed)
    devices.remember_seed(seed)
    for backend in devices.created_backends():
        backend.seed(seed)
    _seeded.set(Streams(seed))


def host_rng() -> numpy.random.Generator:
    """The host generator of this context: initial weights and epoch shuffles are drawn here, then moved once."""
    streams = _seeded.get()
    return streams.host if streams is not None else _host_rng


def rng():
    """The generator for device-side draws (dropout masks): the one ``local_rng`` set for this context (a
    DataParallel worker), else this context's seeded one, else the active backend's."""
    local = _local_rng.get()
    if local is not None:
        return local
    backend = devices.active()
    streams = _seeded.get()
    return streams.device_rng(backend) if streams is not None else backend.rng


@contextlib.contextmanager
def local_rng(seed: int) -> Iterator[object]:
    """In this context (this thread's task), device-side draws come from a fresh generator seeded by ``seed``:
    workers drawing side by side stay reproducible whatever order the threads run in."""
    token = _local_rng.set(devices.active().new_rng(int(seed)))
    try:
        yield _local_rng.get()
    finally:
        _local_rng.reset(token)


def spawn_streams() -> Streams:
    """A new set of generators, seeded by one draw from this context's host generator: reproducible under
    manual_seed, and independent of every other stream from then on."""
    return Streams(int(host_rng().integers(0, 2**63 - 1)))


@contextlib.contextmanager
def using_streams(streams: Streams) -> Iterator[Streams]:
    """Inside, this context's host and device draws come from ``streams`` (``local_rng`` still wins for device
    draws); the previous streams come back on exit."""
    token = _seeded.set(streams)
    try:
        yield streams
    finally:
        _seeded.reset(token)
