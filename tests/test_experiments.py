"""The README's main job, run as a user runs it."""

from __future__ import annotations

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
