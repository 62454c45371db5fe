"""The CUDA backend's switches, read from the environment when the backend is created (once per process and
device; ``CupyBackend.use_kernels`` changes the first later).

``PYLDL_CUDA_KERNELS``: which fused kernel families serve the backend's fused operations.
    ``eager`` (the default): none; every operation runs the array code of backends/generic/ on CuPy, the path
    that has passed the suite on a GPU. ``fused``: every family. Or a comma-separated list of families
    (``softmax,pooling``), to adopt or bisect them one by one. Families: activations, softmax, pooling, fold,
    updates (docs/gpu.md lists what each serves).
``PYLDL_CUDA_CAPTURE``: ``off`` (the default) or ``on``: the capture-ready step. The backend queues its work on a
    stream of its own (CUDA graphs cannot capture the legacy default stream) and Adam reads its step from a
    device clock (updates.py), so that a training step captured into a CUDA graph (graphs.py) replays correctly.
    Not validated on a GPU yet; bench/capture_probe.py is what tells.

VALIDATED names the families that have passed on a real GPU (the fused-op table and the suite with them on):
none yet. A family is made a default only once it is there."""

from __future__ import annotations

import os

KERNELS_ENV = "PYLDL_CUDA_KERNELS"
CAPTURE_ENV = "PYLDL_CUDA_CAPTURE"
FAMILY_NAMES = ("activations", "softmax", "pooling", "fold", "updates")
VALIDATED: tuple[str, ...] = ()  # families that passed on a GPU (bench/run_gpu.sh): none yet
DEFAULT_KERNELS = "eager"
DEFAULT_CAPTURE = "off"
_ON, _OFF = ("on", "1", "true", "yes"), ("off", "0", "false", "no")


def kernel_families(value: str | None = None) -> tuple[str, ...]:
    """The families a PYLDL_CUDA_KERNELS value selects, in FAMILY_NAMES order (None: read the variable)."""
    value = os.environ.get(KERNELS_ENV, DEFAULT_KERNELS) if value is None else value
    text = value.strip().lower()
    if text in ("", "eager"):
        return ()
    if text == "fused":
        return FAMILY_NAMES
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in FAMILY_NAMES]
    if unknown or not names:
        raise ValueError(f"{KERNELS_ENV}={value!r}: expected 'eager', 'fused' or a comma-separated list of kernel "
                         f"families from {', '.join(FAMILY_NAMES)}; unknown: {', '.join(unknown) or 'none given'}")
    return tuple(name for name in FAMILY_NAMES if name in names)


def capture_enabled(value: str | None = None) -> bool:
    """Whether a PYLDL_CUDA_CAPTURE value turns the capture-ready step on (None: read the variable)."""
    value = os.environ.get(CAPTURE_ENV, DEFAULT_CAPTURE) if value is None else value
    text = value.strip().lower()
    if text in _ON:
        return True
    if text in ("", *_OFF):
        return False
    raise ValueError(f"{CAPTURE_ENV}={value!r}: expected 'on' or 'off'")
