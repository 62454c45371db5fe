"""The benchmark summary of the Devices and performance page, generated from bench/results/*.json.

CPU: ours / PyTorch per workload, in the three set-ups of bench/harness.py (PyTorch in our process, in its own
process with glibc's default heap, in its own process with our heap setting), each cell from the first listed
results file that has the row. GPU: batch 1024 on the H100 run, against the targets bench/report.py checks.
The rows are parsed by bench/report.py itself, so the docs and the committed .md tables never disagree."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from matplotlib.figure import Figure
from written import save_figure, write_text

# where each set-up's rows come from, newest run first (file stems under bench/results/)
CPU_SOURCES = {
    "shared": ("cpu-2core-cnn-tiles-shared", "cpu-2core-dp"),
    "own": ("cpu-2core-cnn-tiles-own", "cpu-2core-isolated"),
    "own-tuned": ("cpu-2core-cnn-tiles-own-tuned",),
}
SETUPS = {"shared": "PyTorch in our process", "own": "PyTorch in its own process, default heap",
          "own-tuned": "PyTorch in its own process, same heap"}
# the performance targets of the issues, ours / PyTorch on the CPU (workload key, mode) -> target
CPU_TARGETS = {("W1", "train"): 0.9, ("W2", "train"): 0.8, ("W3", "train"): 0.7, ("W3dp", "train"): 0.7,
               ("W3", "inference"): 0.5, ("W4", "train"): 1.2, ("W5", "train"): 1.0}
GPU_SOURCE = "h100-throughput"


def _report(results: Path):
    spec = importlib.util.spec_from_file_location("bench_report", results.parent / "report.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rows(report, results: Path, stem: str) -> dict:
    return report._rows(json.loads((results / f"{stem}.json").read_text()))[0]


def cpu_summary(report, results: Path) -> list[dict]:
    """One dict per (workload, mode) with a target: its label, target and {setup: (ratio, min, max, source)}."""
    found: dict[tuple, dict] = {}
    for setup, stems in CPU_SOURCES.items():
        for stem in stems:
            for (key, workload, batch, mode), by_device in _rows(report, results, stem).items():
                info = by_device.get("cpu")
                if (key, mode) not in CPU_TARGETS or not info or info.get("ratio_ours_over_torch") is None:
                    continue
                row = found.setdefault((key, mode), {"label": f"{workload}, batch {batch} ({mode})",
                                                     "target": CPU_TARGETS[(key, mode)], "cells": {}})
                row["cells"].setdefault(setup, (info["ratio_ours_over_torch"], info["ratio_min"],
                                                info["ratio_max"], stem))
    order = list(CPU_TARGETS)
    return [found[k] for k in sorted(found, key=order.index)]


def _cell(cell, target: float) -> str:
    if cell is None:
        return ""
    ratio, low, high, stem = cell
    verdict = "" if ratio >= target else " **not met**"
    shown = f"{ratio:.3f}" if round(ratio, 2) >= target > ratio else f"{ratio:.2f}"  # 0.7996 is not 0.80
    return f"{shown}x ({low:.2f}-{high:.2f}){verdict} `{stem}`"


def cpu_table(rows: list[dict]) -> str:
    head = "| workload | target | " + " | ".join(SETUPS.values()) + " |"
    lines = [head, "|---|---:|" + "---:|" * len(SETUPS)]
    for row in rows:
        cells = [_cell(row["cells"].get(setup), row["target"]) for setup in SETUPS]
        lines.append(f"| {row['label']} | {row['target']}x | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def cpu_chart(rows: list[dict], path: Path) -> Path:
    fig = Figure(figsize=(10, 1.0 + 0.55 * len(rows)), layout="constrained")
    ax = fig.subplots()
    height = 0.26
    for s, setup in enumerate(SETUPS):
        values = [row["cells"].get(setup, (0,))[0] for row in rows]
        ax.barh([i + (s - 1) * height for i in range(len(rows))], values, height=height, label=SETUPS[setup])
    for i, row in enumerate(rows):
        ax.plot([row["target"]] * 2, [i - 0.45, i + 0.45], color="black", lw=1.5, label="target" if i == 0 else None)
    ax.set_yticks(range(len(rows)), [row["label"].split(",")[0] + " " + row["label"].rsplit(" ", 1)[1]
                                     for row in rows])
    ax.invert_yaxis()
    ax.axvline(1.0, color="#888888", lw=0.8, ls=":")
    ax.set_xlabel("throughput, ours / PyTorch 2.13 CPU (median of per-round ratios; higher is better)")
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=4, fontsize=8)
    return save_figure(fig, path)


def gpu_table(report, results: Path) -> str:
    rows = _rows(report, results, GPU_SOURCE)
    lines = ["| workload, batch 1024 | ours GPU samples/s | PyTorch GPU samples/s | ours / PyTorch GPU "
             f"(target {report.GPU_VS_TORCH_TARGET}x) | ours GPU / ours CPU |",
             "|---|---:|---:|---:|---:|"]
    for (key, workload, batch, mode), by_device in rows.items():
        gpu, cpu = by_device.get("cuda"), by_device.get("cpu")
        if batch != report.TARGET_BATCH or mode != "train" or not gpu:
            continue
        speedup = gpu["ours_samples_per_s"] / cpu["ours_samples_per_s"] if cpu else None
        wanted = f" (target {report.GPU_VS_CPU_TARGET:.0f}x)" if key in report.GPU_VS_CPU_WORKLOADS else ""
        lines.append(f"| {workload} | {gpu['ours_samples_per_s']:,.0f} | {gpu['torch_samples_per_s']:,.0f} | "
                     f"{gpu['ratio_ours_over_torch']:.2f}x | "
                     + (f"{speedup:.1f}x{wanted}" if speedup else "n/a") + " |")
    verdicts = report.targets(rows)
    return "\n".join(lines) + "\n\nTargets checked by `bench/report.py`:\n\n" + "\n".join(verdicts) + "\n"


def gpu_chart(report, results: Path, path: Path) -> Path:
    """Batch 1024 training on the GPU: ours / PyTorch GPU and ours GPU / ours CPU, each with its target."""
    rows = [(key, by_device) for (key, _, batch, mode), by_device in _rows(report, results, GPU_SOURCE).items()
            if batch == report.TARGET_BATCH and mode == "train" and "cuda" in by_device and "cpu" in by_device]
    fig = Figure(figsize=(10, 0.8 + 0.45 * len(rows)), layout="constrained")
    versus_torch, versus_cpu = fig.subplots(1, 2)
    keys = [key for key, _ in rows]
    versus_torch.barh(keys, [d["cuda"]["ratio_ours_over_torch"] for _, d in rows], color="#1f77b4")
    versus_torch.axvline(report.GPU_VS_TORCH_TARGET, color="black", lw=1.5, label="target")
    versus_torch.set_xlabel("ours / PyTorch on the GPU (higher is better)")
    speedups = [d["cuda"]["ours_samples_per_s"] / d["cpu"]["ours_samples_per_s"] for _, d in rows]
    versus_cpu.barh(keys, speedups, color="#2ca02c")
    versus_cpu.axvline(report.GPU_VS_CPU_TARGET, color="black", lw=1.5, label="target (W2, W3, W5)")
    versus_cpu.set_xlabel("ours on the GPU / ours on the CPU")
    for ax in (versus_torch, versus_cpu):
        ax.invert_yaxis()
        ax.legend(loc="lower right", fontsize=8)
    fig.suptitle(f"training at batch {report.TARGET_BATCH}, {GPU_SOURCE}")
    return save_figure(fig, path)


def hand_written_table(results: Path) -> str:
    """bench/hand_written.py's runs: a plain-NumPy step of W3 and W4 and ours, each as a ratio to PyTorch."""
    lines = ["| PyTorch ran | workload | hand-written NumPy / PyTorch | pyldl_gpu / PyTorch | rounds |",
             "|---|---|---:|---:|---:|"]
    for stem, place in (("cpu-2core-hand-written-shared", "in our process"),
                        ("cpu-2core-hand-written-own", "in its own process")):
        for row in json.loads((results / f"{stem}.json").read_text()):
            plain, ours = row["hand-written NumPy"]["ratio_to_torch"], row["pyldl_gpu"]["ratio_to_torch"]
            lines.append(f"| {place} (`{stem}`) | {row['workload']} | {plain:.2f}x | {ours:.2f}x | {row['rounds']} |")
    return "\n".join(lines) + "\n"


def write_all(results: Path, out: Path) -> None:
    report = _report(results)
    rows = cpu_summary(report, results)
    write_text(out / "perf_cpu_table.md", cpu_table(rows))
    cpu_chart(rows, out / "perf_cpu.png")
    write_text(out / "perf_gpu_table.md", gpu_table(report, results))
    gpu_chart(report, results, out / "perf_gpu.png")
    write_text(out / "perf_hand_written.md", hand_written_table(results))
    machine = json.loads((results / f"{GPU_SOURCE}.json").read_text())["machine_info"].get("pyldl_environment", {})
    write_text(out / "perf_gpu_machine.md", "; ".join(f"{k} {v}" for k, v in machine.items()) + "\n")
