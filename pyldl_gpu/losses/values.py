"""What the values of a loss's targets and predictions may be: declared once per loss (``Loss.targets``,
``Loss.predictions``) and checked by one helper, so every refusal reads alike:

    CrossEntropyLoss(): label 10 at row 3 is outside [0, 9] (class indices of a 10-class prediction)
    BCELoss(): prediction 1.5 at row 0, column 2 is outside [0, 1] (probabilities)

    CrossEntropyLoss(): target row 2 sums to 2, not 1 (class probabilities of one-hot or soft targets: each row
    sums to 1 within 0.00035)

A check reduces the array to its minimum and maximum (NaN and inf show there) and compares them on the host:
free for host data (``on_host``: every array of the CPU backend), one small read-back for device data. Only a
refusal looks further, to name the first offending entry. Floating host data about to move to a float32 device
is held to float32's range, so nothing becomes inf on the way."""

from __future__ import annotations

import functools
import math

from .. import backends
from ..exceptions import ValueRangeError


def on_host(*arrays) -> bool:
    """True when every array lives on the host (NumPy: the CPU backend's arrays): checking their values waits
    for no device."""
    return all(isinstance(a, backends.host().ndarray) for a in arrays)


def _extremes(a) -> tuple[float, float]:
    """(min, max) of a host or device array as Python floats; one read-back for device data."""
    if isinstance(a, backends.host().ndarray):
        return float(a.min()), float(a.max())
    both = backends.to_numpy(backends.xp().stack([a.min(), a.max()]).astype("float64"))
    return float(both[0]), float(both[1])


def _position(a, index: int) -> str:
    position = backends.host().unravel_index(index, a.shape)
    if a.ndim == 1:
        return f"row {position[0]}"
    if a.ndim == 2:
        return f"row {position[0]}, column {position[1]}"
    return f"index {tuple(int(i) for i in position)}"


def _float_limit(a) -> tuple[float, str]:
    """The largest finite value ``a`` may hold where it is going, and that dtype's name: floatx's range for
    floating host data (asarray converts it), the array's own for device data, none for integers."""
    if a.dtype.kind != "f":
        return math.inf, ""
    return _limit_of(a.dtype, isinstance(a, backends.host().ndarray), str(backends.floatx()))


@functools.lru_cache(maxsize=64)
def _limit_of(dtype, host_data: bool, floatx: str) -> tuple[float, str]:
    """_float_limit's answer for a floating dtype (cached: a trainer checks every CPU batch, and finfo is slow)."""
    host = backends.host()
    kind = host.dtype(floatx) if host_data else dtype
    kind = min(kind, dtype, key=lambda k: host.finfo(k).max)
    return float(host.finfo(kind).max), kind.name


def _label(owner) -> str:
    return owner if isinstance(owner, str) else repr(owner)


class Range:
    """Finite values in [low, high]; ``meaning`` says what they are in messages; ``noun`` names one of them
    ('label'; default: what the caller checks, 'target' or 'prediction'). With ``classes`` the upper bound is
    the prediction's class count - 1 (integer labels)."""

    def __init__(self, low: float = -math.inf, high: float = math.inf, meaning: str = "", noun: str = "",
                 classes: bool = False) -> None:
        self.low, self.high, self.meaning, self.noun, self.classes = low, high, meaning, noun, classes

    def _bounds(self, a, prediction_shape) -> tuple[float, float, float]:
        """(low, high, the dtype's finite limit)."""
        limit, _ = _float_limit(a)
        high = prediction_shape[-1] - 1 if self.classes else self.high
        return max(self.low, -limit), min(high, limit), limit

    def _text(self, a, prediction_shape) -> str:
        """The valid range in words (built only for a refusal)."""
        low, high, limit = self._bounds(a, prediction_shape)
        if self.classes:
            return f"[0, {int(high)}] (class indices of a {prediction_shape[-1]}-class prediction)"
        if low == -limit and high == limit:
            dtype = _float_limit(a)[1]
            text = f"the finite values of {dtype}" if dtype else "the finite values"
        else:
            text = f"[{low:g}, {high:g}]"
        return text + (f" ({self.meaning})" if self.meaning else "")

    def check(self, a, owner, what: str, prediction_shape: tuple | None = None, non_finite_ok: bool = False) -> None:
        """Raise ValueRangeError naming ``owner`` (a name, or a loss: its repr is built only for a message),
        the first offending value, where it is and the valid range. prediction_shape: the shape of the
        predictions these targets go with (the class count of labels). non_finite_ok: NaN or inf anywhere lets
        the array pass (a trainer's predictions, whose non-finite values its guard reports, restoring weights)."""
        if a.size == 0:
            return
        low, high, _ = self._bounds(a, prediction_shape)
        smallest, largest = _extremes(a)
        if low <= smallest and largest <= high:  # a NaN fails both comparisons
            return
        flat = backends.to_numpy(a).reshape(-1)
        if non_finite_ok and flat.dtype.kind == "f" and not backends.host().isfinite(flat).all():
            return
        with backends.float_errors_ignored():
            index = int((~((flat >= low) & (flat <= high))).argmax())
        value = flat[index]
        shown = f"{value:g}" if flat.dtype.kind == "f" else str(value)
        raise ValueRangeError(f"{_label(owner)}: {self.noun or what} {shown} at {_position(a, index)} is outside "
                              f"{self._text(a, prediction_shape)}")


class Distributions(Range):
    """Rows that are probability distributions: entries in [0, 1] (Range's check) and each row (last axis)
    summing to 1 within sqrt(eps) of the coarsest of float32, floatx and the array's dtype (3.5e-4 for float32
    and float64 data)."""

    def __init__(self, meaning: str) -> None:
        super().__init__(0.0, 1.0, meaning=meaning)

    def check(self, a, owner, what: str, prediction_shape: tuple | None = None, non_finite_ok: bool = False) -> None:
        super().check(a, owner, what, prediction_shape, non_finite_ok)
        if a.size == 0 or a.dtype.kind != "f":
            return
        host = backends.host()
        # targets are often made in float32 and widened later: float32's tolerance is the finest one used
        kind = max(a.dtype, host.dtype(backends.floatx()), host.dtype("float32"), key=lambda k: host.finfo(k).eps)
        tolerance = math.sqrt(float(host.finfo(kind).eps))
        sums = a.sum(axis=-1)
        smallest, largest = _extremes(sums)
        if 1.0 - tolerance <= smallest and largest <= 1.0 + tolerance:
            return
        flat = backends.to_numpy(sums).reshape(-1)
        index = int(host.abs(flat - 1.0).argmax())
        raise ValueRangeError(f"{_label(owner)}: {what} {_position(sums, index)} sums to {flat[index]:g}, not 1 "
                              f"({self.meaning}: each row sums to 1 within {tolerance:.2g})")


class ClassTargets:
    """A classification loss's targets: integer labels (batch,) in [0, classes), or one-hot / soft targets
    (batch, classes) whose rows are class probabilities: entries in [0, 1] summing to 1 (Distributions)."""

    labels = Range(0.0, noun="label", classes=True)
    soft = Distributions(meaning="class probabilities of one-hot or soft targets")

    def check(self, a, owner, what: str, prediction_shape: tuple | None = None, non_finite_ok: bool = False) -> None:
        (self.labels if a.ndim == 1 else self.soft).check(a, owner, what, prediction_shape, non_finite_ok)


FINITE = Range()
PROBABILITIES = Range(0.0, 1.0, meaning="probabilities")
CLASS_TARGETS = ClassTargets()
