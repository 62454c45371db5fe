"""Label encodings."""

from __future__ import annotations

from . import backends


def one_hot(labels, num_classes: int | None = None):
    """Integer labels (n,) -> (n, num_classes) floatx one-hot rows on the active device.
    num_classes defaults to max(label) + 1 (that reads the labels back once)."""
    xp = backends.xp()
    labels = backends.asarray(labels)
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise ValueError(f"one_hot: expected 1-d integer labels, got shape {tuple(labels.shape)} dtype {labels.dtype}")
    if num_classes is None:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    out = xp.zeros((labels.shape[0], int(num_classes)), dtype=backends.floatx())
    out[xp.arange(labels.shape[0]), labels] = 1.0
    return out
