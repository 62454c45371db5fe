"""One measurement used by every benchmark file: pytest-benchmark times our rounds, PyTorch's round runs in
the untimed setup before each of ours (so the two alternate and machine drift cancels), and on the CPU a pause
before every round lets the other library's worker threads stop spinning first."""

from __future__ import annotations

import statistics

import pytest
from workloads import ROUNDS, Workload, at_batch, build_ours, build_torch, settle, steps_for, time_steps

import pyldl_gpu as nn
from pyldl_gpu import backends

DEVICES = ["cpu", "cuda"]


def require_device(device: str) -> None:
    """Skip with a reason when the device cannot run here."""
    if device == "cuda" and not backends.cuda_is_available():
        pytest.skip("CUDA not usable here: CuPy missing or no CUDA device")


def _torch_peer(w: Workload, device: str, train: bool):
    """PyTorch's version of the workload on the same device, or None when PyTorch (or its CUDA) is missing."""
    try:
        import torch
    except ImportError:
        return None
    if device == "cuda" and not torch.cuda.is_available():
        return None
    return build_torch(w, device=device, train=train)


def compare_with_torch(benchmark, w: Workload, train: bool = True, device: str = "cpu", batch: int | None = None,
                       rounds: int = ROUNDS) -> dict:
    """Samples/s of ours and PyTorch's on ``device``, alternated round by round; returns (and stores as the
    benchmark's extra_info) the medians and the median of per-round ratios."""
    require_device(device)
    w = at_batch(w, batch or w.batch)
    with nn.device(device):
        ours = build_ours(w, train=train)
        theirs = _torch_peer(w, device, train)
        n = steps_for(time_steps(*ours, 3))
        if theirs:
            time_steps(*theirs, 3)
        ours_times, torch_times = [], []

        def torch_round():
            if theirs:
                settle(device)
                torch_times.append(time_steps(*theirs, n))
            settle(device)

        def ours_round():
            ours_times.append(time_steps(*ours, n))

        benchmark.pedantic(ours_round, setup=torch_round, rounds=rounds, iterations=1)
        described = backends.active().describe()
    info = dict(workload=w.name, key=w.name.split()[0], mode="train" if train else "inference", batch=w.batch,
                device=device, device_name=described, steps_per_round=n,
                ours_samples_per_s=round(w.batch / statistics.median(ours_times), 1))
    if theirs:
        ratios = [t / o for o, t in zip(ours_times, torch_times)]
        info.update(torch_samples_per_s=round(w.batch / statistics.median(torch_times), 1),
                    ratio_ours_over_torch=round(statistics.median(ratios), 3),
                    ratio_min=round(min(ratios), 3), ratio_max=round(max(ratios), 3))
    benchmark.extra_info.update(info)
    return info
