"""What fit shows while it trains: a tqdm bar on a terminal, one line per epoch elsewhere (logs, pipes, CI).

    verbose=0 (or False)  nothing
    verbose=1 (or True)   a bar over every batch (epoch, loss and metrics beside it) when stderr is a terminal;
                          one line per epoch when it is not (tqdm stays silent there)
    verbose=2             one line per epoch, always

A line reads ``LeNet: epoch 3/20: loss 0.1234, accuracy 0.9612, val_loss 0.1401, val_accuracy 0.9575 (2.31 s)``;
``label`` (the model being trained) starts the line and the bar's description."""

from __future__ import annotations

import sys

from .. import arguments
from ..exceptions import ArgumentError

VERBOSE = (False, True, 0, 1, 2)


class _NoBar:
    def update(self, n: int = 1) -> None: ...
    def set_postfix(self, *args, **kwargs) -> None: ...
    def set_description(self, *args, **kwargs) -> None: ...
    def close(self) -> None: ...


def _progress_bar(total: int, verbose: int | bool, stream=None):
    """A tqdm bar over ``total`` batches for verbose 1 (it disables itself when ``stream`` is not a terminal);
    otherwise nothing."""
    if verbose != 1:
        return _NoBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="batch", disable=None, dynamic_ncols=True, leave=True,
                file=stream if stream is not None else sys.stderr)


def _is_terminal(stream) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if isatty is not None else False
    except ValueError:  # a closed stream
        return False


def _shown(logs: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.4g}" for k, v in logs.items() if k not in ("lr", "time"))


class Progress:
    """The bar and/or the per-epoch lines of one fit. ``stream`` is read when fit starts (sys.stderr)."""

    @staticmethod
    def check(verbose, label) -> None:
        """fit's verbose and label arguments, checked with the others before anything runs."""
        arguments.choice(verbose, "verbose", "fit", VERBOSE)
        if label is not None and not isinstance(label, str):
            raise ArgumentError(f"fit: label must be a string (the model's name), got {label!r}")

    def __init__(self, epochs: int, batches_per_epoch: int, verbose: int | bool, label: str | None) -> None:
        self.check(verbose, label)
        self.epochs, self.label = epochs, label
        self.stream = sys.stderr
        self.lines = verbose == 2 or (verbose == 1 and not _is_terminal(self.stream))
        self.bar = _progress_bar(epochs * batches_per_epoch, int(verbose), self.stream)

    def _prefix(self, epoch: int) -> str:
        return (f"{self.label}: " if self.label else "") + f"epoch {epoch + 1}/{self.epochs}"

    def start_epoch(self, epoch: int) -> None:
        self.bar.set_description(self._prefix(epoch))

    def batch_done(self) -> None:
        self.bar.update(1)

    def end_epoch(self, epoch: int, logs: dict[str, float]) -> None:
        self.bar.set_postfix({k: f"{v:.4g}" for k, v in logs.items() if k not in ("lr", "time")}, refresh=False)
        if self.lines:
            self.say(f"{self._prefix(epoch)}: {_shown(logs)} ({logs['time']:.2f} s)")

    def say(self, text: str) -> None:
        """One line of its own, in the per-epoch lines' stream (nothing in bar-only or silent mode)."""
        if self.lines:
            print(text, file=self.stream, flush=True)

    def close(self) -> None:
        self.bar.close()
