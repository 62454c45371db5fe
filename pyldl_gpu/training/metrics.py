"""Training metrics: device-side functions ``fn(y, yhat) -> device scalar`` that ``fit`` and ``evaluate`` record
per batch without reading the device back."""

from __future__ import annotations

from collections.abc import Callable

from .. import backends
from ..exceptions import ShapeError


def _predicted_classes(yhat, threshold: float):
    if yhat.ndim == 2 and yhat.shape[1] > 1:
        return yhat.argmax(axis=1)
    return (yhat.reshape(yhat.shape[0]) > threshold).astype("int64")


def _true_classes(y, threshold: float):
    if y.ndim == 2 and y.shape[1] > 1:
        return y.argmax(axis=1)
    if y.dtype.kind == "f":
        return (y.reshape(y.shape[0]) > threshold).astype("int64")
    return y.reshape(y.shape[0])


def accuracy(y, yhat, threshold: float = 0.5):
    """Fraction of correct predictions. yhat: (batch, classes) scores (argmax), or (batch,) / (batch, 1)
    binary scores compared with ``threshold`` (0.5 for probabilities; pass 0.0 for logits).
    y: integer labels (batch,), one-hot (batch, classes) or binary {0, 1} targets."""
    if y.shape[0] != yhat.shape[0]:
        raise ShapeError(f"accuracy: {y.shape[0]} targets for {yhat.shape[0]} predictions")
    hits = _predicted_classes(yhat, threshold) == _true_classes(y, threshold)
    return hits.mean(dtype=backends.floatx())


METRICS: dict[str, Callable] = {"accuracy": accuracy}


def resolve_metric(metric: str | Callable) -> tuple[str, Callable]:
    """A metric name or callable ``fn(y, yhat) -> device scalar`` -> (name, fn)."""
    if callable(metric):
        return getattr(metric, "__name__", "metric"), metric
    try:
        return metric, METRICS[metric]
    except KeyError:
        raise ValueError(f"unknown metric {metric!r}: use one of {sorted(METRICS)} or a callable") from None
