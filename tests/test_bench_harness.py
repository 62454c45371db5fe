"""bench/harness.py's isolated PyTorch peer: a worker process that builds the workload and times its steps."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.mark.parametrize("tuned", [False, True])
def test_torch_worker_times_steps_in_a_process_of_its_own(tuned):
    pytest.importorskip("torch", reason="PyTorch is the benchmark's peer; not installed here")
    sys.path.insert(0, str(BENCH))
    try:
        from harness import TorchProcess
        from workloads import WORKLOADS, at_batch
    finally:
        sys.path.remove(str(BENCH))
    worker = TorchProcess(at_batch(WORKLOADS["W4"], 8), "cpu", train=True, tuned=tuned)
    try:
        assert worker.ready, "the worker builds the workload and says ready"
        seconds = [worker.seconds_per_step(n) for n in (3, 5)]
        assert all(0 < s < 10 for s in seconds), seconds
    finally:
        worker.close()
    assert worker.proc.returncode == 0
