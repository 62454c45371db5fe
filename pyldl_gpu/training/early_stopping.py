"""EarlyStopping: stop when a monitored value stops improving, optionally restoring the best weights."""

from __future__ import annotations

import math

from .. import arguments
from ..module import Module
from .monitor import improvement_mode
from .snapshot import restore_parameters, snapshot_parameters


class EarlyStopping:
    """Watch ``monitor`` (e.g. 'val_loss', 'val_accuracy', 'loss') once per epoch.

    Stops once ``patience`` epochs in a row bring no improvement larger than ``min_delta`` (Keras' rule).
    mode 'auto' maximises higher-is-better scores ('val_accuracy', 'val_f1', ...) and minimises everything else
    ('val_loss', 'val_mse', ...), case-insensitively (training.monitor: the rule History.best and grid_search use
    too). With restore_best_weights the model ends training with the weights of its best
    epoch (device copies, no host traffic). fit checks before its first step that ``monitor`` is a value it
    records."""

    def __init__(self, monitor: str = "val_loss", patience: int = 5, min_delta: float = 0.0, mode: str = "auto",
                 restore_best_weights: bool = True) -> None:
        self.mode = improvement_mode(monitor, mode)
        self.monitor = monitor
        self.patience = arguments.integer(patience, "patience", "EarlyStopping", minimum=0)
        self.min_delta = abs(arguments.number(min_delta, "min_delta", "EarlyStopping"))
        self.restore_best_weights = arguments.choice(restore_best_weights, "restore_best_weights", "EarlyStopping",
                                                     (False, True))
        self.reset()

    def reset(self) -> None:
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch = -1
        self.wait = 0
        self.stopped_epoch: int | None = None
        self._best_weights = None

    def _improved(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def check_monitor(self, recorded) -> None:
        """A KeyError unless ``monitor`` is one of the names fit will record (fit calls this before training)."""
        if self.monitor not in recorded:
            raise KeyError(
                f"EarlyStopping monitors {self.monitor!r} but fit records {sorted(recorded)}"
                + (" (pass validation_data to fit)" if self.monitor.startswith("val_") else "")
            )

    def update(self, epoch: int, logs: dict[str, float], net: Module) -> bool:
        """Record this epoch's logs; returns True when training should stop."""
        self.check_monitor(logs)
        value = logs[self.monitor]
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self._best_weights = snapshot_parameters(net)
            return False
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            return True
        return False

    def finish(self, net: Module) -> None:
        """At the end of fit: put the best weights back if asked to."""
        if self.restore_best_weights and self._best_weights is not None:
            restore_parameters(net, self._best_weights)

    def __repr__(self) -> str:
        return (f"EarlyStopping(monitor={self.monitor!r}, patience={self.patience}, min_delta={self.min_delta}, "
                f"mode={self.mode!r}, restore_best_weights={self.restore_best_weights})")
