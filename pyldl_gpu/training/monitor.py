"""Which way a monitored value improves: the one rule EarlyStopping, History.best and tuning.grid_search share.

mode 'auto', case-insensitive: a name is maximised when it names a higher-is-better score, minimised otherwise
(every loss, error, distance, rate of mistakes, time, ...). Higher-is-better: any name containing 'acc'
('accuracy', 'val_acc', 'balanced_accuracy'), or one whose words (split at '_', '-', '.', spaces) include one of
HIGHER_IS_BETTER ('val_f1', 'test_auc', 'val_psnr', 'f1_score') or a top-k word ('val_top5')."""

from __future__ import annotations

import re

from .. import arguments
from ..exceptions import ArgumentError

HIGHER_IS_BETTER = frozenset({"accuracy", "acc", "f1", "precision", "recall", "auc", "r2", "psnr", "ssim", "score"})
_TOP_K = re.compile(r"top\d+")


def higher_is_better(name: str) -> bool:
    """True for the names mode 'auto' maximises (the rule above)."""
    lowered = name.lower()
    words = re.split(r"[^a-z0-9]+", lowered)
    return "acc" in lowered or any(w in HIGHER_IS_BETTER or _TOP_K.fullmatch(w) for w in words)


def improvement_mode(monitor: str, mode: str = "auto", owner: str = "EarlyStopping") -> str:
    """'min' or 'max' for ``monitor``. mode 'auto' follows the module's rule ('val_loss', 'val_mse', 'time':
    'min'; 'val_accuracy', 'val_f1': 'max'); 'min' and 'max' (any case) say it outright."""
    if not isinstance(monitor, str) or not monitor:
        raise ArgumentError(f"{owner}: the monitored name must be a non-empty string, got {monitor!r}")
    mode = mode.lower() if isinstance(mode, str) else mode
    arguments.choice(mode, "mode", owner, ("auto", "min", "max"))
    if mode != "auto":
        return mode
    return "max" if higher_is_better(monitor) else "min"
