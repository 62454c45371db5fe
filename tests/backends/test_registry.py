"""Backends are registered by name: a third one, written in a test, is usable everywhere without any other edit."""

from __future__ import annotations

import pytest

import pyldl_gpu as nn
from pyldl_gpu import backends
from pyldl_gpu.backends.cpu import NumpyBackend

np = backends.host()


class CountingBackend(NumpyBackend):
    """The NumPy backend, counting the host -> device and device -> host transfers that go through it."""

    name = "counting"

    def __init__(self, seed=None) -> None:
        super().__init__(seed)
        self.uploads = self.downloads = 0

    def asarray(self, a, dtype=None):
        self.uploads += 1
        return super().asarray(a, dtype)

    def to_numpy(self, a):
        self.downloads += 1
        return super().to_numpy(a)


@pytest.fixture
def counting():
    backends.register_backend("counting", lambda index, seed: CountingBackend(seed))
    try:
        yield
    finally:
        backends.unregister_backend("counting")


def test_a_registered_backend_is_a_device_string_and_trains_a_net(counting, rng):
    assert "counting" in backends.backend_names()
    assert backends.parse_device(" Counting ") == backends.DeviceSpec("counting")
    with nn.device("counting") as name:
        assert name == "counting" and isinstance(backends.active(), CountingBackend)
        x, y = rng.standard_normal((64, 5)).astype(np.float32), rng.integers(0, 3, 64)
        net = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 3))
        uploads = backends.active().uploads
        history = nn.Optim(net, nn.CrossEntropyLoss(), nn.SGD(net, lr=0.1)).fit(x, y, epochs=3, batch_size=16,
                                                                                 verbose=False)
        assert history.epochs == 3
        # x and y move once, each epoch's shuffled order once: the data are not re-sent per batch
        assert backends.active().uploads - uploads <= 2 + 3


def test_error_messages_list_the_registered_names(counting):
    with pytest.raises(nn.DeviceError, match=r"'cpu', 'cuda', 'cuda:N' \(N a device index\), 'counting' or 'auto'"):
        backends.parse_device("tpu")
    with pytest.raises(nn.DeviceError, match="unknown device 'counting:1'"):
        backends.parse_device("counting:1")  # registered without device indices


def test_unregistered_names_are_refused_again(counting):
    backends.unregister_backend("counting")
    with pytest.raises(nn.DeviceError, match="unknown device"):
        nn.set_device("counting")


def test_auto_takes_the_highest_priority_backend_that_starts(counting, monkeypatch):
    class Broken(NumpyBackend):
        def __init__(self, seed=None):
            raise RuntimeError("no such device here")

    backends.register_backend("broken", lambda index, seed: Broken(seed), auto_priority=100)
    try:
        backends.register_backend("counting", lambda index, seed: CountingBackend(seed), auto_priority=50)
        monkeypatch.setenv("PYLDL_DEVICE", "auto")
        backends.reset()
        if backends.cuda_is_available():
            pytest.skip("CUDA is usable here and outranks neither: this checks the fallback order only without it")
        assert nn.get_device() == "counting"
    finally:
        backends.unregister_backend("broken")


def test_reserved_and_invalid_names_cannot_be_registered():
    for name in ("auto", "cuda:1", "my device"):
        with pytest.raises(ValueError, match="not a usable backend name"):
            backends.register_backend(name, lambda index, seed: None)
