"""Optim: one object that trains a network with a loss and an optimizer (the seed reports' API, grown up).

    opt = Optim(net, CrossEntropyLoss(), SGD(net, lr=0.1))
    loss = opt.step(xb, yb)                 # forward, backward, update; returns a device scalar
    history = opt.fit(x, y, epochs=10, batch_size=128, validation_data=(xv, yv), metrics=["accuracy"])

docs/training.md is the guide: what fit checks and when, what a stop restores, reproducibility."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable

from .. import arguments, backends
from ..exceptions import ArgumentError, NonFiniteLossError
from ..losses import Loss
from ..losses.base import trusted_values
from ..module import Module
from ..optimizers.optimizer import Optimizer
from ..optimizers.schedules import LRScheduler
from ..optimizers.sgd import SGD
from .checks import check_first_batch, check_inputs, check_rows, check_validation, host_or_device
from .early_stopping import EarlyStopping
from .guard import Guard
from .history import History
from .inference import batches, run_evaluation
from .metrics import check_metric_targets, check_metric_value, resolve_metrics
from .progress import Progress, _progress_bar  # noqa: F401 - _progress_bar: the bar fit draws, for tests
from .snapshot import foreign_parameters

VALIDATION_ROWS = 64  # the rows of validation data fit runs through the net before training, to check them


def _check_optimizer_fits(net: Module, optimizer: Optimizer) -> None:
    """The optimizer updates parameters of ``net`` and no others: one built for another model would train
    nothing. A subset of the net's parameters is fine (the others stay frozen)."""
    foreign = [p.name or f"#{i}" for i, p in foreign_parameters(net, optimizer)]
    held = len(optimizer.params) - len(foreign)
    if foreign or not held:
        raise ArgumentError(f"Optim: the optimizer {type(optimizer).__name__} holds {held} of the "
                            f"{len(net.parameters())} parameters of net {type(net).__name__} and {len(foreign)} of "
                            f"another model ({foreign[:5]}{' ...' if len(foreign) > 5 else ''}). Expected an "
                            f"optimizer built on this net (or on some of its parameters), e.g. "
                            f"{type(optimizer).__name__}(net, ...)")


