"""The NumPy backend keeps the C heap's freed memory for the next step (glibc): no page faults per step."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from pyldl_gpu.backends import _heap

# Two 3 MiB arrays allocated, touched and freed 30 times: with glibc's default thresholds the freed top of the
# heap (6 MiB >= the adaptive trim threshold) goes back to the OS each time, and the next pair faults anew.
SCRIPT = """
import resource
import pyldl_gpu as nn
from pyldl_gpu import backends
np = backends.host()
nn.asarray([0.0])  # the CPU backend exists
for warm in range(3):
    a, b = np.ones(3 << 18, np.float32), np.ones(3 << 18, np.float32)
    del a, b
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(30):
    a, b = np.ones(3 << 18, np.float32), np.ones(3 << 18, np.float32)
    del a, b
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(tuning: str) -> int:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    env[_heap.ENV_VAR] = tuning
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc heap tuning is Linux-only")
def test_cpu_backend_keeps_freed_memory_mapped():
    untuned = _faults("0")
    if untuned < 30 * 1000:
        pytest.skip(f"this C library does not trim its heap like glibc does ({untuned} page faults untuned)")
    tuned = _faults("1")
    assert tuned < untuned / 20, (tuned, untuned)


def test_opt_out_and_user_tuning_are_respected(monkeypatch):
    monkeypatch.setattr(_heap, "_done", False)
    monkeypatch.setenv(_heap.ENV_VAR, "0")
    assert _heap.keep_freed_memory() is False
    monkeypatch.setenv(_heap.ENV_VAR, "1")
    monkeypatch.setenv("MALLOC_ARENA_MAX", "2")
    assert _heap.keep_freed_memory() is False
