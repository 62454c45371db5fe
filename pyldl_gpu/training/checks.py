"""The data checks fit and evaluate make once, before anything changes: on the host for host data, so that no
batch ever waits for the device to say whether its targets were valid.

    inputs     finite (a NaN in x would only show as a NaN loss, epochs later)
    targets    where the loss is defined: labels in [0, classes), probabilities in [0, 1], finite values;
               their class count comes from the first predictions, so fit checks them at its first batch,
               before that batch's update
    predictions  where the loss is defined (BCELoss: in [0, 1]), from the first batch (a read-back only for
               losses that constrain them)
    validation data  a forward of its first rows in eval mode before training: its shapes, targets and metrics
               fail before the first epoch, not after it
    metrics    their targets (a metric's check_targets, e.g. accuracy's labels in range), with the loss's, and
               what each returns the first time it runs (one number: shape and dtype, nothing read back)"""

from __future__ import annotations

from .. import backends
from ..exceptions import ShapeError
from ..losses import Loss
from ..losses.values import FINITE
from ..module import Module
from .metrics import check_metric_targets, check_metric_value


def host_or_device(a):
    """A device array as it is; host data (lists too) as a NumPy array, not moved yet, so it is checked where it
    lies. A CUDA array while the device is the CPU gets asarray's DeviceError."""
    if backends.is_array(a):
        return a
    if hasattr(a, "__cuda_array_interface__"):
        return backends.asarray(a)
    return backends.host().asarray(a)


def check_rows(x, y, owner: str) -> None:
    """x and y have a batch axis and as many rows."""
    if x.ndim == 0 or y.ndim == 0:
        raise ShapeError(f"{owner}: x and y need a batch axis, got shapes {tuple(x.shape)} and {tuple(y.shape)}")
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"{owner}: x has {x.shape[0]} rows but y has {y.shape[0]}")


def check_inputs(x, owner: str) -> None:
    """Every input is finite (floating host data: within floatx's range, so none becomes inf on the device)."""
    FINITE.check(x, owner, "input")


def check_first_batch(loss: Loss, targets, yb, out) -> None:
    """What needs predictions: the targets' structure against this batch's (free), the values of every target
    row (host-side for host data; the class count from out), and the predictions' values where the loss
    constrains them (one read-back, once)."""
    loss.check_structure(yb, out)
    loss.check_targets(targets, tuple(out.shape))
    loss.check_predictions(out)


def check_validation(net: Module, loss: Loss, named: list, x, y, targets, rows: int) -> None:
    """Validation data (device arrays x, y; targets: y where it was given, host-side for host data), before any
    training: a forward of its first ``rows`` in eval mode, the checks of check_first_batch, and every metric on
    those rows."""
    was_training = net.training
    net.eval()
    try:
        out = net(x[:rows])
        check_first_batch(loss, targets, y[:rows], out)
        check_metric_targets(named, targets, tuple(out.shape))
        for name, fn in named:
            check_metric_value(name, fn(y[:rows], out), "fit: validation_data")
    finally:
        net.train(was_training)
