"""Benchmark-wide set-up: the workload modules import from this folder, and every result file records the
software and devices it was measured with (machine_info.pyldl_environment)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


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


def pytest_benchmark_update_machine_info(config, machine_info):
    machine_info["pyldl_environment"] = environment()
