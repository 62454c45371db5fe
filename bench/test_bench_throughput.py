"""Training and inference throughput of W1-W5, each at its own batch and at batch 1024, on each device
(cpu, cuda; cuda skipped where unusable), ours and PyTorch on the same device alternated in one run.

Run on a 2-core CPU (the issue targets at the workloads' own batches):
    pytest bench/test_bench_throughput.py -k "cpu and not 1024" --benchmark-json bench/results/cpu.json
Run on a GPU machine (CPU and GPU in one run, fewer rounds):
    PYLDL_BENCH_ROUNDS=5 pytest bench/ --benchmark-json bench/results/FILE.json
then: python bench/report.py bench/results/FILE.json   (markdown table + PNG chart)"""

from __future__ import annotations

import pytest
from harness import DEVICES, compare_with_torch
from workloads import WORKLOADS, cases

CASES = [pytest.param(key, batch, id=f"{key}-b{batch}") for key, batch in cases()]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("mode", ["train", "inference"])
@pytest.mark.parametrize("key, batch", CASES)
def test_throughput(benchmark, key, batch, mode, device):
    info = compare_with_torch(benchmark, WORKLOADS[key], train=mode == "train", device=device, batch=batch)
    assert info["ours_samples_per_s"] > 0
