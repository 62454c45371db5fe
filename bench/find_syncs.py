"""python bench/find_syncs.py: which part of a training step makes the host wait for the GPU (CUDA only).

Every module's forward and backward, the loss, the metric and the optimizer step is called once with a
spinning kernel queued in front of it; a call whose host time reaches the spin time waited for the device.
Prints one line per call and the names of the calls that synchronised."""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import pyldl_gpu as nn
from pyldl_gpu import backends

SPIN_S = 0.5


def probe(name: str, call, results: list):
    from test_cuda_sync import _occupy_gpu

    call()  # warm: kernels compiled, pool blocks cached
    nn.synchronize()
    _occupy_gpu(SPIN_S)
    start = time.perf_counter()
    out = call()
    elapsed = time.perf_counter() - start
    nn.synchronize()
    results.append((name, elapsed))
    print(f"{name:55s} {elapsed * 1e3:9.2f} ms {'SYNC' if elapsed > SPIN_S / 2 else ''}", flush=True)
    return out


def main() -> int:
    np = backends.host()
    rng = np.random.default_rng(0)
    results: list = []
    with nn.device("cuda"):
        net = nn.Sequential(nn.Conv2D(9, 1, 15), nn.ReLU(), nn.MaxPool2D(2), nn.Conv2D(5, 15, 20), nn.ReLU(),
                            nn.MaxPool2D(2), nn.Flatten(), nn.Linear(180, 100), nn.Dropout(0.2), nn.ReLU(),
                            nn.Linear(100, 10))
        loss = nn.CrossEntropyLoss()
        x = nn.asarray(rng.random((128, 28, 28, 1)))
        y = nn.asarray(rng.integers(0, 10, 128))
        h = x
        for i, m in enumerate(net):
            h = probe(f"forward {i} {m!r}", lambda m=m, h=h: m(h), results)
        out = h
        probe("loss forward", lambda: loss.forward(y, out), results)
        delta = probe("loss backward", lambda: loss.backward(y, out), results)
        probe("accuracy", lambda: nn.accuracy(y, out), results)
        for i, m in reversed(list(enumerate(net))):
            delta = probe(f"backward {i} {m!r}", lambda m=m, d=delta: m.backward(d), results)
        for name, make in [("SGD momentum", lambda: nn.SGD(net, lr=0.01, momentum=0.9)),
                           ("Adam", lambda: nn.Adam(net, lr=1e-3)), ("RMSProp", lambda: nn.RMSProp(net, lr=1e-3))]:
            opt = make()
            probe(f"{name} step", opt.step, results)
            probe(f"{name} zero_grad", opt.zero_grad, results)
        records = nn.xp().zeros((2, 4), dtype=nn.floatx())
        value = loss.forward(y, out)
        probe("records[0, 1] = loss", lambda: records.__setitem__((0, 1), value), results)
        order = nn.asarray(np.arange(128))
        probe("x[order] gather", lambda: x[order], results)
        opt = nn.Optim(net, loss, nn.Adam(net, lr=1e-3))
        probe("Optim.step", lambda: opt.step(x, y), results)
    synced = [name for name, t in results if t > SPIN_S / 2]
    print("synchronising calls:", synced or "none")
    return 1 if synced else 0


if __name__ == "__main__":
    sys.exit(main())
