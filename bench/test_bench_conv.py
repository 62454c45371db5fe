"""Convolution workloads W3 (LeNet-style, batch 128, 28x28) and W4 (seed Conv1D net, batch 64, length 256):
training and inference throughput vs PyTorch on the same CPU, and the peak memory of a W3 training step.

Run:  pytest bench/test_bench_conv.py --benchmark-json bench/results/conv-cpu.json
then: python bench/report.py bench/results/conv-cpu.json"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from harness import compare_with_torch
from workloads import WORKLOADS


@pytest.mark.parametrize("key", ["W3", "W4"])
def test_training_throughput(benchmark, key):
    info = compare_with_torch(benchmark, WORKLOADS[key])
    assert info["ours_samples_per_s"] > 0


def test_inference_throughput_w3(benchmark):
    info = compare_with_torch(benchmark, WORKLOADS["W3"], train=False)
    assert info["ours_samples_per_s"] > 0


def _peak_mib(library: str) -> float:
    probe = Path(__file__).with_name("peak_memory.py")
    out = subprocess.run([sys.executable, str(probe), library, "W3"], capture_output=True, text=True, check=True,
                         timeout=300)
    return json.loads(out.stdout)["peak_step_mib"]


def test_peak_memory_w3_training_step(benchmark):
    """Extra resident memory of a W3 training step above the loaded model and data, each library in a fresh
    process (RSS high-water mark), so both are measured the same way."""
    ours = _peak_mib("ours")
    try:
        import torch  # noqa: F401

        theirs = _peak_mib("torch")
    except ImportError:
        theirs = None
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
    benchmark.extra_info.update(workload="W3 peak memory of a training step", mode="memory", batch=128,
                                ours_peak_mib=round(ours, 1))
    if theirs:
        benchmark.extra_info.update(torch_peak_mib=round(theirs, 1),
                                    memory_ratio_ours_over_torch=round(ours / theirs, 2))
    assert ours > 0
