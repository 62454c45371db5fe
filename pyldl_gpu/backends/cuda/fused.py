"""Which kernel families exist and how they are put in front of a backend's fused operations.

``install(target, launcher, names)`` makes each named family serve its operations on ``target`` (instance
attributes shadowing the class's methods, so an operation costs no extra dispatch); every other fused operation,
including any the interface gains later, keeps its array-module code. ``remove(target)`` undoes it."""

from __future__ import annotations

from .activations import ActivationKernels
from .fold import FoldKernels
from .launch import KernelOps
from .pooling import PoolingKernels
from .softmax import SoftmaxKernels
from .updates import UpdateKernels

FAMILY_OPS: dict[str, type[KernelOps]] = {"activations": ActivationKernels, "softmax": SoftmaxKernels,
                                          "pooling": PoolingKernels, "fold": FoldKernels, "updates": UpdateKernels}
# Fused operations with no kernel on purpose: their array code is already a single CuPy kernel.
EAGER_ON_PURPOSE = {"tanh": "cupy.tanh is one kernel", "conv_windows": "one strided copy (plus the ones column)"}


def families() -> tuple:
    """Every family's source declaration (sources.Family), in FAMILY_OPS order."""
    return tuple(ops.family for ops in FAMILY_OPS.values())


def served_operations(names=tuple(FAMILY_OPS)) -> tuple[str, ...]:
    """The fused operations the named families serve."""
    return tuple(op for name in names for op in FAMILY_OPS[name].operations)


def install(target, launcher, names, clocked: bool = False) -> dict[str, KernelOps]:
    """Bind the named families' kernels to target's operations; their fallbacks run target's array code.
    clocked: Adam's device clock (the capture switch, updates.py)."""
    remove(target)
    installed = {}
    for name in names:
        cls = FAMILY_OPS[name]
        ops = cls(target, launcher, clocked) if cls is UpdateKernels else cls(target, launcher)
        ops.bind(target)
        installed[name] = ops
    return installed


def remove(target) -> None:
    """Every operation back to the class's own method (the array code)."""
    for op in served_operations():
        target.__dict__.pop(op, None)
