"""python bench/peak_memory.py ours|torch KEY [BATCH] [cpu|cuda]: the peak extra memory (MiB) of training, as JSON.
Exit status 3 when the library (PyTorch, or its CUDA support) is not available.

The library first runs one step of the same workload at batch 2 (one-time set-up: kernels, thread pools, the CUDA
context); the baseline is taken after it and before the model and data are built; then six training steps run.
CPU: the result is the kernel's RSS high-water mark (reset at the baseline through /proc/self/clear_refs) minus
the baseline RSS. CUDA: the growth of the library's device memory pool (CuPy's pool; PyTorch's caching
allocator, max_memory_reserved) over the baseline, after cached free blocks were released. Either way: model,
gradients, data and everything a step needs, by the same rule for both libraries whatever their allocators
keep."""

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


class _CpuMeter:
    """Resident-set growth: the kernel's high-water mark (reset at start) minus the RSS at start."""

    def start(self) -> None:
        gc.collect()
        self.baseline = _status_kib("VmRSS")
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset VmHWM to the current RSS

    def peak_mib(self) -> float:
        return (_status_kib("VmHWM") - self.baseline) / 1024


class _OursCudaMeter:
    """Growth of CuPy's device memory pool (it never shrinks unless asked, so its size is its peak)."""

    def start(self) -> None:
        from pyldl_gpu import backends

        self.backends = backends
        gc.collect()
        backends.synchronize()
        backends.release_memory()
        self.baseline = backends.memory_reserved()

    def peak_mib(self) -> float:
        return (self.backends.memory_reserved() - self.baseline) / 2**20


class _TorchCudaMeter:
    """Growth of PyTorch's caching allocator: max_memory_reserved over the reserved bytes at start."""

    def start(self) -> None:
        import torch

        self.torch = torch
        gc.collect()
        torch.cuda.synchronize()
        torch.cuda.empty_cache()
        self.baseline = torch.cuda.memory_reserved()
        torch.cuda.reset_peak_memory_stats()

    def peak_mib(self) -> float:
        return (self.torch.cuda.max_memory_reserved() - self.baseline) / 2**20


def _measure(build, warm, w, meter) -> float:
    """One step of ``warm`` first (one-time set-up stays out), then the baseline, then model, data and six
    training steps of ``w``; the meter's peak above the baseline, in MiB."""
    step, sync = build(warm)
    step(0)
    sync()
    del step, sync
    meter.start()
    step, sync = build(w)
    for i in range(6):
        step(i)
    sync()
    return meter.peak_mib()


def main(library: str, key: str, batch: int | None = None, device: str = "cpu") -> int:
    """Measure from before the model and data are built (both libraries hold the same parameters and data;
    gradient buffers count whether allocated up front, as ours, or at the first backward, as PyTorch's)."""
    from workloads import WORKLOADS, at_batch, build_ours, build_torch, torch_usable

    import pyldl_gpu as nn

    w = at_batch(WORKLOADS[key], batch or WORKLOADS[key].batch)
    warm = at_batch(w, 2)  # one-time runtime set-up (kernels, thread pools, CUDA context) stays out of the figure
    if library == "ours":
        with nn.device(device):  # the CUDA pool is read inside the device context
            peak = _measure(build_ours, warm, w, _CpuMeter() if device == "cpu" else _OursCudaMeter())
    else:
        if not torch_usable(device):
            return 3
        meter = _CpuMeter() if device == "cpu" else _TorchCudaMeter()
        peak = _measure(lambda wl: build_torch(wl, device=device), warm, w, meter)
    print(json.dumps({"library": library, "workload": key, "batch": w.batch, "device": device,
                      "peak_step_mib": peak}))
    return 0


if __name__ == "__main__":
    args = sys.argv[1:]
    sys.exit(main(args[0], args[1], int(args[2]) if len(args) > 2 else None, args[3] if len(args) > 3 else "cpu"))
