"""Benchmark workloads, each built twice: with pyldl_gpu and with PyTorch (when importable): same layers, same
float32 data, one training step = forward + backward + plain SGD update. Our data is channels-last, PyTorch's
channels-first (each library in its native layout)."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from itertools import pairwise

import pyldl_gpu as nn
from pyldl_gpu import backends

np = backends.host()


@dataclass(frozen=True)
class Workload:
    name: str
    batch: int
    sample_shape: tuple[int, ...]  # channels-last, one sample
    classes: int  # 0 for an autoencoder (targets are the inputs)
    ours: Callable[[], tuple]  # -> (net, loss)
    theirs: Callable[[], tuple]  # -> (torch net, torch loss); imports torch


def _mlp_ours(sizes, act, autoencoder):
    layers = []
    for i, (a, b) in enumerate(pairwise(sizes)):
        layers += [nn.Linear(a, b)] + ([act()] if i < len(sizes) - 2 else [])
    if autoencoder:
        return nn.Sequential(*layers, nn.Sigmoid()), nn.BCELoss()
    return nn.Sequential(*layers), nn.CrossEntropyLoss()


def _mlp_torch(sizes, act, autoencoder):
    import torch

    layers = []
    for i, (a, b) in enumerate(pairwise(sizes)):
        layers += [torch.nn.Linear(a, b)] + ([getattr(torch.nn, act)()] if i < len(sizes) - 2 else [])
    if autoencoder:
        return torch.nn.Sequential(*layers, torch.nn.Sigmoid()), torch.nn.BCELoss()
    return torch.nn.Sequential(*layers), torch.nn.CrossEntropyLoss()


def lenet_ours():
    """The LeNet-style net of the seed reports (channels-last)."""
    return nn.Sequential(nn.Conv2D(9, 1, 15), nn.ReLU(), nn.MaxPool2D(2), nn.Conv2D(5, 15, 20), nn.ReLU(),
                         nn.MaxPool2D(2), nn.Flatten(), nn.Linear(180, 100), nn.ReLU(), nn.Linear(100, 10)), \
        nn.CrossEntropyLoss()


def lenet_torch():
    import torch.nn as t

    return t.Sequential(t.Conv2d(1, 15, 9), t.ReLU(), t.MaxPool2d(2), t.Conv2d(15, 20, 5), t.ReLU(), t.MaxPool2d(2),
                        t.Flatten(), t.Linear(180, 100), t.ReLU(), t.Linear(100, 10)), t.CrossEntropyLoss()


def conv1d_ours():
    """The seed reports' Conv1D net."""
    return nn.Sequential(nn.Conv1D(3, 1, 32), nn.MaxPool1D(2, 2), nn.Flatten(), nn.Linear(4064, 100), nn.ReLU(),
                         nn.Linear(100, 10)), nn.CrossEntropyLoss()


def conv1d_torch():
    import torch.nn as t

    return t.Sequential(t.Conv1d(1, 32, 3), t.MaxPool1d(2, 2), t.Flatten(), t.Linear(4064, 100), t.ReLU(),
                        t.Linear(100, 10)), t.CrossEntropyLoss()


W1 = (784, 256, 128, 10)
W2 = (784, 1024, 1024, 10)
W5 = (784, 256, 64, 256, 784)
WORKLOADS = {
    "W1": Workload("W1 MLP 784-256-128-10 tanh CE", 128, (784,), 10, lambda: _mlp_ours(W1, nn.Tanh, False),
                   lambda: _mlp_torch(W1, "Tanh", False)),
    "W2": Workload("W2 MLP 784-1024-1024-10 relu CE", 512, (784,), 10, lambda: _mlp_ours(W2, nn.ReLU, False),
                   lambda: _mlp_torch(W2, "ReLU", False)),
    "W3": Workload("W3 LeNet-style CNN 28x28", 128, (28, 28, 1), 10, lenet_ours, lenet_torch),
    "W4": Workload("W4 seed Conv1D net, length 256", 64, (256, 1), 10, conv1d_ours, conv1d_torch),
    "W5": Workload("W5 AE 784-256-64-256-784 tanh/sigmoid BCE", 128, (784,), 0, lambda: _mlp_ours(W5, nn.Tanh, True),
                   lambda: _mlp_torch(W5, "Tanh", True)),
}


def data_parallel(ours: Callable[[], tuple]) -> Callable[[], tuple]:
    """The same net wrapped in nn.DataParallel (all usable cores; a plain call on the GPU)."""
    def build():
        net, loss = ours()
        return nn.DataParallel(net), loss
    return build


