"""The README's main job, run as a user runs it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_digits_demo_prints_a_test_accuracy_chance_cannot_reach():
    out = subprocess.run([sys.executable, "experiments/digits_mlp.py", "--quiet", "--epochs", "40"], cwd=ROOT,
                         capture_output=True, text=True, timeout=300, check=True).stdout
    match = re.search(r"test accuracy ([\d.]+) %", out)
    assert match, out
    assert float(match.group(1)) > 93.0  # chance is 10 %


def test_module_entry_point_reports_device_and_cuda_status():
    out = subprocess.run([sys.executable, "-m", "pyldl_gpu"], cwd=ROOT, capture_output=True, text=True,
                         timeout=60, check=True, env={**os.environ, "PYLDL_DEVICE": "cpu"}).stdout
    assert "active device: cpu (NumPy" in out and "default dtype: float32" in out
    assert re.search(r"cuda: (usable|not usable: .+)", out)
