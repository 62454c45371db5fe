"""Render a pytest-benchmark JSON file of bench/ as a markdown table and a PNG bar chart next to it:
    python bench/report.py bench/results/FILE.json      (writes FILE.md and FILE.png, prints the table)

One row per workload, batch and mode: ours and PyTorch on each device found in the file, our GPU/CPU speed-up
and ours/PyTorch on each device (median of per-round ratios; min-max in brackets). Peak memory gets its own
table. The issue's GPU targets (batch 1024: ours >= 0.5x PyTorch CUDA on every workload, >= 20x our own CPU
on W2, W3, W5) are checked at the end when the file has GPU rows."""

from __future__ import annotations

import json
import sys
from pathlib import Path

GPU_VS_TORCH_TARGET = 0.5
GPU_VS_CPU_TARGET = 20.0
GPU_VS_CPU_WORKLOADS = ("W2", "W3", "W5")
TARGET_BATCH = 1024


def _rows(data: dict) -> tuple[dict, list[dict]]:
    """{(key, workload, batch, mode): {device: info}} for throughput; a list of memory infos."""
    rows: dict[tuple, dict] = {}
    memory = []
    for bench in data["benchmarks"]:
        info = bench.get("extra_info", {})
        if not info:
            continue
        info.setdefault("device", "cpu")
        info.setdefault("key", info.get("workload", bench["name"]).split()[0])
        if info.get("mode") == "memory":
            memory.append(info)
            continue
        key = (info["key"], info.get("workload", bench["name"]), info.get("batch", 0), info.get("mode", "train"))
        rows.setdefault(key, {})[info["device"]] = info
    return dict(sorted(rows.items(), key=lambda kv: (kv[0][0], kv[0][2], kv[0][3] != "train"))), memory


def _sps(info: dict | None, field: str) -> str:
    value = info.get(field) if info else None
    return f"{value:,.0f}" if value else "n/a"


def _ratio(info: dict | None) -> str:
    if not info or info.get("ratio_ours_over_torch") is None:
        return "n/a"
    return f"{info['ratio_ours_over_torch']:.2f}x ({info['ratio_min']:.2f}-{info['ratio_max']:.2f})"


def _speedup(by_device: dict) -> float | None:
    cpu, gpu = by_device.get("cpu"), by_device.get("cuda")
    if not cpu or not gpu:
        return None
    return gpu["ours_samples_per_s"] / cpu["ours_samples_per_s"]


def _torch_process(rows: dict) -> str:
    """Where PyTorch ran, when the results say (bench/harness.py: shared process or a worker of its own)."""
    places = {info.get("torch_process") for by_device in rows.values() for info in by_device.values()} - {None}
    if places == {"own"}:
        return (" PyTorch ran in a process of its own, with glibc's default heap (PYLDL_BENCH_ISOLATE=1); ours in "
                "the benchmark's process, with the heap pyldl_gpu tunes.")
    if places == {"own-tuned"}:
        return (" PyTorch ran in a process of its own with the same heap setting as ours (PYLDL_BENCH_ISOLATE=tuned): "
                "equal heaps, nothing shared.")
    if places == {"shared"}:
        return " PyTorch ran in the benchmark's process, sharing the heap pyldl_gpu tunes."
    return ""


def _machine(data: dict) -> str:
    machine = data.get("machine_info", {})
    cpu = machine.get("cpu", {})
    gpus = sorted({i.get("device_name") for b in data["benchmarks"] for i in [b.get("extra_info", {})]
                   if i.get("device") == "cuda" and i.get("device_name")})
    text = (f"CPU: {cpu.get('brand_raw', 'unknown')}, {cpu.get('count', '?')} logical cores; "
            f"Python {machine.get('python_version', '?')}; run {data.get('datetime', '')}")
    environment = machine.get("pyldl_environment")
    if environment:
        text += "\n\n" + "; ".join(f"{k}: {v}" for k, v in environment.items())
    elif gpus:
        text += f"\n\nGPU: {', '.join(gpus)}"
    return text


def targets(rows: dict) -> list[str]:
    """The issue's GPU targets at batch 1024, one line each, with the measured figure and a verdict."""
    lines = []
    for (key, _, batch, mode), by_device in rows.items():
        gpu = by_device.get("cuda")
        if batch != TARGET_BATCH or mode != "train" or not gpu:
            continue
        ratio = gpu.get("ratio_ours_over_torch")
        if ratio is not None:
            verdict = "met" if ratio >= GPU_VS_TORCH_TARGET else "NOT met"
            lines.append(f"- {key} batch {batch}: ours / PyTorch CUDA {ratio:.2f}x "
                         f"(target >= {GPU_VS_TORCH_TARGET}x): {verdict}")
        speedup = _speedup(by_device)
        if key in GPU_VS_CPU_WORKLOADS and speedup is not None:
            verdict = "met" if speedup >= GPU_VS_CPU_TARGET else "NOT met"
            lines.append(f"- {key} batch {batch}: ours GPU / ours CPU {speedup:.1f}x "
                         f"(target >= {GPU_VS_CPU_TARGET:.0f}x): {verdict}")
    return lines


