"""History.best picks the best epoch by EarlyStopping's own rule: lower is better for losses and errors,
higher for the rest."""

from __future__ import annotations

import pytest

import pyldl_gpu as nn


def _history(**columns) -> nn.History:
    history = nn.History()
    for row in zip(*columns.values()):
        history.append(dict(zip(columns, row)))
    return history


def test_best_accuracy_is_the_highest_not_the_lowest():
    """The issue's example: best('val_accuracy') returned the worst epoch."""
    history = _history(val_accuracy=[0.5, 0.9, 0.7], val_loss=[0.9, 0.3, 0.5])
    assert history.best("val_accuracy") == (1, 0.9)
    assert history.best("val_loss") == (1, 0.3)


def test_best_follows_early_stopping_for_every_name():
    history = _history(accuracy=[0.2, 0.8, 0.8, 0.6], loss=[2.0, 1.0, 1.0, 1.5], test_error=[0.3, 0.1, 0.2, 0.4])
    assert history.best("accuracy") == (1, 0.8)  # ties: the first such epoch, as EarlyStopping keeps it
    assert history.best("loss") == (1, 1.0)
    assert history.best("test_error") == (1, 0.1)
    for name in ("accuracy", "loss", "test_error"):
        assert nn.EarlyStopping(name).mode == ("max" if name == "accuracy" else "min")
    assert history.best("accuracy", mode="min") == (0, 0.2)  # said outright, it is obeyed
    with pytest.raises(ValueError, match="mode must be one of 'auto', 'min', 'max'"):
        history.best("accuracy", mode="best")
