"""predict and evaluate: batched inference in eval mode, one host read-back at the end."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .. import backends
from ..losses import Loss
from ..module import Module
from .metrics import resolve_metric


def batches(n: int, batch_size: int) -> Iterable[slice]:
    """Consecutive slices covering range(n) in steps of batch_size."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    return (slice(i, min(i + batch_size, n)) for i in range(0, n, batch_size))


def predict(net: Module, x, batch_size: int = 256):
    """Outputs of ``net`` for every row of x, in eval mode, as one array on the active device
    (use pyldl_gpu.to_numpy for a host copy). x may be host data; it is moved to the device once."""
    x = backends.asarray(x)
    was_training = net.training
    net.eval()
    try:
        outputs = [net(x[s]) for s in batches(x.shape[0], batch_size)]
    finally:
        net.train(was_training)
    xp = backends.xp()
    return xp.concatenate(outputs, axis=0) if outputs else xp.zeros((0,), dtype=backends.floatx())


def evaluate(net: Module, x, y, loss: Loss | None = None, metrics: Iterable[str | Callable] = ("accuracy",),
             batch_size: int = 256) -> dict[str, float]:
    """Mean loss and metrics over (x, y), in eval mode, as host floats read back once."""
    x, y = backends.asarray(x), backends.asarray(y)
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"evaluate: x has {x.shape[0]} rows but y has {y.shape[0]}")
    if x.shape[0] == 0:
        raise ValueError("evaluate: no samples to evaluate (empty x); a mean over nothing is not a score")
    xp = backends.xp()
    named = [resolve_metric(m) for m in metrics]
    n = x.shape[0]
    totals = xp.zeros(len(named) + 1, dtype=backends.floatx())
    was_training = net.training
    net.eval()
    try:
        for s in batches(n, batch_size):
            out = net(x[s])
            weight = (s.stop - s.start) / n
            if loss is not None:
                totals[0] += loss.forward(y[s], out) * weight
            for k, (_, fn) in enumerate(named, start=1):
                totals[k] += fn(y[s], out) * weight
    finally:
        net.train(was_training)
    host = backends.to_numpy(totals)
    result = {"loss": float(host[0])} if loss is not None else {}
    result.update({name: float(host[k]) for k, (name, _) in enumerate(named, start=1)})
    return result
