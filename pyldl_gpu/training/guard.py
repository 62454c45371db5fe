"""What fit keeps to undo a blow-up, and the rules that detect one (docs/training.md, "When training blows up").

Detected in both check modes, without a per-batch read-back:
- a NaN or infinite loss in any batch (the epoch's per-batch losses come back once, at its end);
- a NaN or infinite weight, buffer, gradient or optimizer state at the end of an epoch, even when every loss
  was finite (a gradient or an update overflowed): one device flag, folded into the same read-back;
- divergence: an epoch whose mean loss, finite or not, exceeds ``divergence`` times the first epoch's, that
  reference raised to DIVERGENCE_FLOOR (1.0, in the loss's units) when smaller: a run whose loss is already tiny
  (3e-9, then 3e-4) is not diverging, and a first loss of 0 or below still gets a bound.

Before the first epoch fit also refuses a net (or optimizer state) that is already NaN or infinite: no snapshot
of it could be good.

What comes back: the weights, buffers, optimizer state, learning rate and scheduler epoch the failing epoch
started from (the end of the epoch
before), which its first batch showed to give a finite, bounded loss; when that first batch already failed,
the start of the epoch before it (two copies are kept, on the device). check_finite='batch' also reads each
batch's loss and gradients before its update (one read-back per batch) and stops right there."""

from __future__ import annotations

import math

from .. import backends
from ..exceptions import DivergenceError, NonFiniteLossError
from ..module import Module
from ..optimizers.optimizer import Optimizer
from .snapshot import restore_optimizer, restore_parameters, snapshot_optimizer, snapshot_parameters

DIVERGENCE_FLOOR = 1.0  # the smallest reference loss the divergence bound multiplies (in the loss's units)


def _epoch_end(epoch: int) -> str:
    return f"the end of epoch {epoch}" + (", as fit started" if epoch == 0 else "")


def _all_finite(arrays):
    """A device boolean: every entry of every array is finite (built on the device: no upload, no wait)."""
    xp = backends.xp()
    ok = None
    for a in arrays:
        finite = xp.isfinite(a).all()
        ok = finite if ok is None else ok & finite
    return ok if ok is not None else xp.isfinite(xp.zeros(()))


def _first_non_finite(named) -> str | None:
    """The name of the first (name, array) pair holding a NaN or inf (a read-back per array: failures only)."""
    return next((name for name, a in named if not bool(backends.to_numpy(_all_finite([a])))), None)


