"""Render a pytest-benchmark JSON file as a markdown table: python bench/report.py bench/results/FILE.json"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def render(path: Path) -> str:
    data = json.loads(path.read_text())
    machine = data.get("machine_info", {})
    cpu = machine.get("cpu", {}).get("brand_raw", "unknown CPU")
    lines = [
        f"# {path.stem}",
        "",
        f"Machine: {cpu}, {machine.get('cpu', {}).get('count', '?')} logical cores; "
        f"Python {machine.get('python_version', '?')}; {data.get('datetime', '')}",
        "",
        "| workload | batch | ours samples/s | PyTorch samples/s | ours / PyTorch (median, min-max) |",
        "|---|---:|---:|---:|---|",
    ]
    for bench in data["benchmarks"]:
        info = bench.get("extra_info", {})
        ratio = info.get("ratio_ours_over_torch")
        ratio_text = f"{ratio:.2f}x ({info['ratio_min']:.2f}-{info['ratio_max']:.2f})" if ratio else "n/a"
        torch_sps = info.get("torch_samples_per_s")
        lines.append(
            f"| {info.get('workload', bench['name'])} | {info.get('batch', '')} | "
            f"{info.get('ours_samples_per_s', 0):,.0f} | {f'{torch_sps:,.0f}' if torch_sps else 'n/a'} | {ratio_text} |"
        )
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