# W3 again, the net wrapped in DataParallel: the library's way to use every CPU core for elementwise work too
# (PyTorch's own elementwise kernels are multi-threaded). W4 is not repeated: its time is one thin GEMM and a
# pooling pass, and half-batch chunks with a one-thread BLAS made it slower (3.3 -> 4.3 ms per step).
WORKLOADS["W3dp"] = replace(WORKLOADS["W3"], name="W3dp LeNet-style CNN 28x28, DataParallel",
                            ours=data_parallel(lenet_ours))


BIG_BATCH = 1024  # every workload is also measured here: the batch where a GPU can fill itself


def at_batch(w: Workload, batch: int) -> Workload:
    """The same workload at another batch size."""
    return w if batch == w.batch else replace(w, batch=batch)


def cases() -> list[tuple[str, int]]:
    """(workload key, batch) pairs every device-parametrised benchmark runs: each workload's own batch and
    BIG_BATCH."""
    return [(key, batch) for key, w in WORKLOADS.items() for batch in dict.fromkeys((w.batch, BIG_BATCH))]


def synthetic_data(w: Workload, n_batches: int = 8, seed: int = 0):
    """float32 inputs in [0, 1) of the workload's shape and integer labels (the inputs for autoencoders)."""
    rng = np.random.default_rng(seed)
    x = rng.random((n_batches * w.batch, *w.sample_shape), dtype=np.float32)
    y = x if not w.classes else rng.integers(0, w.classes, n_batches * w.batch)
    return x, y


def _batches(x, y, size):
    return [(x[i:i + size], y[i:i + size]) for i in range(0, len(x), size)]


def build_ours(w: Workload, train: bool = True):
    """(step(i), sync) for pyldl_gpu on preloaded data of the active device (call it, and the step, inside
    ``with nn.device(...)``): a training step, or inference when train=False."""
    net, loss = w.ours()
    opt = nn.Optim(net, loss, nn.SGD(net, lr=0.01))
    x, y = synthetic_data(w)
    batches = _batches(nn.asarray(x), nn.asarray(y), w.batch)
    if not train:
        net.eval()

    def step(i: int) -> None:
        xb, yb = batches[i % len(batches)]
        if train:
            opt.step(xb, yb)
        else:
            net(xb)

    return step, nn.synchronize


def torch_usable(device: str) -> bool:
    """Whether PyTorch is importable and, for 'cuda', sees a CUDA device."""
    try:
        import torch
    except ImportError:
        return False
    return device != "cuda" or torch.cuda.is_available()


def build_torch(w: Workload, device: str = "cpu", train: bool = True):
    """The same workload in PyTorch; raises ImportError when torch is missing."""
    import torch

    net, loss_fn = w.theirs()
    net = net.to(device)
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    x, y = synthetic_data(w)
    if len(w.sample_shape) > 1:  # channels-last -> channels-first, PyTorch's native layout
        x = np.ascontiguousarray(np.moveaxis(x, -1, 1))
        y = x if not w.classes else y
    xt = torch.from_numpy(x).to(device)
    yt = xt if not w.classes else torch.from_numpy(y).long().to(device)
    batches = _batches(xt, yt, w.batch)
    if not train:
        net.eval()

    def step(i: int) -> None:
        xb, yb = batches[i % len(batches)]
        if train:
            opt.zero_grad(set_to_none=True)
            loss_fn(net(xb), yb).backward()
            opt.step()
        else:
            with torch.no_grad():
                net(xb)

    def sync() -> None:
        if device.startswith("cuda"):
            torch.cuda.synchronize()

    return step, sync


SETTLE_S = 0.3
ROUNDS = int(os.environ.get("PYLDL_BENCH_ROUNDS", "15"))  # alternated rounds per measurement


def settle(device: str = "cpu") -> None:
    """Let the other library's worker threads stop spin-waiting (OpenBLAS and OpenMP pools spin for up to
    ~0.1 s after a call); on 2 cores a spinning pool would steal a core from the next round. GPU rounds only
    need the device idle, which the synchronised timer already ensures."""
    if device == "cpu":
        time.sleep(SETTLE_S)


def time_steps(step, sync, n_steps: int) -> float:
    """Seconds per step over n_steps, device-synchronised."""
    sync()
    start = time.perf_counter()
    for i in range(n_steps):
        step(i)
    sync()
    return (time.perf_counter() - start) / n_steps


def steps_for(seconds_per_step: float, budget_s: float = 0.6) -> int:
    """How many steps fill about budget_s (at least 3). Rounds are long because the first steps after the
    settle() pause run slow while the second core wakes (20-25 ms instead of 13 on W3 with DataParallel): with
    0.15 s rounds that wake-up weighed on every measurement."""
    return max(3, math.ceil(budget_s / max(seconds_per_step, 1e-6)))
