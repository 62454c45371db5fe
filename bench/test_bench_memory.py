"""Peak memory of a training step of W1-W5 at their own batch and at batch 1024, ours and PyTorch, each in a
fresh process (bench/peak_memory.py) so both are measured by the same rule: on the CPU the growth of the
process's resident set, on CUDA the growth of the library's device memory pool."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from harness import DEVICES, require_device
from workloads import WORKLOADS, cases

CASES = [pytest.param(key, batch, id=f"{key}-b{batch}") for key, batch in cases()]


def _peak_mib(library: str, key: str, batch: int, device: str) -> float | None:
    probe = Path(__file__).with_name("peak_memory.py")
    out = subprocess.run([sys.executable, str(probe), library, key, str(batch), device], capture_output=True,
                         text=True, timeout=600)
    if out.returncode == 3:  # the library (PyTorch, or its CUDA build) is not available
        return None
    if out.returncode != 0:
        raise RuntimeError(f"peak_memory.py {library} {key} {batch} {device} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout)["peak_step_mib"]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("key, batch", CASES)
def test_peak_memory_of_a_training_step(benchmark, key, batch, device):
    require_device(device)
    ours = _peak_mib("ours", key, batch, device)
    theirs = _peak_mib("torch", key, batch, device)
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
    info = dict(workload=WORKLOADS[key].name, key=key, mode="memory", batch=batch, device=device,
                ours_peak_mib=round(ours, 1))
    if theirs:
        info.update(torch_peak_mib=round(theirs, 1), memory_ratio_ours_over_torch=round(ours / theirs, 2))
    benchmark.extra_info.update(info)
    assert ours > 0, "a training step needs memory: a zero or negative figure means the probe measured nothing"
