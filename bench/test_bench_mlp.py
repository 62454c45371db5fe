"""Training throughput of the MLP workloads W1, W2, W5: pyldl_gpu vs PyTorch on the same CPU, float32.

Run:  pytest bench/test_bench_mlp.py --benchmark-json bench/results/mlp-cpu.json
pytest-benchmark times our rounds; PyTorch's round runs in the (untimed) setup before each of ours, so the
two alternate and machine drift cancels; a pause before every round lets the other library's worker threads
stop spinning first. extra_info holds both throughputs and their ratio."""

from __future__ import annotations

import statistics

import pytest
from workloads import WORKLOADS, build_ours, build_torch, settle, time_steps

STEPS_PER_ROUND = {"W1": 30, "W2": 6, "W5": 20}
ROUNDS = 15


@pytest.mark.parametrize("key", ["W1", "W2", "W5"])
def test_training_throughput(benchmark, key):
    w = WORKLOADS[key]
    n = STEPS_PER_ROUND[key]
    ours = build_ours(w)
    try:
        import torch

        torch.set_num_threads(max(1, torch.get_num_threads()))
        theirs = build_torch(w)
    except ImportError:
        theirs = None
    ours_times, torch_times = [], []
    time_steps(*ours, 3)
    if theirs:
        time_steps(*theirs, 3)

    def torch_round():  # untimed by pytest-benchmark: PyTorch's round, then a pause before ours
        if theirs:
            settle()
            torch_times.append(time_steps(*theirs, n))
        settle()

    def ours_round():
        ours_times.append(time_steps(*ours, n))

    benchmark.pedantic(ours_round, setup=torch_round, rounds=ROUNDS, iterations=1)
    ours_sps = w.batch / statistics.median(ours_times)
    benchmark.extra_info.update(workload=w.name, batch=w.batch, steps_per_round=n,
                                ours_samples_per_s=round(ours_sps, 1))
    if theirs:
        ratios = [t / o for o, t in zip(ours_times, torch_times)]
        benchmark.extra_info.update(
            torch_samples_per_s=round(w.batch / statistics.median(torch_times), 1),
            ratio_ours_over_torch=round(statistics.median(ratios), 3),
            ratio_min=round(min(ratios), 3), ratio_max=round(max(ratios), 3),
        )
    assert ours_sps > 0
