"""The precision of float32 matrix products: ``set_matmul_precision("highest" | "tf32")``.

'highest' (the default): float32 GEMMs in full float32 (cuBLAS's plain FP32 path on CUDA, BLAS on the CPU).
'tf32': on an NVIDIA GPU with tensor cores for TF32 (compute capability 8.0 and later: A100, H100, H200) CuPy's
float32 matmuls run on them: each input is rounded to TF32's 10-bit mantissa, a relative error of up to 2^-11
(about 4.9e-4) instead of float32's 2^-24, products still accumulated in float32; a result loses about three
significant digits. Training usually tolerates that; CPU-vs-GPU parity at 1e-4 does not. float64 products are
never affected, nor is anything on the CPU (NumPy has no TF32): there the setting is recorded and does nothing.

A backend that has a matmul precision to set defines ``set_matmul_precision(mode)``; others (NumPy) have none.
The setting is process-wide, as CuPy's compute type is: it applies to every backend created so far and to those
created later (CupyBackend applies it before its device's first matmul). It replaces CuPy's own CUPY_TF32
variable, which pyldl_gpu overrides."""

from __future__ import annotations

from . import devices

MODES = ("highest", "tf32")
_mode = "highest"


def set_matmul_precision(mode: str) -> None:
    """'highest' (float32 GEMMs in full float32, the default) or 'tf32' (TF32 tensor cores for float32 GEMMs on
    CUDA: inputs rounded to a 10-bit mantissa; a no-op on the CPU). Process-wide; see this module's docstring."""
    global _mode
    if not isinstance(mode, str) or mode not in MODES:
        raise ValueError(f"set_matmul_precision: expected one of {MODES}, got {mode!r}")
    for backend in devices.created_backends():
        apply = getattr(backend, "set_matmul_precision", None)  # a backend with a precision to set (CupyBackend)
        if apply is not None:
            apply(mode)
    _mode = mode


def get_matmul_precision() -> str:
    """The current float32 matmul precision: 'highest' or 'tf32'."""
    return _mode
