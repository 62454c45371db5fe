"""One measurement used by every benchmark file: pytest-benchmark times our rounds, PyTorch's round runs in
the untimed setup before each of ours (so the two alternate and machine drift cancels), and on the CPU a pause
before every round lets the other library's worker threads stop spinning first.

PyTorch runs in the benchmark's own process by default, sharing its C heap, which pyldl_gpu tunes (see
pyldl_gpu/backends/_heap.py): both libraries then get the same heap. With ``PYLDL_BENCH_ISOLATE=1`` PyTorch's
rounds run in a worker process of their own (bench/worker.py) with glibc's default heap, as a PyTorch
user has it; with ``PYLDL_BENCH_ISOLATE=tuned`` in a worker process given the same heap setting as ours (equal
heaps, nothing shared). Each result records which (``torch_process``: shared, own or own-tuned)."""

from __future__ import annotations

import os
import statistics

import pytest
from worker import Worker
from workloads import (
    ROUNDS,
    Workload,
    at_batch,
    build_ours,
    build_torch,
    settle,
    steps_for,
    time_steps,
    torch_usable,
)

import pyldl_gpu as nn
from pyldl_gpu import backends

DEVICES = ["cpu", "cuda"]
ISOLATE = {"1": "own", "tuned": "own-tuned"}.get(os.environ.get("PYLDL_BENCH_ISOLATE", ""))


def require_device(device: str) -> None:
    """Skip with a reason when the device cannot run here."""
    if device == "cuda" and not backends.cuda_is_available():
        pytest.skip("CUDA not usable here: CuPy missing or no CUDA device")


class TorchProcess(Worker):
    """PyTorch's workload in its own process (bench/worker.py); ``seconds_per_step(n)`` times n steps.
    tuned: give that process pyldl_gpu's heap setting (else glibc's default heap)."""

    def __init__(self, w: Workload, device: str, train: bool, tuned: bool = False) -> None:
        super().__init__(w, device, train, heap="tuned" if tuned else "default", lib="torch")


def torch_peer(w: Workload, device: str, train: bool, process: str | None = ISOLATE):
    """A function timing n of PyTorch's steps on the same device (seconds per step) and a closer, or None when
    PyTorch (or its CUDA) is missing. process: None (or 'shared') for this process, 'own' or 'own-tuned' for a
    worker process (default: as PYLDL_BENCH_ISOLATE says)."""
    if process in ("own", "own-tuned"):
        worker = TorchProcess(w, device, train, tuned=process == "own-tuned")
        return (worker.seconds_per_step, worker.close) if worker.ready else None
    if not torch_usable(device):
        return None
    step, sync = build_torch(w, device=device, train=train)
    return (lambda n: time_steps(step, sync, n)), (lambda: None)


def compare_with_torch(benchmark, w: Workload, train: bool = True, device: str = "cpu", batch: int | None = None,
                       rounds: int = ROUNDS) -> dict:
    """Samples/s of ours and PyTorch's on ``device``, alternated round by round; returns (and stores as the
    benchmark's extra_info) the medians and the median of per-round ratios."""
    require_device(device)
    w = at_batch(w, batch or w.batch)
    with nn.device(device):
        ours = build_ours(w, train=train)
        theirs = torch_peer(w, device, train)
        n = steps_for(time_steps(*ours, 3))
        if theirs:
            theirs[0](3)
        ours_times, torch_times = [], []

        def torch_round():
            if theirs:
                settle(device)
                torch_times.append(theirs[0](n))
            settle(device)

        def ours_round():
            ours_times.append(time_steps(*ours, n))

        try:
            benchmark.pedantic(ours_round, setup=torch_round, rounds=rounds, iterations=1)
        finally:
            if theirs:
                theirs[1]()
        described = backends.active().describe()
    info = dict(workload=w.name, key=w.name.split()[0], mode="train" if train else "inference", batch=w.batch,
                device=device, device_name=described, steps_per_round=n,
                ours_samples_per_s=round(w.batch / statistics.median(ours_times), 1))
    if theirs:
        ratios = [t / o for o, t in zip(ours_times, torch_times)]
        info.update(torch_process=ISOLATE or "shared",
                    torch_samples_per_s=round(w.batch / statistics.median(torch_times), 1),
                    ratio_ours_over_torch=round(statistics.median(ratios), 3),
                    ratio_min=round(min(ratios), 3), ratio_max=round(max(ratios), 3))
    benchmark.extra_info.update(info)
    return info
