"""History: per-epoch host floats recorded by fit."""

from __future__ import annotations

import math

from .monitor import improvement_mode


class History:
    """``history['loss']``, ``history['val_accuracy']``, ...: one host float per epoch."""

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}

    def append(self, values: dict[str, float]) -> None:
        for key, value in values.items():
            self.history.setdefault(key, []).append(float(value))

    def __getitem__(self, key: str) -> list[float]:
        try:
            return self.history[key]
        except KeyError:
            raise KeyError(f"history has no {key!r}; recorded: {sorted(self.history)}") from None

    def __contains__(self, key: str) -> bool:
        return key in self.history

    def keys(self):
        return self.history.keys()

    @property
    def epochs(self) -> int:
        return len(next(iter(self.history.values()), []))

    def best(self, key: str, mode: str = "auto") -> tuple[int, float]:
        """(epoch index, value) of the best finite value of ``key``, the first such epoch on a tie. mode 'auto'
        is EarlyStopping's rule (training.monitor): higher-is-better scores ('val_accuracy', 'val_f1') are
        maximised, everything else ('val_loss', 'val_mse', 'time') minimised; 'min' or 'max' say it outright."""
        mode = improvement_mode(key, mode, owner="History.best")
        values = [(v, i) for i, v in enumerate(self[key]) if math.isfinite(v)]
        if not values:
            raise ValueError(f"history[{key!r}] has no finite value")
        value, index = min(values) if mode == "min" else max(values, key=lambda vi: (vi[0], -vi[1]))
        return index, value

    def to_dict(self) -> dict[str, list[float]]:
        return {k: list(v) for k, v in self.history.items()}

    def __repr__(self) -> str:
        return f"History(epochs={self.epochs}, keys={sorted(self.history)})"
