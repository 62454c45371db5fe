"""Benchmark workloads, each built twice: with pyldl_gpu and with PyTorch (when importable), same shapes,
same float32 data, one training step = forward + backward + plain SGD update."""

from __future__ import annotations

import time
from dataclasses import dataclass

import pyldl_gpu as nn
from pyldl_gpu import backends

np = backends.host()


@dataclass(frozen=True)
class Workload:
    name: str
    sizes: tuple[int, ...]
    activation: str
    output: str  # 'softmax_ce' or 'sigmoid_bce'
    batch: int

    @property
    def n_in(self) -> int:
        return self.sizes[0]


WORKLOADS = {
    "W1": Workload("W1 MLP 784-256-128-10 tanh CE", (784, 256, 128, 10), "tanh", "softmax_ce", 128),
    "W2": Workload("W2 MLP 784-1024-1024-10 relu CE", (784, 1024, 1024, 10), "relu", "softmax_ce", 512),
    "W5": Workload("W5 AE 784-256-64-256-784 tanh/sigmoid BCE", (784, 256, 64, 256, 784), "tanh", "sigmoid_bce", 128),
}


def synthetic_data(w: Workload, n_batches: int = 8, seed: int = 0):
    """MNIST-shaped float32 inputs in [0, 1) and integer labels (or the inputs themselves for autoencoders)."""
    rng = np.random.default_rng(seed)
    x = rng.random((n_batches * w.batch, w.n_in), dtype=np.float32)
    y = x if w.output == "sigmoid_bce" else rng.integers(0, w.sizes[-1], n_batches * w.batch)
    return x, y


def build_ours(w: Workload):
    """(step(i), sync) for pyldl_gpu: step trains on batch i of the preloaded device data."""
    act = {"tanh": nn.Tanh, "relu": nn.ReLU}[w.activation]
    layers = []
    for i, (a, b) in enumerate(zip(w.sizes[:-1], w.sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(w.sizes) - 2:
            layers.append(act())
    loss = nn.CrossEntropyLoss()
    if w.output == "sigmoid_bce":
        layers.append(nn.Sigmoid())
        loss = nn.BCELoss()
    net = nn.Sequential(*layers)
    opt = nn.Optim(net, loss, nn.SGD(net, lr=0.01))
    x, y = synthetic_data(w)
    xd, yd = nn.asarray(x), nn.asarray(y)
    batches = [(xd[i * w.batch:(i + 1) * w.batch], yd[i * w.batch:(i + 1) * w.batch]) for i in range(len(x) // w.batch)]

    def step(i: int) -> None:
        opt.step(*batches[i % len(batches)])

    return step, nn.synchronize


def build_torch(w: Workload, device: str = "cpu"):
    """The same workload in PyTorch; raises ImportError when torch is missing."""
    import torch

    act = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU}[w.activation]
    layers = []
    for i, (a, b) in enumerate(zip(w.sizes[:-1], w.sizes[1:])):
        layers.append(torch.nn.Linear(a, b))
        if i < len(w.sizes) - 2:
            layers.append(act())
    loss_fn = torch.nn.CrossEntropyLoss()
    if w.output == "sigmoid_bce":
        layers.append(torch.nn.Sigmoid())
        loss_fn = torch.nn.BCELoss()
    net = torch.nn.Sequential(*layers).to(device)
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    x, y = synthetic_data(w)
    xt = torch.from_numpy(x).to(device)
    yt = torch.from_numpy(y).to(device) if w.output == "sigmoid_bce" else torch.from_numpy(y).long().to(device)
    batches = [(xt[i * w.batch:(i + 1) * w.batch], yt[i * w.batch:(i + 1) * w.batch]) for i in range(len(x) // w.batch)]

    def step(i: int) -> None:
        xb, yb = batches[i % len(batches)]
        opt.zero_grad(set_to_none=True)
        loss_fn(net(xb), yb).backward()
        opt.step()

    def sync() -> None:
        if device.startswith("cuda"):
            torch.cuda.synchronize()

    return step, sync


SETTLE_S = 0.3


def settle() -> None:
    """Let the other framework's worker threads stop spin-waiting (OpenBLAS and OpenMP pools spin for up to
    ~0.1 s after a call); on 2 cores a spinning pool would steal a core from the next round."""
    time.sleep(SETTLE_S)


def time_steps(step, sync, n_steps: int) -> float:
    """Seconds per step over n_steps, device-synchronised."""
    sync()
    start = time.perf_counter()
    for i in range(n_steps):
        step(i)
    sync()
    return (time.perf_counter() - start) / n_steps


def alternate(contenders: dict, n_steps: int, rounds: int, warmup: int = 3) -> dict[str, list[float]]:
    """Time each contender for n_steps, round-robin, ``rounds`` times, after a warm-up: machine drift
    hits every contender alike. Returns seconds per step per round for each."""
    for step, sync in contenders.values():
        time_steps(step, sync, warmup)
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, (step, sync) in contenders.items():
            settle()
            times[name].append(time_steps(step, sync, n_steps))
    return times