class Optim:
    """Trains ``net`` on ``loss`` with ``optimizer`` (an Optimizer, or a float: plain SGD with that lr).

    It owns its random streams (``backends.spawn_streams``, drawn when it is built, so manual_seed fixes them):
    fit's shuffles, dropout masks and DataParallel's chunk seeds come from them, whichever thread trains."""

    def __init__(self, net: Module, loss: Loss, optimizer: Optimizer | float = 1e-3) -> None:
        if not isinstance(net, Module):
            raise TypeError(f"Optim: net must be a Module, got {type(net).__name__}")
        if not isinstance(loss, Loss):
            raise TypeError(f"Optim: loss must be a Loss, got {type(loss).__name__}")
        self.net = net
        self.loss = loss
        self.optimizer = optimizer if isinstance(optimizer, Optimizer) else SGD(net, lr=optimizer)
        _check_optimizer_fits(net, self.optimizer)
        self._penalised = [m for m in net.modules() if m.adds_penalty()]
        self._streams = backends.spawn_streams()
        self._values_checked = False  # step checks the values of its first call's targets and predictions
        self.last_output = None
        self.history: History | None = None

    def _forward_loss(self, x, y):
        out = self.net(x)
        loss = self.loss.forward(y, out)
        for m in self._penalised:
            penalty = m.extra_loss()
            if penalty is not None:
                loss = loss + penalty
        self.last_output = out
        return out, loss

    def _backward(self, y, out) -> None:
        self.optimizer.zero_grad()
        self.net.backward(self.loss.backward(y, out), input_grad=False)

    def _backward_update(self, x, y, out) -> None:
        self._backward(y, out)
        self.optimizer.step()

    def step(self, x, y):
        """One mini-batch: forward, loss, backward, update. x, y: device arrays. Returns the loss (a device
        scalar: read it with float() only when you need it, as that waits for the device). Shapes, dtypes and
        devices are checked at every call (free); the values of the targets and predictions at every call on the
        CPU (host arrays: free), at the first call only on a GPU (a read-back): later calls never wait for the
        device."""
        with trusted_values("host" if self._values_checked else False):
            out, loss = self._forward_loss(x, y)
        with trusted_values():  # the forward checked what backward would
            self._backward_update(x, y, out)
        self._values_checked = True
        return loss

    def fit(self, x, y, epochs: int = 10, batch_size: int = 32, shuffle: bool = True,
            validation_data: tuple | None = None, metrics: Iterable[str | Callable] | str | Callable | None = (),
            early_stopping: EarlyStopping | None = None, scheduler: LRScheduler | None = None,
            verbose: int | bool = 1, check_finite: str = "epoch", divergence: float | None = 1e3,
            label: str | None = None) -> History:
        """Mini-batch training for ``epochs`` epochs; returns (and keeps as ``self.history``) a History.

        x, y move to the device once; each epoch shuffles indices drawn from this Optim's own generator. x may
        also be a callable ``x(epoch) -> inputs`` giving each epoch its own inputs for the same targets (fresh
        noise or augmentation: called once per epoch, before the epoch). Losses and metrics stay on the device
        and are read back once per epoch.

        Before the first update fit checks every argument, the inputs (finite), the targets (those the loss
        accepts: labels in range, probabilities in [0, 1]), the validation data (through the net), the
        metrics and the EarlyStopping monitor, and refuses a net that is already NaN or infinite. A NaN/inf loss,
        weight, gradient or optimizer state, or a loss above ``divergence`` x max(the first epoch's, 1.0), stops
        training with NonFiniteLossError (DivergenceError) and restores the last weights known to be good, with
        the optimizer's lr and the scheduler's epoch; check_finite='batch' also checks each batch's loss and
        gradients before its update (one read-back per batch). verbose: 0 silent, 1 a bar on a terminal and a
        line per epoch elsewhere, 2 a line per epoch always; ``label`` names the model in both. The rules in
        full: docs/training.md."""
        epochs = arguments.integer(epochs, "epochs", "fit")
        batch_size = arguments.integer(batch_size, "batch_size", "fit")
        arguments.choice(shuffle, "shuffle", "fit", (False, True))
        arguments.choice(check_finite, "check_finite", "fit", ("epoch", "batch"))
        Progress.check(verbose, label)
        if divergence is not None:
            divergence = arguments.number(divergence, "divergence", "fit", low=1.0, low_open=True)
        named = resolve_metrics(metrics, "fit")
        if early_stopping is not None and not isinstance(early_stopping, EarlyStopping):
            raise TypeError(f"fit: early_stopping must be an EarlyStopping, got {type(early_stopping).__name__}")
        if scheduler is not None and getattr(scheduler, "optimizer", None) is not self.optimizer:
            raise ArgumentError("fit: scheduler must be an LRScheduler of this Optim's optimizer "
                                f"({self.optimizer!r}), got {scheduler!r}")
        with backends.using_streams(self._streams):
            return self._fit(x, y, epochs, batch_size, shuffle, validation_data, named, early_stopping, scheduler,
                             verbose, check_finite, divergence, label)

    def _fit(self, x, y, epochs, batch_size, shuffle, validation_data, named, early_stopping, scheduler, verbose,
             check_finite, divergence, label) -> History:
        fresh = x if callable(x) else None
        targets = host_or_device(y)
        n = targets.shape[0] if targets.ndim else 0
        if n == 0:
            raise ValueError("fit: no training data")
        x = self._epoch_inputs(fresh, 0, n) if fresh is not None else self._checked_inputs(x, targets)
        validation = self._checked_validation(validation_data, named, batch_size)
        if early_stopping is not None:
            validated = [] if validation is None else ["val_loss", *("val_" + name for name, _ in named)]
            early_stopping.check_monitor(["loss", *(name for name, _ in named), *validated, "lr", "time"])
            early_stopping.reset()
        y = backends.asarray(targets)
        guard = Guard(self.net, self.optimizer, divergence, scheduler)
        guard.check_start()
        history = self.history = History()
        progress = Progress(epochs, math.ceil(n / batch_size), verbose, label)
        self.net.train()
        try:
            with backends.float_errors_ignored(), trusted_values("predictions"):  # the targets: checked above
                for epoch in range(epochs):
                    start = time.perf_counter()
                    progress.start_epoch(epoch)
                    if fresh is not None and epoch > 0:
                        x = self._epoch_inputs(fresh, epoch, n)
                    guard.begin_epoch(epoch)
                    logs = self._train_epoch(x, y, epoch, batch_size, shuffle, named, check_finite, guard, progress,
                                             targets if epoch == 0 else None)
                    if validation is not None:
                        val = run_evaluation(self.net, *validation, loss=self.loss, named=named,
                                             batch_size=max(batch_size, 256))
                        logs.update({"val_" + k: v for k, v in val.items()})
                    logs["lr"] = self.optimizer.lr
                    logs["time"] = time.perf_counter() - start
                    history.append(logs)
                    progress.end_epoch(epoch, logs)
                    if scheduler is not None:
                        scheduler.step()
                    if early_stopping is not None and early_stopping.update(epoch, logs, self.net):
                        waited = early_stopping.patience
                        progress.say(f"{label + ': ' if label else ''}stopped early after epoch {epoch + 1}: no "
                                     f"better {early_stopping.monitor} than {early_stopping.best:.4g} (epoch "
                                     f"{early_stopping.best_epoch + 1}) for {waited} epoch{'s' * (waited != 1)}")
                        break
        except NonFiniteLossError as error:
            error.history = history
            raise
        finally:
            progress.close()
        if early_stopping is not None:
            early_stopping.finish(self.net)
        return history

    @staticmethod
    def _checked_inputs(x, targets):
        """x checked where it lies (rows, finite values), then moved to the device once."""
        x = host_or_device(x)
        check_rows(x, targets, "fit")
        check_inputs(x, "fit")
        return backends.asarray(x)

    @staticmethod
    def _epoch_inputs(make, epoch: int, n: int):
        """make(epoch), checked (n rows, finite values) and moved to the device."""
        x = host_or_device(make(epoch))
        if x.ndim == 0 or x.shape[0] != n:
            raise ValueError(f"fit: x({epoch}) returned inputs of shape {tuple(x.shape)}; expected {n} rows, "
                             "one per target")
        check_inputs(x, f"fit: x({epoch})")
        return backends.asarray(x)

    def _checked_validation(self, validation_data, named, batch_size):
        """(x_val, y_val) on the device, run through the net once to check them, or None."""
        if validation_data is None:
            return None
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise ValueError("validation_data must be a pair (x_val, y_val)")
        xv, yv = (host_or_device(a) for a in validation_data)
        if xv.ndim and xv.shape[0] == 0:
            raise ValueError("fit: validation_data is empty; pass None for no validation")
        check_rows(xv, yv, "fit: validation_data")
        check_inputs(xv, "fit: validation_data")
        xv_device, yv_device = backends.asarray(xv), backends.asarray(yv)
        with trusted_values():
            check_validation(self.net, self.loss, named, xv_device, yv_device, yv, min(batch_size, VALIDATION_ROWS))
        return xv_device, yv_device

    def _train_epoch(self, x, y, epoch, batch_size, shuffle, named, check_finite, guard, progress,
                     targets) -> dict[str, float]:
        """One pass over the data; per-batch loss and metrics are written to a device array, read once.
        targets: the full targets to check against the first batch's predictions (first epoch only)."""
        n = x.shape[0]
        n_batches = math.ceil(n / batch_size)
        order = backends.asarray(backends.host_rng().permutation(n)) if shuffle else None
        records = backends.xp().zeros((1 + len(named), n_batches), dtype=backends.floatx())
        for b, s in enumerate(batches(n, batch_size)):
            idx = order[s] if shuffle else s
            xb, yb = x[idx], y[idx]
            if check_finite == "batch":
                guard.keep_buffers()
            try:
                out, loss = self._forward_loss(xb, yb)
                if targets is not None and b == 0:
                    check_first_batch(self.loss, targets, yb, out)
                    check_metric_targets(named, targets, tuple(out.shape))
                records[0, b] = loss
                for k, (name, fn) in enumerate(named, start=1):
                    value = fn(yb, out)
                    if targets is not None and b == 0:
                        check_metric_value(name, value, "fit")
                    records[k, b] = value
            except Exception:
                if b == 0:  # a check of the first batch (or its metrics) failed: undo its forward's buffers too
                    guard.restore(epoch)
                raise
            with trusted_values():  # the forward checked what the backward would
                if check_finite == "batch":
                    self._backward(yb, out)
                    guard.check_batch(epoch, b, n_batches, loss)
                    self.optimizer.step()
                else:
                    self._backward_update(xb, yb, out)
            progress.batch_done()
        guard.fold(records)
        sizes = [min(batch_size, n - b * batch_size) for b in range(n_batches)]
        return self._epoch_logs(records, sizes, named, epoch, guard)

    def _epoch_logs(self, records, sizes, named, epoch, guard: Guard) -> dict[str, float]:
        """Read the epoch's per-batch records back once, check them, and average by batch size."""
        host = backends.to_numpy(records)
        guard.check_epoch(epoch, host[0])
        means = host.astype("float64") @ (backends.host().asarray(sizes, dtype="float64") / sum(sizes))
        logs = {name: float(value) for name, value in zip(["loss", *[m for m, _ in named]], means)}
        guard.check_divergence(epoch, logs["loss"], float(host[0, 0]))
        return logs
