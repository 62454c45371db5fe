"""Label encodings."""

from __future__ import annotations

from . import arguments, backends
from .exceptions import DTypeError, ShapeError, ValueRangeError


def one_hot(labels, num_classes: int | None = None):
    """Integer labels (n,) in [0, num_classes) -> (n, num_classes) floatx one-hot rows on the active device.
    num_classes defaults to max(label) + 1. Checking the labels reads them back once: a label of -1 is refused
    (never read as the last class), and so is one >= num_classes; float labels are refused, not truncated. No
    labels give (0, num_classes) rows; they need num_classes, as there is no label to count the classes by."""
    xp = backends.xp()
    labels = backends.asarray(labels)
    if labels.ndim != 1:
        raise ShapeError(f"one_hot: expected 1-d integer labels, got shape {tuple(labels.shape)} dtype "
                         f"{labels.dtype}")
    if labels.dtype.kind not in "iu" and not (labels.size == 0 and labels.dtype.kind == "f"):  # [] is float
        raise DTypeError(f"one_hot: expected 1-d integer labels, got shape {tuple(labels.shape)} dtype "
                         f"{labels.dtype} (class indices are integers: convert with .astype(int) if they are)")
    smallest, largest = 0, -1
    if labels.size:
        smallest, largest = (int(v) for v in backends.to_numpy(xp.stack([labels.min(), labels.max()])))
    if num_classes is None:
        if not labels.size:
            raise ShapeError("one_hot: no labels to count the classes by; give num_classes for an empty array")
        num_classes = largest + 1
    else:
        num_classes = arguments.integer(num_classes, "num_classes", "one_hot", minimum=1)
    if smallest < 0 or largest >= num_classes:
        index = int(backends.to_numpy((labels < 0) | (labels >= num_classes)).argmax())
        value = int(backends.to_numpy(labels[index:index + 1])[0])
        raise ValueRangeError(f"one_hot: label {value} at row {index} is outside [0, {num_classes - 1}] (class "
                              f"indices of {num_classes} classes)")
    out = xp.zeros((labels.shape[0], int(num_classes)), dtype=backends.floatx())
    if labels.size:
        out[xp.arange(labels.shape[0]), labels] = 1.0
    return out
