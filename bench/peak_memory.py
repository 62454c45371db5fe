"""python bench/peak_memory.py ours|torch W3: the peak extra resident memory (MiB) of training, as JSON.

Baseline: the process's RSS once the model and data are built, before any step. Then the kernel's RSS
high-water mark is reset (/proc/self/clear_refs) and one warm-up plus five training steps run; the result
is the new high-water mark minus the baseline: everything training needs on top of model and data, measured
the same way for both libraries whatever their allocators keep."""

from __future__ import annotations

import gc
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} missing from /proc/self/status")


def main(library: str, key: str) -> None:
    from workloads import WORKLOADS, build_ours, build_torch

    w = WORKLOADS[key]
    step, sync = build_ours(w) if library == "ours" else build_torch(w)
    gc.collect()
    baseline = _status_kib("VmRSS")
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset VmHWM to the current RSS
    for i in range(6):
        step(i)
    sync()
    peak = _status_kib("VmHWM")
    print(json.dumps({"library": library, "workload": key, "peak_step_mib": (peak - baseline) / 1024}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
