"""PyTorch's side of a benchmark in a process of its own (``PYLDL_BENCH_ISOLATE=1`` or ``tuned``): its own C heap
and thread pools, as a PyTorch user has them (``default``), or with the heap setting pyldl_gpu makes (``tuned``:
the same allocator as ours, nothing shared with our process).

    python bench/torch_worker.py KEY BATCH DEVICE train|inference default|tuned

builds the workload, warms it up and prints ``ready``; then, for each line ``N`` on stdin, times N steps and
prints the seconds per step; ``quit`` or the end of stdin ends it. Exit status 3: PyTorch (or its CUDA) is
missing; 4: the heap setting could not be made here."""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ["PYLDL_MALLOC_TUNING"] = "0"  # before workloads imports pyldl_gpu: no tuning unless asked below
sys.path.insert(0, str(Path(__file__).resolve().parent))

from workloads import WORKLOADS, at_batch, build_torch, time_steps, torch_usable

from pyldl_gpu.backends import _heap


def main(key: str, batch: str, device: str, mode: str, heap: str = "default") -> int:
    if heap == "tuned":
        os.environ.pop(_heap.ENV_VAR)
        if not _heap.keep_freed_memory():
            return 4
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
    sys.exit(main(*sys.argv[1:6]))
