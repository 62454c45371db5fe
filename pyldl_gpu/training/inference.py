"""predict and evaluate: batched inference in eval mode, one host read-back at the end."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .. import arguments, backends
from ..exceptions import ShapeError
from ..losses import Loss
from ..losses.base import trusted_values
from ..module import Module
from .checks import check_first_batch, check_rows, host_or_device
from .metrics import check_metric_targets, check_metric_value, resolve_metrics


def batches(n: int, batch_size: int) -> Iterable[slice]:
    """Consecutive slices covering range(n) in steps of batch_size."""
    batch_size = arguments.integer(batch_size, "batch_size", "batches")
    return (slice(i, min(i + batch_size, n)) for i in range(0, n, batch_size))


def predict(net: Module, x, batch_size: int = 256):
    """Outputs of ``net`` for every row of x, in eval mode, as one array on the active device
    (use pyldl_gpu.to_numpy for a host copy). x may be host data; it is moved to the device once. An empty x
    (0, ...) gives the net's output for an empty batch, e.g. (0, out_features)."""
    batch_size = arguments.integer(batch_size, "batch_size", "predict")
    x = backends.asarray(x)
    was_training = net.training
    net.eval()
    try:
        if x.ndim == 0:
            raise ShapeError(f"predict: x needs a batch axis, got a 0-d array {x!r}")
        if x.shape[0] == 0:  # the net itself says what an empty batch gives: (0, out_features), or its error
            return net(x)
        outputs = [net(x[s]) for s in batches(x.shape[0], batch_size)]
    finally:
        net.train(was_training)
    return backends.xp().concatenate(outputs, axis=0)


def evaluate(net: Module, x, y, loss: Loss | None = None,
             metrics: Iterable[str | Callable] | str | Callable | None = ("accuracy",),
             batch_size: int = 256) -> dict[str, float]:
    """Mean loss and metrics over (x, y), in eval mode, as host floats read back once. The targets are checked
    once, before the first batch (host-side for host data), then every batch runs without value checks."""
    batch_size = arguments.integer(batch_size, "batch_size", "evaluate")
    x, y = host_or_device(x), host_or_device(y)
    check_rows(x, y, "evaluate")
    if x.shape[0] == 0:
        raise ValueError("evaluate: no samples to evaluate (empty x); a mean over nothing is not a score")
    named = resolve_metrics(metrics, "evaluate")
    return run_evaluation(net, backends.asarray(x), backends.asarray(y), loss, named, batch_size, targets=y)


def run_evaluation(net: Module, x, y, loss: Loss | None, named: list, batch_size: int,
                   targets=None) -> dict[str, float]:
    """evaluate on device arrays, without value checks per batch. targets: the (host) targets to check in full
    against the first batch's predictions; None when they were checked before (fit's validation data)."""
    xp = backends.xp()
    n = x.shape[0]
    totals = xp.zeros(len(named) + 1, dtype=backends.floatx())
    was_training = net.training
    net.eval()
    try:
        with trusted_values():
            for s in batches(n, batch_size):
                out = net(x[s])
                if targets is not None and s.start == 0:
                    if loss is not None:
                        check_first_batch(loss, targets, y[s], out)
                    check_metric_targets(named, targets, tuple(out.shape))
                weight = (s.stop - s.start) / n
                if loss is not None:
                    totals[0] += loss.forward(y[s], out) * weight
                for k, (name, fn) in enumerate(named, start=1):
                    value = fn(y[s], out)
                    if s.start == 0:
                        check_metric_value(name, value, "evaluate")
                    totals[k] += value * weight
    finally:
        net.train(was_training)
    host = backends.to_numpy(totals)
    result = {"loss": float(host[0])} if loss is not None else {}
    result.update({name: float(host[k]) for k, (name, _) in enumerate(named, start=1)})
    return result