def render(path: Path) -> str:
    data = json.loads(path.read_text())
    rows, memory = _rows(data)
    lines = [f"# {path.stem}", "", _machine(data)]
    if rows:
        lines += [
        "",
        "Throughput in samples/s (training: forward + backward + SGD step; inference: forward in eval mode), "
        "device-synchronised, on synthetic data already on the device. Ours and PyTorch alternate round by round "
        "on each device; ratios are medians of per-round ratios (min-max in brackets)." + _torch_process(rows), "",
        "| workload | batch | mode | ours CPU | ours GPU | PyTorch CPU | PyTorch GPU | ours GPU/CPU "
        "| ours/PyTorch CPU | ours/PyTorch GPU |",
        "|---|---:|---|---:|---:|---:|---:|---:|---|---|",
        ]
    for (_, workload, batch, mode), by_device in rows.items():
        cpu, gpu = by_device.get("cpu"), by_device.get("cuda")
        speedup = _speedup(by_device)
        lines.append(
            f"| {workload} | {batch} | {mode} | {_sps(cpu, 'ours_samples_per_s')} | {_sps(gpu, 'ours_samples_per_s')} "
            f"| {_sps(cpu, 'torch_samples_per_s')} | {_sps(gpu, 'torch_samples_per_s')} "
            f"| {f'{speedup:.1f}x' if speedup else 'n/a'} | {_ratio(cpu)} | {_ratio(gpu)} |")
    if memory:
        lines += ["", "Peak memory of a training step (MiB; model, gradients, data and the step's own needs, "
                  "see bench/peak_memory.py), lower is better:", "",
                  "| workload | batch | device | ours MiB | PyTorch MiB | ours / PyTorch |",
                  "|---|---:|---|---:|---:|---:|"]
        for info in sorted(memory, key=lambda i: (i["key"], i["batch"], i["device"])):
            theirs = info.get("torch_peak_mib")
            ratio = info.get("memory_ratio_ours_over_torch")
            lines.append(f"| {info['workload']} | {info['batch']} | {info['device']} | {info['ours_peak_mib']:.1f} | "
                         f"{theirs if theirs is not None else 'n/a'} | {f'{ratio:.2f}x' if ratio else 'n/a'} |")
    verdicts = targets(rows)
    if verdicts:
        lines += ["", "GPU targets (training, batch 1024):", "", *verdicts]
    return "\n".join(lines) + "\n"


SERIES = [("cpu", "ours_samples_per_s", "ours CPU"), ("cuda", "ours_samples_per_s", "ours GPU"),
          ("cpu", "torch_samples_per_s", "PyTorch CPU"), ("cuda", "torch_samples_per_s", "PyTorch GPU")]


def chart(path: Path, target: Path) -> Path:
    """Grouped horizontal bars (log scale) of the four throughputs, one panel per mode."""
    from matplotlib.figure import Figure

    rows, memory = _rows(json.loads(path.read_text()))
    modes = [m for m in ("train", "inference") if any(k[3] == m for k in rows)]
    if not modes:
        return _memory_chart(path, memory, target)
    fig = Figure(figsize=(11, 1.2 + 0.55 * max(1, len(rows)) * 1.6 / max(1, len(modes))), layout="constrained")
    axes = fig.subplots(1, len(modes), squeeze=False)[0]
    for ax, mode in zip(axes, modes):
        keys = [k for k in rows if k[3] == mode]
        labels = [f"{k[0]} b{k[2]}" for k in keys]
        height = 0.2
        for s, (device, field, name) in enumerate(SERIES):
            values = [rows[k].get(device, {}).get(field) or 0 for k in keys]
            positions = [i + (s - 1.5) * height for i in range(len(keys))]
            ax.barh(positions, values, height=height, label=name)
        ax.set_yticks(range(len(keys)), labels)
        ax.invert_yaxis()
        ax.set_xscale("log")
        ax.set_xlabel("samples/s (log scale)")
        ax.set_title(mode)
        ax.grid(axis="x", which="both", alpha=0.3)
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=len(SERIES))
    fig.suptitle(path.stem)
    fig.savefig(target, dpi=110)
    return target


def _memory_chart(path: Path, memory: list[dict], target: Path) -> Path:
    """Bars of ours vs PyTorch peak memory per workload, batch and device (a file with memory rows only)."""
    from matplotlib.figure import Figure

    memory = sorted(memory, key=lambda i: (i["key"], i["batch"], i["device"]))
    labels = [f"{i['key']} b{i['batch']} {i['device']}" for i in memory]
    fig = Figure(figsize=(9, 1.5 + 0.35 * len(memory)), layout="constrained")
    ax = fig.subplots()
    for s, (field, name) in enumerate([("ours_peak_mib", "ours"), ("torch_peak_mib", "PyTorch")]):
        ax.barh([k + (s - 0.5) * 0.4 for k in range(len(memory))], [i.get(field) or 0 for i in memory],
                height=0.4, label=name)
    ax.set_yticks(range(len(memory)), labels)
    ax.invert_yaxis()
    ax.set_xlabel("peak memory of a training step, MiB (lower is better)")
    ax.legend(loc="lower right")
    fig.suptitle(path.stem)
    fig.savefig(target, dpi=110)
    return target


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    path = Path(argv[1])
    table = render(path)
    path.with_suffix(".md").write_text(table)
    chart(path, path.with_suffix(".png"))
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
