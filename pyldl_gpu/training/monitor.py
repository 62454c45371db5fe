"""Which way a monitored value improves: the one rule EarlyStopping and History.best share."""

from __future__ import annotations

from .. import arguments
from ..exceptions import ArgumentError

LOWER_IS_BETTER = ("loss", "error")


def improvement_mode(monitor: str, mode: str = "auto", owner: str = "EarlyStopping") -> str:
    """'min' or 'max'. mode 'auto' minimises names containing 'loss' or 'error' ('loss', 'val_loss',
    'test_error') and maximises the rest ('accuracy', 'val_accuracy'); 'min' and 'max' say it outright."""
    if not isinstance(monitor, str) or not monitor:
        raise ArgumentError(f"{owner}: the monitored name must be a non-empty string, got {monitor!r}")
    arguments.choice(mode, "mode", owner, ("auto", "min", "max"))
    if mode != "auto":
        return mode
    return "min" if any(word in monitor for word in LOWER_IS_BETTER) else "max"
