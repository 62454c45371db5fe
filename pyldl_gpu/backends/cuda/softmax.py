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
REDUCE_BLOCK = 256  # scaled_sum's one block (a power of two, its shared array's size)

ROWS = ("const T*", "T*", "long long", "long long", "T")  # x, y, rows, cols, floor
FAMILY = Family("softmax", "softmax.cu", (
    Kernel("softmax_rows", ROWS), Kernel("log_softmax_rows", ROWS),
    Kernel("softmax_backward_rows", ("const T*", "const T*", "T*", "long long", "long long")),
    Kernel("log_softmax_backward_rows", ("const T*", "const T*", "T*", "long long", "long long", "T")),
    Kernel("cross_entropy_labels", ("const T*", "const L*", "T*", "T*", "long long", "long long", "T"),
           WITH_LABELS, ("T", "L")),
    Kernel("cross_entropy_soft", ("const T*", "const T*", "T*", "T*", "long long", "long long", "T")),
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

    def _forward_rows(self, kernel: str, fallback, x):
        t = self._rows_type(x)
        if t is None:
            return fallback(self.backend, x)
        y = self.xp.empty_like(x)
        cols = x.shape[-1]
        self.run(kernel, (t,), x.size // cols, x, y, x.size // cols, cols, denormal_floor(self.xp, x.dtype))
        return y

    def softmax(self, x):
        return self._forward_rows("softmax_rows", Backend.softmax, x)

    def log_softmax(self, x):
        return self._forward_rows("log_softmax_rows", Backend.log_softmax, x)

    def softmax_backward(self, s, delta):
        t = self._rows_type(s, delta)
        if t is None:
            return Backend.softmax_backward(self.backend, s, delta)
        dx = self.xp.empty_like(delta)
        cols = s.shape[-1]
        self.run("softmax_backward_rows", (t,), s.size // cols, s, delta, dx, s.size // cols, cols)
        return dx

    def log_softmax_backward(self, y, delta):
        t = self._rows_type(y, delta)
        if t is None:
            return Backend.log_softmax_backward(self.backend, y, delta)
        dx = self.xp.empty_like(delta)
        cols = y.shape[-1]
        self.run("log_softmax_backward_rows", (t,), y.size // cols, y, delta, dx, y.size // cols, cols,
                 denormal_floor(self.xp, y.dtype))
        return dx

    def _targets(self, matrix, y) -> tuple | None:
        """(kernel suffix, template arguments) for logits or log-probabilities ``matrix`` (batch, classes) and
        targets y (labels or soft targets like matrix); None where the array code must run."""
        if matrix.ndim != 2:
            return None
        if y.ndim == 1:
            t, label = self.floats(matrix), self._labels_type(y, matrix)
            ok = t is not None and label is not None and matrix.shape[1] <= ROW_KERNEL_MAX_COLUMNS
            return ("labels", (t, label)) if ok else None
        t = self._rows_type(matrix, y)
        return ("soft", (t,)) if t is not None else None

    def softmax_cross_entropy(self, logits, y):
        chosen = self._targets(logits, y)
        if chosen is None:
            return Backend.softmax_cross_entropy(self.backend, logits, y)
        kind, targs = chosen
        batch, classes = logits.shape
        log_p = self.xp.empty_like(logits)
        picked = self.xp.empty(batch, dtype=logits.dtype)
        loss = self.xp.empty((), dtype=logits.dtype)
        self.run(f"cross_entropy_{kind}", targs, batch, logits, y, log_p, picked, batch, classes,
                 denormal_floor(self.xp, logits.dtype))
        self.run("scaled_sum", targs[:1], batch, picked, loss, batch, -1.0 / batch, block=REDUCE_BLOCK, grid=1)
        return loss, log_p

    def softmax_cross_entropy_backward(self, log_p, y):
        chosen = self._targets(log_p, y)
        if chosen is None:
            return Backend.softmax_cross_entropy_backward(self.backend, log_p, y)
        kind, targs = chosen
        batch, classes = log_p.shape
        g = self.xp.empty_like(log_p)
        work = log_p.size if kind == "labels" else batch  # labels: one thread per entry; soft: per row
        self.run(f"cross_entropy_{kind}_backward", targs, work, log_p, y, g, batch, classes, 1.0 / batch,
                 denormal_floor(self.xp, log_p.dtype))
        return g
