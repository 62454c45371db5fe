"""python bench/profile_step.py [KEY] [BATCH] [cpu|cuda]: where a training step's time goes, module by module.

Each module's forward and backward (and the loss and the optimizer step) is timed on its own, device-
synchronised, median of 20 calls; conv workloads are profiled with each convolution algorithm. For choosing
what to optimise, not for reporting (use the benchmarks for that)."""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pyldl_gpu as nn
from pyldl_gpu import backends


def _median_ms(call, repeats: int = 20) -> float:
    call()
    times = []
    for _ in range(repeats):
        nn.synchronize()
        start = time.perf_counter()
        call()
        nn.synchronize()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def profile(key: str, batch: int, algorithm: str | None) -> None:
    from workloads import WORKLOADS, at_batch, synthetic_data

    w = at_batch(WORKLOADS[key], batch)
    net, loss = w.ours()
    if algorithm:
        for m in net.modules():
            if isinstance(m, nn.Conv2D):
                m.algorithm = algorithm
    opt = nn.SGD(net, lr=0.01)
    x, y = synthetic_data(w, n_batches=1)
    x, y = nn.asarray(x), nn.asarray(y)
    rows, h, saved = [], x, []
    for m in net:
        rows.append((f"forward  {m!r}", _median_ms(lambda m=m, h=h: m.forward_with_state(h))))
        h, record = m.forward_with_state(h)
        saved.append(record)
    out = h
    rows.append(("loss forward + backward", _median_ms(lambda: (loss.forward(y, out), loss.backward(y, out)))))
    delta = loss.backward(y, out)
    for i, m in reversed(list(enumerate(net))):
        rows.append((f"backward {m!r}", _median_ms(
            lambda m=m, d=delta, i=i: m.backward_with_state(saved[i], d, input_grad=i > 0))))
        delta = m.backward_with_state(saved[i], delta) if i > 0 else None
    rows.append(("SGD step", _median_ms(opt.step)))
    trainer = nn.Optim(net, loss, opt)
    whole = _median_ms(lambda: trainer.step(x, y))
    print(f"\n{w.name}, batch {batch}, {backends.active().describe()}, conv algorithm {algorithm or 'n/a'}")
    for name, ms in rows:
        print(f"  {name:60s} {ms:8.3f} ms")
    print(f"  {'sum of parts':60s} {sum(ms for _, ms in rows):8.3f} ms")
    print(f"  {'whole Optim.step':60s} {whole:8.3f} ms   -> {batch / whole * 1e3:,.0f} samples/s")


def main(argv: list[str]) -> int:
    key = argv[0] if argv else "W3"
    batch = int(argv[1]) if len(argv) > 1 else 1024
    device = argv[2] if len(argv) > 2 else "cuda"
    with nn.device(device):
        algorithms = ["auto", "im2col", "banded"] if key in ("W3", "W4") else [None]
        for algorithm in algorithms:
            profile(key, batch, algorithm)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
