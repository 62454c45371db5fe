"""Benchmark-wide set-up: the workload modules import from this folder, and every result file records the
software and devices it was measured with (machine_info.pyldl_environment, from bench/machine.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import environment


def pytest_benchmark_update_machine_info(config, machine_info):
    machine_info["pyldl_environment"] = environment()
