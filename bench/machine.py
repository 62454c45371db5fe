"""What a benchmark result was measured with: library versions and devices (``environment``, recorded in every
pytest-benchmark result file by bench/conftest.py and by bench/ab.py) and the CPU model (``cpu_model``)."""

from __future__ import annotations

import json
import os
import platform


def environment() -> dict[str, str]:
    """NumPy, CuPy, CUDA driver/runtime, GPU and PyTorch versions, as far as they are importable."""
    from pyldl_gpu import backends

    info = {"numpy": backends.host().__version__}
    if backends.cuda_is_available():
        with backends.device("cuda"):
            cupy = backends.xp()
            runtime = cupy.cuda.runtime
            props = runtime.getDeviceProperties(0)
            name = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
            driver = runtime.driverGetVersion()
            info.update(gpu=name, cupy=cupy.__version__, cuda_driver_api=f"{driver // 1000}.{driver % 1000 // 10}",
                        cuda_runtime=str(runtime.runtimeGetVersion()))
            try:  # the driver's own version string, as nvidia-smi prints it
                import subprocess

                smi = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                                     capture_output=True, text=True, timeout=30)
                if smi.returncode == 0:
                    info["nvidia_driver"] = smi.stdout.strip()
            except (OSError, subprocess.SubprocessError):
                pass
    try:
        import torch

        info["torch"] = torch.__version__
    except ImportError:
        info["torch"] = "not installed"
    return info


def cpu_model() -> str:
    """The CPU's model name and logical core count (/proc/cpuinfo on Linux)."""
    try:
        with open("/proc/cpuinfo") as info:
            name = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), "")
    except OSError:
        name = ""
    return f"{name or platform.processor() or 'unknown CPU'}, {os.cpu_count()} logical cores"


def write_outputs(report: dict, table: str, json_path=None, md_path=None) -> None:
    """A benchmark's report as JSON and its table as markdown (where paths are given), and the table printed."""
    if json_path:
        json_path.write_text(json.dumps(report, indent=1) + "\n")
    if md_path:
        md_path.write_text(table)
    print(table)
