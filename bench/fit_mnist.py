"""Real training, end to end: the LeNet-style CNN (bench/workloads.py's W3 net) trained for one epoch on the first
10 000 MNIST training images, SGD with momentum 0.9, lr 0.01, batch 128, shuffled, in pyldl_gpu (``Optim.fit``)
and in PyTorch (its usual loop: a shuffled permutation, slices, zero_grad / backward / step), each library in a
worker process of its own, rounds alternated:

    python bench/fit_mnist.py [--rounds 7] [--heap tuned|shipped|default] [--images 10000] [--json OUT] [--md OUT]

Each round runs one epoch in each worker (the order rotated every round, settle() before each) and times it from
the host data to the last update; each worker trains its own model on through the rounds, so every round after
the first is a steady-state epoch of the same run. The first round of each worker (start-up, first-use kernels)
is reported apart and left out of the ratio. ``--heap tuned`` gives both workers pyldl_gpu's glibc heap setting
(equal heaps), ``shipped`` each library's own (ours tuned, PyTorch glibc's default: as each ships), ``default``
glibc's to both. Data: $PYLDL_DATA/mnist (the idx files; nothing is downloaded)."""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from machine import cpu_model, environment, write_outputs  # noqa: E402
from worker import tune_heap  # noqa: E402
from workloads import settle  # noqa: E402

BATCH, LR, MOMENTUM = 128, 0.01, 0.9
HEAPS = {"tuned": ("tuned", "tuned", "equal heaps (pyldl_gpu's heap setting in both)"),  # ours, PyTorch, text
         "shipped": ("tuned", "default", "each library's heap as it ships (ours tuned, PyTorch glibc's default)"),
         "default": ("default", "default", "glibc's default heap in both")}


def _data(images: int):
    from pyldl_gpu import datasets

    x, y = datasets.load_mnist("train", download=False)
    return x[:images, :, :, None], y[:images]  # channels-last (n, 28, 28, 1)


def ours(images: int, seed: int = 0):
    """A function training one epoch of pyldl_gpu's LeNet (seconds)."""
    from workloads import lenet_ours

    import pyldl_gpu as nn

    nn.manual_seed(seed)
    x, y = _data(images)
    net, loss = lenet_ours()
    trainer = nn.Optim(net, loss, nn.SGD(net, lr=LR, momentum=MOMENTUM))

    def epoch() -> float:
        start = time.perf_counter()
        trainer.fit(x, y, epochs=1, batch_size=BATCH, verbose=False)
        return time.perf_counter() - start

    return epoch


def theirs(images: int, seed: int = 0):
    """A function training one epoch of PyTorch's LeNet (seconds), channels-first as PyTorch has it."""
    import numpy
    import torch
    from workloads import lenet_torch

    torch.manual_seed(seed)
    x, y = _data(images)
    x = numpy.ascontiguousarray(numpy.moveaxis(x, -1, 1))
    net, loss_fn = lenet_torch()
    opt = torch.optim.SGD(net.parameters(), lr=LR, momentum=MOMENTUM)

    def epoch() -> float:
        start = time.perf_counter()
        xt, yt = torch.from_numpy(x), torch.from_numpy(y)  # the host data, as fit gets it
        order = torch.randperm(len(yt))
        for i in range(0, len(yt), BATCH):
            idx = order[i:i + BATCH]
            opt.zero_grad(set_to_none=True)
            loss_fn(net(xt[idx]), yt[idx]).backward()
            opt.step()
        return time.perf_counter() - start

    return epoch


def worker_main(lib: str, heap: str, images: int) -> int:
    os.environ["PYLDL_MALLOC_TUNING"] = "0"  # the heap setting is the worker's, made alike for both libraries
    if heap == "tuned" and not tune_heap():
        return 4
    epoch = ours(images) if lib == "ours" else theirs(images)
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() != "epoch":
            break
        print(repr(epoch()), flush=True)
    return 0


class Side:
    def __init__(self, lib: str, heap: str, images: int) -> None:
        command = [sys.executable, str(Path(__file__).resolve()), "--worker", lib, "--worker-heap", heap, "--images",
                   str(images)]
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        if self.proc.stdout.readline().strip() != "ready":
            raise RuntimeError(f"the {lib} worker did not start (exit status {self.proc.wait()})")

    def epoch(self) -> float:
        self.proc.stdin.write("epoch\n")
        self.proc.stdin.flush()
        return float(self.proc.stdout.readline())

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worker", choices=("ours", "torch"))
    parser.add_argument("--heap", choices=tuple(HEAPS), default="tuned")
    parser.add_argument("--worker-heap", choices=("tuned", "default"), help=argparse.SUPPRESS)
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--md", type=Path)
    args = parser.parse_args(argv)
    if args.worker:
        return worker_main(args.worker, args.worker_heap, args.images)
    heaps = dict(zip(("ours", "torch"), HEAPS[args.heap][:2]))
    sides = {lib: Side(lib, heaps[lib], args.images) for lib in ("ours", "torch")}
    times: dict[str, list[float]] = {lib: [] for lib in sides}
    try:
        for r in range(args.rounds + 1):  # round 0: each worker's first epoch, reported apart
            for lib in (("ours", "torch") if r % 2 == 0 else ("torch", "ours")):
                settle()
                times[lib].append(sides[lib].epoch())
    finally:
        for side in sides.values():
            side.close()
    ratios = [t / o for o, t in zip(times["ours"][1:], times["torch"][1:])]
    report = dict(benchmark="LeNet one epoch, fit", images=args.images, batch=BATCH, lr=LR, momentum=MOMENTUM,
                  heap=args.heap, rounds=args.rounds, cpu=cpu_model(), environment=environment(),
                  date=time.strftime("%Y-%m-%d %H:%M:%S"), seconds_per_epoch=times,
                  first_epoch_s={lib: round(t[0], 3) for lib, t in times.items()},
                  median_epoch_s={lib: round(statistics.median(t[1:]), 3) for lib, t in times.items()},
                  ratio_ours_over_torch={"median": round(statistics.median(ratios), 3),
                                         "min": round(min(ratios), 3), "max": round(max(ratios), 3)})
    table = (f"# LeNet, one epoch of fit on {args.images} MNIST images (bench/fit_mnist.py)\n\n"
             f"SGD lr {LR} momentum {MOMENTUM}, batch {BATCH}; each library in its own worker process, "
             f"{HEAPS[args.heap][2]}; "
             f"{args.rounds} alternated rounds after a first epoch each; CPU: {report['cpu']}; run {report['date']}\n\n"
             "| | pyldl_gpu | PyTorch |\n|---|---:|---:|\n"
             f"| first epoch (start-up, first use) | {report['first_epoch_s']['ours']:.2f} s "
             f"| {report['first_epoch_s']['torch']:.2f} s |\n"
             f"| median epoch | {report['median_epoch_s']['ours']:.2f} s "
             f"| {report['median_epoch_s']['torch']:.2f} s |\n\n"
             f"Throughput ours / PyTorch, per round: **{report['ratio_ours_over_torch']['median']:.2f}x** "
             f"({report['ratio_ours_over_torch']['min']:.2f}-{report['ratio_ours_over_torch']['max']:.2f})\n")
    write_outputs(report, table, args.json, args.md)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
