"""Render a pytest-benchmark JSON file of bench/ as a markdown table next to it:
    python bench/report.py bench/results/FILE.json      (writes bench/results/FILE.md and prints it)"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _ratio(info: dict, key: str = "ratio_ours_over_torch") -> str:
    ratio = info.get(key)
    if ratio is None:
        return "n/a (PyTorch not installed)"
    return f"{ratio:.2f}x ({info['ratio_min']:.2f}-{info['ratio_max']:.2f})"


def render(path: Path) -> str:
    data = json.loads(path.read_text())
    machine = data.get("machine_info", {})
    cpu = machine.get("cpu", {})
    lines = [
        f"# {path.stem}",
        "",
        f"Machine: {cpu.get('brand_raw', 'unknown CPU')}, {cpu.get('count', '?')} logical cores; "
        f"Python {machine.get('python_version', '?')}; {data.get('datetime', '')}",
        "",
        "Throughput: samples/s, ours and PyTorch alternated round by round in one run; the ratio is the median "
        "of per-round ratios (min-max in brackets).",
        "",
        "| workload | mode | batch | ours samples/s | PyTorch samples/s | ours / PyTorch |",
        "|---|---|---:|---:|---:|---|",
    ]
    memory = []
    for bench in data["benchmarks"]:
        info = bench.get("extra_info", {})
        if info.get("mode") == "memory":
            memory.append(info)
            continue
        torch_sps = info.get("torch_samples_per_s")
        lines.append(
            f"| {info.get('workload', bench['name'])} | {info.get('mode', 'train')} | {info.get('batch', '')} | "
            f"{info.get('ours_samples_per_s', 0):,.0f} | {f'{torch_sps:,.0f}' if torch_sps else 'n/a'} | "
            f"{_ratio(info)} |"
        )
    if memory:
        lines += ["", "| memory | ours MiB | PyTorch MiB | ours / PyTorch |", "|---|---:|---:|---:|"]
        for info in memory:
            theirs = info.get("torch_peak_mib")
            ratio = info.get("memory_ratio_ours_over_torch")
            lines.append(f"| {info['workload']} | {info['ours_peak_mib']:.1f} | "
                         f"{theirs if theirs is not None else 'n/a'} | {f'{ratio:.2f}x' if ratio else 'n/a'} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    path = Path(argv[1])
    table = render(path)
    path.with_suffix(".md").write_text(table)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
