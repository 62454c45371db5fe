"""bench/harness.py's isolated PyTorch peer: a worker process that builds the workload and times its steps."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("tuned", [False, True])
def test_torch_worker_times_steps_in_a_process_of_its_own(tuned, bench_path):
    pytest.importorskip("torch", reason="PyTorch is the benchmark's peer; not installed here")
    from harness import TorchProcess
    from workloads import WORKLOADS, at_batch

    worker = TorchProcess(at_batch(WORKLOADS["W4"], 8), "cpu", train=True, tuned=tuned)
    try:
        assert worker.ready, "the worker builds the workload and says ready"
        seconds = [worker.seconds_per_step(n) for n in (3, 5)]
        assert all(0 < s < 10 for s in seconds), seconds
    finally:
        worker.close()
    assert worker.proc.returncode == 0
