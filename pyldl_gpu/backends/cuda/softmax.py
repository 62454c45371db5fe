"""Fused softmax, log-softmax and softmax cross-entropy (kernels/softmax.cu), one thread per row.

The loss forward is two kernels (the rows, then their mean in one block) and its backward one, where the array
code launches 12-15 small kernels for a (1024, 10) batch. Rows wider than ROW_KERNEL_MAX_COLUMNS, labels of a dtype
other than int32/int64, and anything else the kernels do not take run the array code (generic/softmax.py).
A label outside [-classes, classes) makes its row's loss and gradient NaN (the array code would wrap it around)."""

from __future__ import annotations

import math

from ..backend import Backend
from .launch import KernelOps
from .sources import FLOAT_TYPES, Family, Kernel, template_argument

# One thread walks a whole row, which suits classification heads (10 classes in every workload). A guess until a
# GPU measures it: beyond it the array code's reductions, many threads per row, should win.
ROW_KERNEL_MAX_COLUMNS = 1024
LABEL_TYPES = ("int", "long long")
WITH_LABELS = tuple((t, label) for (t,) in FLOAT_TYPES for label in LABEL_TYPES)
WITH_TARGETS = WITH_LABELS + tuple((t, t) for (t,) in FLOAT_TYPES)  # labels, or soft targets of the logits' type
REDUCE_BLOCK = 256  # scaled_sum's one block (a power of two, its shared array's size)

ROWS = ("const T*", "T*", "long long", "long long", "T")  # x, y, rows, cols, floor
FAMILY = Family("softmax", "softmax.cu", (
    Kernel("softmax_rows", ROWS), Kernel("log_softmax_rows", ROWS),
    Kernel("softmax_backward_rows", ("const T*", "const T*", "T*", "long long", "long long")),
    Kernel("log_softmax_backward_rows", ("const T*", "const T*", "T*", "long long", "long long", "T")),
    Kernel("cross_entropy", ("const T*", "const Y*", "T*", "T*", "long long", "long long", "T"), WITH_TARGETS,
           ("T", "Y")),
    Kernel("scaled_sum", ("const T*", "T*", "long long", "T")),
    Kernel("cross_entropy_labels_backward", ("const T*", "const L*", "T*", "long long", "long long", "T", "T"),
           WITH_LABELS, ("T", "L")),
    Kernel("cross_entropy_soft_backward", ("const T*", "const T*", "T*", "long long", "long long", "T", "T"))))


def denormal_floor(xp, dtype) -> float:
    """generic/softmax.py's exp_without_denormals threshold: exp of anything below it is made an exact 0."""
    return math.log(float(xp.finfo(dtype).tiny)) + 20.0


class SoftmaxKernels(KernelOps):
    family = FAMILY
    operations = ("softmax", "softmax_backward", "log_softmax", "log_softmax_backward", "softmax_cross_entropy",
                  "softmax_cross_entropy_backward")

    def _rows_type(self, *arrays) -> str | None:
        """The template argument when the kernels take these same-shaped arrays (rows along the last axis)."""
        t = self.floats(*arrays)
        first = arrays[0]
        if t is None or first.ndim < 1 or first.shape[-1] > ROW_KERNEL_MAX_COLUMNS:
            return None
        return t if all(a.shape == first.shape for a in arrays) else None

    def _labels_type(self, y, logits) -> str | None:
        """'int' / 'long long' for C-contiguous int32 / int64 labels (batch,) of this device, else None."""
        if not self.launcher.is_array(y) or y.ndim != 1 or y.shape[0] != logits.shape[0]:
            return None
        if str(y.dtype) not in ("int32", "int64") or not y.flags.c_contiguous:
            return None
        return template_argument(y.dtype)

    def _rows(self, kernel: str, fallback, *inputs, floor: bool = True):
        """out = kernel(*inputs) row by row (a pass of one row per thread), or the array code's fallback."""
        t = self._rows_type(*inputs)
        if t is None:
            return fallback(self.backend, *inputs)
        out = self.xp.empty_like(inputs[-1])
        cols = out.shape[-1]
        extra = (denormal_floor(self.xp, out.dtype),) if floor else ()
        self.run(kernel, (t,), out.size // cols, *inputs, out, out.size // cols, cols, *extra)
        return out

    def softmax(self, x):
        return self._rows("softmax_rows", Backend.softmax, x)

    def log_softmax(self, x):
        return self._rows("log_softmax_rows", Backend.log_softmax, x)

    def softmax_backward(self, s, delta):
        return self._rows("softmax_backward_rows", Backend.softmax_backward, s, delta, floor=False)

    def log_softmax_backward(self, y, delta):
        return self._rows("log_softmax_backward_rows", Backend.log_softmax_backward, y, delta)

    def _targets(self, matrix, y) -> tuple | None:
        """The template arguments (float type, target type) for logits or log-probabilities ``matrix``
        (batch, classes) and labels y (batch,) or soft targets like matrix; None where the array code must run."""
        if matrix.ndim != 2 or matrix.shape[1] > ROW_KERNEL_MAX_COLUMNS:
            return None
        t = self.floats(matrix) if y.ndim == 1 else self._rows_type(matrix, y)
        label = self._labels_type(y, matrix) if y.ndim == 1 else t
        return None if t is None or label is None else (t, label)

    def softmax_cross_entropy(self, logits, y):
        targs = self._targets(logits, y)
        if targs is None:
            return Backend.softmax_cross_entropy(self.backend, logits, y)
        batch, classes = logits.shape
        log_p, picked = self.xp.empty_like(logits), self.xp.empty(batch, dtype=logits.dtype)
        self.run("cross_entropy", targs, batch, logits, y, log_p, picked, batch, classes,
                 denormal_floor(self.xp, logits.dtype))
        loss = self.xp.empty((), dtype=logits.dtype)
        self.run("scaled_sum", targs[:1], batch, picked, loss, batch, -1.0 / batch, block=REDUCE_BLOCK, grid=1)
        return loss, log_p

    def softmax_cross_entropy_backward(self, log_p, y):
        targs = self._targets(log_p, y)
        if targs is None:
            return Backend.softmax_cross_entropy_backward(self.backend, log_p, y)
        g = self.xp.empty_like(log_p)
        # labels: one thread per entry; soft targets: one per row (each needs its row's target sum)
        kernel, work = ("labels", log_p.size) if y.ndim == 1 else ("soft", log_p.shape[0])
        self.run(f"cross_entropy_{kernel}_backward", targs if y.ndim == 1 else targs[:1], work, log_p, y, g,
                 *log_p.shape, 1.0 / log_p.shape[0], denormal_floor(self.xp, log_p.dtype))
        return g
