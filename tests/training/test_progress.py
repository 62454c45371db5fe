"""What fit shows: a tqdm bar on a terminal, one line per epoch elsewhere or when asked (verbose=2), nothing at
verbose=0; label names the model in both."""

from __future__ import annotations

import io
import re
import sys

import pytest

import pyldl_gpu as nn
from pyldl_gpu import backends

np = backends.host()


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _train(rng, stream, monkeypatch, **kwargs):
    monkeypatch.setattr(sys, "stderr", stream)
    y = rng.integers(0, 2, 64)
    x = (rng.standard_normal((64, 3)) + y[:, None]).astype(np.float32)
    net = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2))
    nn.Optim(net, nn.CrossEntropyLoss(), nn.Adam(net, lr=0.01)).fit(
        x, y, epochs=3, batch_size=16, validation_data=(x, y), metrics=["accuracy"], **kwargs)
    return stream.getvalue()


LINE = re.compile(r"^LeNet-ish: epoch (\d)/3: loss [0-9.e+-]+, accuracy [0-9.e+-]+, val_loss [0-9.e+-]+, "
                  r"val_accuracy [0-9.e+-]+ \([0-9.]+ s\)$")


def test_lines_when_output_is_not_a_terminal(rng, monkeypatch):
    """Training printed nothing at all when stderr was a file or a pipe."""
    text = _train(rng, io.StringIO(), monkeypatch, verbose=True, label="LeNet-ish")
    lines = text.splitlines()
    assert [LINE.match(line).group(1) for line in lines] == ["1", "2", "3"], text
    assert "\r" not in text  # no bar drawn into a log file


def test_a_bar_on_a_terminal_with_epoch_loss_and_metrics(rng, monkeypatch):
    text = _train(rng, FakeTerminal(), monkeypatch, verbose=1, label="LeNet-ish")
    assert "LeNet-ish: epoch 3/3" in text and "batch" in text and "12/12" in text
    assert re.search(r"loss=[0-9.]+", text) and re.search(r"val_accuracy=[0-9.]+", text)
    assert not any(LINE.match(line) for line in text.replace("\r", "\n").splitlines())  # the bar, not lines


def test_lines_on_a_terminal_when_asked_and_silence_at_zero(rng, monkeypatch):
    text = _train(rng, FakeTerminal(), monkeypatch, verbose=2, label="LeNet-ish")
    assert [LINE.match(line).group(1) for line in text.splitlines()] == ["1", "2", "3"], text
    assert _train(rng, FakeTerminal(), monkeypatch, verbose=0) == ""
    assert _train(rng, io.StringIO(), monkeypatch, verbose=False) == ""
    unlabelled = _train(rng, io.StringIO(), monkeypatch, verbose=2)
    assert unlabelled.splitlines()[0].startswith("epoch 1/3: loss ")


def test_early_stop_is_said_in_the_lines(rng, monkeypatch):
    stopper = nn.EarlyStopping("loss", mode="max", patience=1)  # can only get worse after epoch 1
    text = _train(rng, io.StringIO(), monkeypatch, verbose=2, label="mlp", early_stopping=stopper)
    assert text.splitlines()[-1] == ("mlp: stopped early after epoch 2: no better loss than "
                                     f"{stopper.best:.4g} (epoch 1) for 1 epoch")


@pytest.mark.parametrize("verbose", [3, -1, "yes", 1.5])
def test_verbose_must_be_a_known_level(rng, verbose):
    net = nn.Linear(2, 1)
    with pytest.raises(nn.ArgumentError, match="fit: verbose must be one of False, True, 0, 1, 2"):
        nn.Optim(net, nn.MSELoss(), 0.1).fit(np.zeros((4, 2)), np.zeros((4, 1)), verbose=verbose)
