"""One measurement used by every benchmark file: pytest-benchmark times our rounds, PyTorch's round runs in
the untimed setup before each of ours (so the two alternate and machine drift cancels), and a pause before
every round lets the other library's worker threads stop spinning first."""

from __future__ import annotations

import statistics

from workloads import Workload, build_ours, build_torch, settle, steps_for, time_steps

ROUNDS = 15


def compare_with_torch(benchmark, w: Workload, train: bool = True, rounds: int = ROUNDS) -> dict:
    ours = build_ours(w, train=train)
    try:
        import torch  # noqa: F401

        theirs = build_torch(w, train=train)
    except ImportError:
        theirs = None
    n = steps_for(time_steps(*ours, 3))
    if theirs:
        time_steps(*theirs, 3)
    ours_times, torch_times = [], []

    def torch_round():
        if theirs:
            settle()
            torch_times.append(time_steps(*theirs, n))
        settle()

    def ours_round():
        ours_times.append(time_steps(*ours, n))

    benchmark.pedantic(ours_round, setup=torch_round, rounds=rounds, iterations=1)
    info = dict(workload=w.name, mode="train" if train else "inference", batch=w.batch, steps_per_round=n,
                ours_samples_per_s=round(w.batch / statistics.median(ours_times), 1))
    if theirs:
        ratios = [t / o for o, t in zip(ours_times, torch_times)]
        info.update(torch_samples_per_s=round(w.batch / statistics.median(torch_times), 1),
                    ratio_ours_over_torch=round(statistics.median(ratios), 3),
                    ratio_min=round(min(ratios), 3), ratio_max=round(max(ratios), 3))
    benchmark.extra_info.update(info)
    return info
