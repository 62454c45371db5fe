"""Optim: one object that trains a network with a loss and an optimizer (the seed reports' API, grown up).

    opt = Optim(net, CrossEntropyLoss(), SGD(net, lr=0.1))
    loss = opt.step(xb, yb)                 # forward, backward, update; returns a device scalar
    history = opt.fit(x, y, epochs=10, batch_size=128, validation_data=(xv, yv), metrics=["accuracy"])
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable

from .. import backends
from ..exceptions import NonFiniteLossError
from ..losses import Loss
from ..module import Module
from ..optimizers.optimizer import Optimizer
from ..optimizers.schedules import LRScheduler
from ..optimizers.sgd import SGD
from .early_stopping import EarlyStopping
from .history import History
from .inference import batches, evaluate
from .metrics import resolve_metric
from .snapshot import restore_optimizer, restore_parameters, snapshot_optimizer, snapshot_parameters


class Optim:
    """Trains ``net`` on ``loss`` with ``optimizer`` (an Optimizer, or a float: plain SGD with that lr)."""

    def __init__(self, net: Module, loss: Loss, optimizer: Optimizer | float = 1e-3) -> None:
        self.net = net
        self.loss = loss
        self.optimizer = optimizer if isinstance(optimizer, Optimizer) else SGD(net, lr=float(optimizer))
        self._penalised = [m for m in net.modules() if m.adds_penalty()]
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

    def _backward_update(self, x, y, out) -> None:
        self.optimizer.zero_grad()
        self.net.backward(self.loss.backward(y, out), input_grad=False)
        self.optimizer.step()

    def step(self, x, y):
        """One mini-batch: forward, loss, backward, update. x, y: device arrays. Returns the loss
        (a device scalar: read it with float() only when you need it, as that waits for the device)."""
        out, loss = self._forward_loss(x, y)
        self._backward_update(x, y, out)
        return loss

    def fit(self, x, y, epochs: int = 10, batch_size: int = 32, shuffle: bool = True,
            validation_data: tuple | None = None, metrics: Iterable[str | Callable] = (),
            early_stopping: EarlyStopping | None = None, scheduler: LRScheduler | None = None,
            verbose: bool = True, check_finite: str = "epoch") -> History:
        """Mini-batch training for ``epochs`` epochs; returns (and keeps as ``self.history``) a History.

        x, y move to the device once; each epoch shuffles indices drawn on the host generator. x may also be a
        callable ``x(epoch) -> inputs`` giving each epoch its own inputs for the same targets (fresh noise or
        augmentation: called once per epoch, before the epoch, and moved to the device then). Losses and
        metrics stay on the device and are read back once per epoch. A NaN/inf loss raises NonFiniteLossError
        naming the epoch and batch: with check_finite='epoch' (no per-batch sync) the weights and optimizer
        state go back to the end of the last good epoch; with 'batch' the loss is checked before each update
        (one sync per batch), so the weights are those right before the bad batch."""
        if check_finite not in ("epoch", "batch"):
            raise ValueError(f"check_finite must be 'epoch' or 'batch', got {check_finite!r}")
        if epochs < 0:
            raise ValueError(f"epochs must be >= 0, got {epochs}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        fresh = x if callable(x) else None
        y = backends.asarray(y)
        n = y.shape[0]
        if n == 0:
            raise ValueError("fit: no training data")
        x = self._epoch_inputs(fresh, 0, n) if fresh is not None else backends.asarray(x)
        if x.shape[0] != n:
            raise ValueError(f"fit: x has {x.shape[0]} rows but y has {n}")
        if validation_data is not None:
            if len(validation_data) != 2:
                raise ValueError("validation_data must be a pair (x_val, y_val)")
            if len(validation_data[0]) == 0:
                raise ValueError("fit: validation_data is empty; pass None for no validation")
            validation_data = tuple(backends.asarray(a) for a in validation_data)
        named = [resolve_metric(m) for m in metrics]
        history = self.history = History()
        if early_stopping is not None:
            early_stopping.reset()
        bar = _progress_bar(epochs * math.ceil(n / batch_size), verbose)
        self.net.train()
        try:
            with backends.float_errors_ignored():
                for epoch in range(epochs):
                    start = time.perf_counter()
                    bar.set_description(f"epoch {epoch + 1}/{epochs}")
                    if fresh is not None and epoch > 0:
                        x = self._epoch_inputs(fresh, epoch, n)
                    logs = self._train_epoch(x, y, epoch, batch_size, shuffle, named, check_finite, bar)
                    if validation_data is not None:
                        val = evaluate(self.net, *validation_data, loss=self.loss, metrics=[f for _, f in named],
                                       batch_size=max(batch_size, 256))
                        logs.update({"val_" + k: v for k, v in val.items()})
                    logs["lr"] = self.optimizer.lr
                    logs["time"] = time.perf_counter() - start
                    history.append(logs)
                    bar.set_postfix({k: f"{v:.4g}" for k, v in logs.items() if k not in ("lr", "time")},
                                    refresh=False)
                    if scheduler is not None:
                        scheduler.step()
                    if early_stopping is not None and early_stopping.update(epoch, logs, self.net):
                        break
        finally:
            bar.close()
        if early_stopping is not None:
            early_stopping.finish(self.net)
        return history

    @staticmethod
    def _epoch_inputs(make, epoch: int, n: int):
        """make(epoch) on the device, checked to have the targets' n rows."""
        x = backends.asarray(make(epoch))
        if x.ndim == 0 or x.shape[0] != n:
            raise ValueError(f"fit: x({epoch}) returned inputs of shape {tuple(x.shape)}; expected {n} rows, "
                             "one per target")
        return x

    def _train_epoch(self, x, y, epoch, batch_size, shuffle, named, check_finite, bar) -> dict[str, float]:
        """One pass over the data; per-batch loss and metrics are written to a device array, read once."""
        n = x.shape[0]
        n_batches = math.ceil(n / batch_size)
        # 'batch' mode stops before a bad update, so only 'epoch' mode needs a copy to go back to
        good = (snapshot_parameters(self.net), snapshot_optimizer(self.optimizer)) if check_finite == "epoch" else None
        order = backends.asarray(backends.host_rng().permutation(n)) if shuffle else None
        records = backends.xp().zeros((1 + len(named), n_batches), dtype=backends.floatx())
        for b, s in enumerate(batches(n, batch_size)):
            idx = order[s] if shuffle else s
            xb, yb = x[idx], y[idx]
            out, loss = self._forward_loss(xb, yb)
            if check_finite == "batch" and not math.isfinite(float(loss)):
                raise NonFiniteLossError(
                    f"non-finite loss {float(loss)} at epoch {epoch + 1}, batch {b + 1} of {n_batches}; "
                    "training stopped before that update, the model keeps the weights it had"
                )
            self._backward_update(xb, yb, out)
            records[0, b] = loss
            for k, (_, fn) in enumerate(named, start=1):
                records[k, b] = fn(yb, out)
            bar.update(1)
        sizes = [min(batch_size, n - b * batch_size) for b in range(n_batches)]
        return self._epoch_logs(records, sizes, named, epoch, good)

    def _epoch_logs(self, records, sizes, named, epoch, good) -> dict[str, float]:
        """Read the epoch's per-batch records back once, check the loss, and average by batch size."""
        host = backends.to_numpy(records)
        losses = host[0]
        finite = backends.host().isfinite(losses)
        if not finite.all():
            bad = int(backends.host().argmin(finite))
            restore_parameters(self.net, good[0])
            restore_optimizer(self.optimizer, good[1])
            error = NonFiniteLossError(
                f"non-finite loss {losses[bad]} at epoch {epoch + 1}, batch {bad + 1} of {len(sizes)}; the weights "
                f"and optimizer state are restored to the end of epoch {epoch} (the last good ones)"
            )
            error.history = self.history
            raise error
        means = host.astype("float64") @ (backends.host().asarray(sizes, dtype="float64") / sum(sizes))
        return {name: float(value) for name, value in zip(["loss", *[m for m, _ in named]], means)}


class _NoBar:
    def update(self, n: int = 1) -> None: ...
    def set_postfix(self, *args, **kwargs) -> None: ...
    def set_description(self, *args, **kwargs) -> None: ...
    def close(self) -> None: ...


def _progress_bar(total: int, verbose: bool):
    """A tqdm bar over all batches when verbose and stderr is a terminal; otherwise nothing."""
    if not verbose:
        return _NoBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="batch", disable=None, dynamic_ncols=True, leave=True)
