"""Fused optimizer updates (kernels/updates.cu): one kernel per parameter and step, reading the parameter, its
gradient and its state once, where the array code (generic/updates.py) makes 4-12 passes.

The per-step scalars are computed here on the host exactly as the array code computes them (Python floats; the
kernel receives them rounded to the array's dtype, as CuPy rounds a Python scalar), and passed as kernel arguments:
the compiled kernel never changes with the step or the learning rate.

Clocked Adam (the capture switch, settings.py): a CUDA graph records kernel arguments once, so a captured step
would replay step 1's bias corrections forever. With ``clocked`` each parameter's Adam state gets a device clock
{step, lr} (float64); every update first advances it on the device (adam_clock_tick), then reads its scalars
from it (adam_update_clocked), so a replayed graph advances the step by itself. The host keeps a mirror of each
clock and sets the device clock (adam_clock_set, kernel arguments: no host-to-device copy) whenever the step it
is given is not the mirror's next one or the learning rate changed: after load_state_dict, a schedule's change,
or replays that advanced the device alone. A learning-rate change inside replays needs a new capture."""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass

from ..backend import Backend
from .launch import KernelOps
from .sources import Family, Kernel

ELEMENTS = ("T*", "const T*", "T*", "long long")  # data, grad, state, n
ADAM_ARRAYS = ("T*", "const T*", "T*", "T*", "long long")  # data, grad, exp_avg, exp_avg_sq, n
FAMILY = Family("updates", "updates.cu", (
    Kernel("sgd_update", (*ELEMENTS, "T", "T", "T", "int")),
    Kernel("rmsprop_update", (*ELEMENTS, "T", "T", "T", "T", "T", "int")),
    Kernel("adam_update", (*ADAM_ARRAYS, *("T",) * 9, "int")),
    Kernel("adam_update_clocked", (*ADAM_ARRAYS, "const double*", "double", "double", "double", "double", "int")),
    Kernel("adam_clock_tick", ("double*",), ()),
    Kernel("adam_clock_set", ("double*", "double", "double"), ())))


def sgd_flags(weight_decay: float, momentum: float, nesterov: bool) -> int:
    """The kernel's flags: 1 weight decay, 2 momentum, 4 Nesterov (the array code's truthiness tests)."""
    return (1 if weight_decay else 0) | (2 if momentum else 0) | (4 if momentum and nesterov else 0)


def adam_mode(weight_decay: float, decoupled: bool) -> int:
    """0: no weight decay; 1: L2 penalty in the gradient (Adam); 2: decoupled decay of the weights (AdamW)."""
    return 0 if not weight_decay else (2 if decoupled else 1)


def adam_scalars(lr: float, beta1: float, beta2: float, eps: float, weight_decay: float, step: int) -> tuple:
    """(beta1, 1 - beta1, beta2, 1 - beta2, eps, wd, 1 - lr wd, 1 / sqrt(1 - beta2^t), lr / (1 - beta1^t)), as the
    array code computes them; the order of the kernel's AdamScalars."""
    return (beta1, 1.0 - beta1, beta2, 1.0 - beta2, eps, weight_decay, 1.0 - lr * weight_decay,
            1.0 / math.sqrt(1.0 - beta2**step), lr / (1.0 - beta1**step))


@dataclass
class ClockMirror:
    """The host's view of one device clock: the step of the last update launched and its learning rate."""

    clock: object  # device float64 array (2,): {step, lr}
    step: int
    lr: float


class UpdateKernels(KernelOps):
    family = FAMILY
    operations = ("sgd_update", "rmsprop_update", "adam_update")

    def __init__(self, backend, launcher, clocked: bool = False) -> None:
        super().__init__(backend, launcher)
        self.clocked = clocked
        self._clocks: dict[int, ClockMirror] = {}  # id(exp_avg) -> its clock; dropped with the array

    def _type(self, *arrays) -> str | None:
        t = self.floats(*arrays)
        return t if t is not None and all(a.shape == arrays[0].shape for a in arrays) else None

    def sgd_update(self, data, grad, lr, momentum, nesterov, weight_decay, velocity=None, scratch=None) -> None:
        t = self._type(data, grad, *((velocity,) if momentum else ()))
        if t is None:
            return Backend.sgd_update(self.backend, data, grad, lr, momentum, nesterov, weight_decay, velocity,
                                      scratch)
        # without momentum the kernel never touches velocity: any array of the right type stands in
        self.run("sgd_update", (t,), data.size, data, grad, velocity if momentum else data, data.size, -lr,
                 momentum, weight_decay, sgd_flags(weight_decay, momentum, nesterov))
        return None

    def rmsprop_update(self, data, grad, lr, rho, eps, weight_decay, square_avg, scratch) -> None:
        t = self._type(data, grad, square_avg)
        if t is None:
            return Backend.rmsprop_update(self.backend, data, grad, lr, rho, eps, weight_decay, square_avg, scratch)
        self.run("rmsprop_update", (t,), data.size, data, grad, square_avg, data.size, lr, rho, 1.0 - rho, eps,
                 weight_decay, int(bool(weight_decay)))
        return None

    def adam_update(self, data, grad, lr, beta1, beta2, eps, weight_decay, decoupled, step, exp_avg, exp_avg_sq,
                    scratch) -> None:
        t = self._type(data, grad, exp_avg, exp_avg_sq)
        if t is None:
            return Backend.adam_update(self.backend, data, grad, lr, beta1, beta2, eps, weight_decay, decoupled,
                                       step, exp_avg, exp_avg_sq, scratch)
        n, mode = data.size, adam_mode(weight_decay, decoupled)
        if not self.clocked:
            self.run("adam_update", (t,), n, data, grad, exp_avg, exp_avg_sq, n,
                     *adam_scalars(lr, beta1, beta2, eps, weight_decay, step), mode)
            return None
        clock = self._clock(exp_avg, step, lr)
        self.run("adam_clock_tick", (), 1, clock, grid=1, block=1)
        self.run("adam_update_clocked", (t,), n, data, grad, exp_avg, exp_avg_sq, n, clock, beta1, beta2, eps,
                 weight_decay, mode)
        return None

    def _clock(self, exp_avg, step: int, lr: float):
        """exp_avg's device clock, set to (step - 1, lr) unless the mirror says it already is."""
        key = id(exp_avg)
        mirror = self._clocks.get(key)
        if mirror is None:
            mirror = self._clocks[key] = ClockMirror(self.xp.zeros(2, dtype="float64"), step - 2, lr)
            weakref.finalize(exp_avg, self._clocks.pop, key, None)
        if mirror.step != step - 1 or mirror.lr != lr:
            self.run("adam_clock_set", (), 1, mirror.clock, step - 1, lr, grid=1, block=1)
        mirror.step, mirror.lr = step, lr
        return mirror.clock

    def clock_of(self, exp_avg):
        """The device clock of an Adam state array under the capture switch (None before its first update)."""
        mirror = self._clocks.get(id(exp_avg))
        return None if mirror is None else mirror.clock
