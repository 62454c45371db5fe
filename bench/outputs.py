"""How the GPU bench scripts (tile_width_gpu.py, gpu_throughput.py, experiment_times.py, capture_probe.py) leave
their results: the JSON report and the markdown table, each where asked, and the table printed."""

from __future__ import annotations

import json
from pathlib import Path


def write(report: dict, table: str, json_path: Path | None = None, md_path: Path | None = None) -> None:
    if json_path:
        json_path.write_text(json.dumps(report, indent=1) + "\n")
    if md_path:
        md_path.write_text(table)
    print(table)
