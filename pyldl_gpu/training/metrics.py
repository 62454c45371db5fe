"""Training metrics: device-side functions ``fn(y, yhat) -> device scalar`` that ``fit`` and ``evaluate`` record
per batch without reading the device back.

A metric may carry ``fn.check_targets(targets, prediction_shape)``: fit and evaluate call it once on all the
targets, before the first update (host-side for host data), so the per-batch calls check nothing. Called
directly, outside ``trusted_values()``, accuracy checks its targets itself."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from numbers import Real

from .. import backends
from ..exceptions import ArgumentError, DTypeError, ShapeError, ValueRangeError
from ..losses.base import _TRUSTED  # the context fit and evaluate run their batches in (values checked once)


def _multiclass(prediction_shape: tuple) -> bool:
    return len(prediction_shape) == 2 and prediction_shape[1] > 1


def _predicted_classes(yhat, threshold: float):
    if _multiclass(yhat.shape):
        return yhat.argmax(axis=1)
    return (yhat.reshape(yhat.shape[0]) > threshold).astype("int64")


def _true_classes(y, multiclass: bool):
    if y.ndim == 2 and y.shape[1] > 1:
        return y.argmax(axis=1)
    labels = y.reshape(y.shape[0])
    if y.dtype.kind == "f":  # whole-number class indices (checked), or binary targets in [0, 1] (above 0.5: 1)
        return labels.astype("int64") if multiclass else (labels > 0.5).astype("int64")
    return labels


def check_label_values(y, owner: str, classes: int | None = None, binary: bool = False, what: str = "label") -> None:
    """Host check of label values (host or device data: one read-back for device data): whole numbers >= 0,
    below ``classes`` when given; with ``binary`` (a one-column prediction), integers 0 or 1 or floats in
    [0, 1]. The first offending value is named with its row and the valid range."""
    np = backends.host()
    labels = (y if isinstance(y, np.ndarray) else backends.to_numpy(y)).reshape(-1)  # host data: no read
    kind = labels.dtype.kind
    if kind not in "biuf":
        raise DTypeError(f"{owner}: {what}s must be integers (or whole-number floats), got dtype {labels.dtype}")
    values = labels.astype("float64")
    if binary and kind == "f":
        bad = ~((values >= 0) & (values <= 1))
        expected = "binary targets in [0, 1] for a one-column prediction"
    elif binary:
        bad = (values != 0) & (values != 1)
        expected = "binary labels 0 or 1 for a one-column prediction"
    else:
        bad = ~np.isfinite(values) | (values != np.floor(values)) | (values < 0)
        expected = "class indices: whole numbers >= 0"
        if classes is not None:
            bad |= values >= classes
            expected = f"class indices: whole numbers in [0, {classes - 1}] for {classes} classes"
    if bad.any():
        row = int(np.argmax(bad))
        value = labels[row].item()
        shown = f"{value:g}" if isinstance(value, float) else str(value)
        raise ValueRangeError(f"{owner}: {what} {shown} at row {row} is invalid; expected {expected}")


def check_accuracy_targets(y, prediction_shape: tuple) -> None:
    """accuracy's targets for predictions of ``prediction_shape``: label vectors are checked, one-hot or score
    rows (batch, classes) are taken by argmax."""
    if y.ndim == 2 and y.shape[1] > 1:
        return
    if _multiclass(prediction_shape):
        check_label_values(y, "accuracy", classes=prediction_shape[1])
    else:
        check_label_values(y, "accuracy", binary=True)


def accuracy(y, yhat, threshold: float = 0.5):
    """Fraction of correct predictions. yhat: (batch, classes) scores (argmax), or (batch,) / (batch, 1)
    binary scores compared with ``threshold`` (0.5 for probabilities; pass 0.0 for logits).
    y: integer labels (batch,) in [0, classes) (whole-number floats too), one-hot (batch, classes), or binary
    targets (0/1 labels, or floats in [0, 1] compared with 0.5). Called directly it checks y's values (a
    read-back); inside fit and evaluate they were checked once before (check_accuracy_targets)."""
    if y.shape[0] != yhat.shape[0]:
        raise ShapeError(f"accuracy: {y.shape[0]} targets for {yhat.shape[0]} predictions")
    if not _TRUSTED.get():
        check_accuracy_targets(y, tuple(yhat.shape))
    hits = _predicted_classes(yhat, threshold) == _true_classes(y, _multiclass(yhat.shape))
    return hits.mean(dtype=backends.floatx())


accuracy.check_targets = check_accuracy_targets

METRICS: dict[str, Callable] = {"accuracy": accuracy}


def resolve_metric(metric: str | Callable) -> tuple[str, Callable]:
    """A metric name or callable ``fn(y, yhat) -> device scalar`` -> (name, fn)."""
    if callable(metric):
        return getattr(metric, "__name__", "metric"), metric
    try:
        return metric, METRICS[metric]
    except (KeyError, TypeError):
        raise ValueError(f"unknown metric {metric!r}: use one of {sorted(METRICS)} or a callable") from None


def resolve_metrics(metrics: Iterable[str | Callable] | str | Callable | None, owner: str) -> list:
    """fit's and evaluate's ``metrics``: a list of names and callables, one name or callable, or None (none)."""
    if metrics is None:
        return []
    if isinstance(metrics, str) or callable(metrics):
        metrics = [metrics]
    try:
        return [resolve_metric(m) for m in metrics]
    except TypeError:
        raise ArgumentError(f"{owner}: metrics must be a metric name, a callable or a list of them, got "
                            f"{metrics!r}") from None


def check_metric_targets(named: list, targets, prediction_shape: tuple) -> None:
    """Every metric's own target check (check_targets), once, on all the targets."""
    for _, fn in named:
        check = getattr(fn, "check_targets", None)
        if check is not None:
            check(targets, prediction_shape)


def check_metric_value(name: str, value, owner: str) -> None:
    """What a metric returned the first time it ran: one number (a 0-d array or a Python number), not a
    vector, a string or None (shape and dtype only: nothing is read from the device)."""
    if isinstance(value, Real):
        return
    if backends.is_array(value) and value.shape == () and value.dtype.kind in "biuf":
        return
    described = (f"an array of shape {tuple(value.shape)} and dtype {value.dtype}" if hasattr(value, "shape")
                 else f"{type(value).__name__} {value!r}")
    raise ArgumentError(f"{owner}: metric {name!r} must return one number (a 0-d array or a float), got "
                        f"{described[:200]}")
