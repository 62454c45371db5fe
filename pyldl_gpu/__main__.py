"""`python -m pyldl_gpu`: print the version, the active device, whether CUDA is usable (and if not, why), and which
code serves the CPU backend's fused operations (the compiled kernels, where their cache lives, or the array code)."""

from __future__ import annotations

from . import __version__, backends
from .backends.cpu import kernels as cpu_kernels
from .exceptions import PyldlError


def report() -> str:
    lines = [f"pyldl_gpu {__version__}"]
    try:
        lines.append(f"active device: {backends.active().describe()}")
    except PyldlError as error:
        lines.append(f"active device: unusable: {error}")
    try:
        with backends.device("cuda") as name:
            lines.append(f"cuda: usable ({backends.active().describe()}, current {name})")
    except PyldlError as error:
        lines.append(f"cuda: not usable: {error}")
    lines.append(f"cpu {cpu_kernels.describe()}")
    if cpu_kernels.choice()[0] == "numba":
        lines.append(f"cpu kernel cache: {cpu_kernels.cache_location()}")
    lines.append(f"default dtype: {backends.floatx()}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report())
