"""Where an activation kernel starts to beat NumPy: the CPU backend's ReLU forward and the ReLU / sigmoid
backwards, Numba kernel against the array code (backends/generic/), on (size / 64, 64) float32 arrays, isolated,
in one process:

    python bench/small_work.py [--json OUT] [--md OUT]

The kernels take a second thread from kernels.PARALLEL_WORK elements on; under kernels.ELEMENTWISE_WORK the
backend sends activations to the array code (this measurement is why). Medians of 5 repeats of 2000 calls, in
microseconds per call. Run it under the CPU lock: it takes under a minute."""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import timeit
from pathlib import Path

from machine import write_outputs

SIZES = (1 << 12, 1 << 14, 1 << 16, 1 << 17, 1 << 18)


def _micros(call, number: int = 2000) -> float:
    call()
    return statistics.median(timeit.repeat(call, number=number, repeat=5)) / number * 1e6


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--md", type=Path)
    args = parser.parse_args(argv)

    from pyldl_gpu import backends
    from pyldl_gpu.backends.backend import Backend
    from pyldl_gpu.backends.cpu import kernels

    backend = backends.active()
    if backend.name != "cpu" or not backend.compiled:
        raise SystemExit("needs the CPU backend with its kernels (PYLDL_DEVICE=cpu, Numba, PYLDL_KERNELS unset)")
    kernels.ELEMENTWISE_WORK = 0  # every size to the kernel; Backend's own methods are the array code
    np = backends.host()
    ops = ("relu", "relu_backward", "sigmoid_backward")
    rows = {}
    for size in SIZES:
        d = np.random.default_rng(0).standard_normal((size // 64, 64)).astype(np.float32)
        y = np.maximum(d, 0)
        for name in ops:
            inputs = (d,) if name == "relu" else (y, d)
            fast, generic = getattr(backend, name), getattr(Backend, name)
            kernel = _micros(lambda fast=fast, inputs=inputs: fast(*inputs))
            array = _micros(lambda generic=generic, inputs=inputs: generic(backend, *inputs))
            rows[f"{name} {size}"] = dict(op=name, size=size, kernel_us=round(kernel, 1), array_us=round(array, 1))
    report = dict(date=time.strftime("%Y-%m-%d %H:%M:%S"), parallel_work=kernels.PARALLEL_WORK, rows=rows)
    lines = ["# Activation kernels against the array code (bench/small_work.py)", "", f"run {report['date']}; "
             f"kernels take a second thread from {kernels.PARALLEL_WORK:,} elements", "",
             "| operation | elements | kernel, us | array code, us | array / kernel |", "|---|---:|---:|---:|---:|"]
    lines += [f"| {r['op']} | {r['size']:,} | {r['kernel_us']:.1f} | {r['array_us']:.1f} | "
              f"{r['array_us'] / r['kernel_us']:.2f}x |" for r in rows.values()]
    write_outputs(report, "\n".join(lines) + "\n", args.json, args.md)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
