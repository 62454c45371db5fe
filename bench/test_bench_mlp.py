"""Training throughput of the MLP workloads W1, W2, W5: pyldl_gpu vs PyTorch on the same CPU, float32.

Run:  pytest bench/test_bench_mlp.py --benchmark-json bench/results/mlp-cpu.json
then: python bench/report.py bench/results/mlp-cpu.json"""

from __future__ import annotations

import pytest
from harness import compare_with_torch
from workloads import WORKLOADS


@pytest.mark.parametrize("key", ["W1", "W2", "W5"])
def test_training_throughput(benchmark, key):
    info = compare_with_torch(benchmark, WORKLOADS[key])
    assert info["ours_samples_per_s"] > 0
