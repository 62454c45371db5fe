"""Where the checkout's parts are, for tests that read files of the project itself."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "pyldl_gpu"
BENCH = ROOT / "bench"
