"""PyTorch's side of a benchmark in a process of its own (``PYLDL_BENCH_ISOLATE=1``): its own C heap and thread
pools, as a PyTorch user has them, rather than the heap pyldl_gpu tuned in the benchmark's process.

    python bench/torch_worker.py KEY BATCH DEVICE train|inference

builds the workload, warms it up and prints ``ready``; then, for each line ``N`` on stdin, times N steps and
prints the seconds per step; ``quit`` or the end of stdin ends it. Exit status 3: PyTorch (or its CUDA) is
missing."""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ["PYLDL_MALLOC_TUNING"] = "0"  # before workloads imports pyldl_gpu: keep glibc's default heap
sys.path.insert(0, str(Path(__file__).resolve().parent))

from workloads import WORKLOADS, at_batch, build_torch, time_steps, torch_usable


def main(key: str, batch: str, device: str, mode: str) -> int:
    if not torch_usable(device):
        return 3
    step, sync = build_torch(at_batch(WORKLOADS[key], int(batch)), device=device, train=mode == "train")
    time_steps(step, sync, 3)
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() in ("", "quit"):
            break
        print(repr(time_steps(step, sync, int(line))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