class Guard:
    """One fit's watch over its net and optimizer. ``divergence``: the bound on an epoch's loss relative to the
    first epoch's, or DIVERGENCE_FLOOR if larger (None: no bound). ``scheduler``: the LRScheduler fit steps, whose
    epoch counter is kept and restored with the weights (None: none)."""

    def __init__(self, net: Module, optimizer: Optimizer, divergence: float | None, scheduler=None) -> None:
        self.net, self.optimizer, self.divergence, self.scheduler = net, optimizer, divergence, scheduler
        self.starts: dict[int, tuple] = {}  # epoch -> (weights, optimizer state, scheduler epoch); the last two
        self.reference: float | None = None  # the first epoch's mean loss
        self._last = None  # the real last loss of the epoch, while its record carries the state flag
        self._buffers = None  # check_finite='batch': the buffers before the batch running now

    # ---- what is kept
    def check_start(self) -> None:
        """Before the first epoch: refuse a net, buffer or optimizer state that is already NaN or infinite (one
        read-back on a GPU, once)."""
        state = [(name, a) for name, a in self._state() if not name.startswith("the gradient")]
        flag = _all_finite(a for _, a in state)
        if bool(flag if backends.xp() is backends.host() else backends.to_numpy(flag)):  # no read on the CPU
            return
        raise NonFiniteLossError(f"fit: {_first_non_finite(state)} is NaN or infinite before training started; "
                                 "expected finite values (re-initialise or reload the model); nothing was trained")

    def begin_epoch(self, epoch: int) -> None:
        schedule = None if self.scheduler is None else self.scheduler.epoch
        self.starts[epoch] = (snapshot_parameters(self.net), snapshot_optimizer(self.optimizer), schedule)
        self.starts.pop(epoch - 2, None)

    def restore(self, epoch: int) -> None:
        """Put back the weights, buffers, optimizer state (its lr included) and scheduler epoch ``epoch`` started
        from."""
        weights, state, schedule = self.starts[epoch]
        restore_parameters(self.net, weights)
        restore_optimizer(self.optimizer, state)
        if self.scheduler is not None:
            self.scheduler.epoch = schedule

    def _state(self) -> list[tuple[str, object]]:
        named = [(f"parameter {n!r}", p.data) for n, p in self.net.named_parameters()]
        named += [(f"buffer {n!r}", b) for n, b in self.net.named_buffers()]
        named += [(f"the gradient of {n!r}", p.grad) for n, p in self.net.named_parameters()]
        return named + [(f"optimizer state 'state.{i}.{k}'", v) for i, state in enumerate(self.optimizer.state)
                        for k, v in state.items() if k != "scratch"]

    # ---- epoch mode: one flag in the epoch's read-back
    def fold(self, records) -> None:
        """Make the epoch's last loss record NaN when any weight, buffer, gradient or optimizer state is not
        finite (its real value is kept aside for the message)."""
        self._last = records[0, -1:].copy()
        records[0, -1:] = backends.xp().where(_all_finite(a for _, a in self._state()), records[0, -1:],
                                              float("nan"))

    def check_epoch(self, epoch: int, losses) -> None:
        """After the read-back: stop (restoring) on a non-finite loss or state."""
        if backends.host().isfinite(losses).all():
            return
        losses = losses.copy()
        losses[-1] = backends.to_numpy(self._last)[0]
        bad = [b for b, value in enumerate(losses) if not math.isfinite(value)]
        if bad:
            cause = f"non-finite loss {losses[bad[0]]} at epoch {epoch + 1}, batch {bad[0] + 1} of {len(losses)}"
        else:
            cause = (f"{_first_non_finite(self._state())} became NaN or infinite during epoch {epoch + 1} although "
                     "every batch's loss was finite (a gradient or an update overflowed)")
        self._stop(NonFiniteLossError, cause, epoch, start_good=not bad or bad[0] > 0)

    def check_divergence(self, epoch: int, loss: float, first_batch_loss: float) -> None:
        """Stop (restoring) when the epoch's mean loss exceeds divergence x max(first epoch's, DIVERGENCE_FLOOR)."""
        if self.reference is None:
            self.reference = loss
            return
        if self.divergence is None:
            return
        bound = self.divergence * max(self.reference, DIVERGENCE_FLOOR)
        if loss > bound:
            floor = f", counted as the floor {DIVERGENCE_FLOOR:g}" if self.reference < DIVERGENCE_FLOOR else ""
            self._stop(DivergenceError, f"training diverged at epoch {epoch + 1}: its loss {loss:.4g} is more than "
                       f"{self.divergence:g} times the first epoch's ({self.reference:.4g}{floor}); lower the learning "
                       "rate (or pass a larger divergence, or None, to fit)", epoch,
                       start_good=first_batch_loss <= bound)

    def _stop(self, error: type, cause: str, epoch: int, start_good: bool) -> None:
        target = epoch if start_good or epoch - 1 not in self.starts else epoch - 1
        note = ""
        if not start_good:
            note = ("; the epoch's first batch already failed, so the weights it started from were not trusted "
                    "either" if target < epoch else "; the first batch already failed with these weights")
            broken = _first_non_finite([(name, a) for name, a in zip(
                (n for n, _ in self._state()), self.starts[target][0])])
            if broken is not None:
                note += f" ({broken} was not finite when fit started)"
        self.restore(target)
        raise error(f"{cause}; the weights, optimizer state and learning rate are restored to "
                    f"{_epoch_end(target)}, the last good ones{note}")

    # ---- check_finite='batch': a read-back per batch, before its update
    def keep_buffers(self) -> None:
        buffers = [a for _, a in self.net.named_buffers()]
        self._buffers = [a.copy() for a in buffers] if buffers else None

    def check_batch(self, epoch: int, batch: int, batches: int, loss) -> None:
        """After the backward, before the update: stop on a non-finite loss or gradient, the weights untouched
        (the buffers, which the forward changed, put back)."""
        grads = [(f"gradient of {n!r}", p.grad) for n, p in self.net.named_parameters()]
        xp = backends.xp()
        loss = xp.asarray(loss)
        host = backends.to_numpy(xp.stack([loss, _all_finite(g for _, g in grads).astype(loss.dtype)]))
        value, grads_ok = float(host[0]), bool(host[1])
        if math.isfinite(value) and grads_ok:
            return
        if self._buffers is not None:
            for array, saved in zip((a for _, a in self.net.named_buffers()), self._buffers):
                array[...] = saved
        what = f"loss {value}" if not math.isfinite(value) else _first_non_finite(grads)
        where = f"at epoch {epoch + 1}, batch {batch + 1} of {batches}"
        if math.isfinite(value):
            where += f" (its loss was {value:g})"
        raise NonFiniteLossError(f"non-finite {what} {where}; training stopped before that update, the model keeps "
                                 "the weights it had")
