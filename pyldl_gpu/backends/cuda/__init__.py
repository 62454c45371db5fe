"""The CUDA backend: CuPy on one device, imported only when asked for (CuPy is an optional extra)."""

from __future__ import annotations

from ...exceptions import CudaUnavailableError
from ..backend import Backend
from ..registry import register_backend

INSTALL_HINT = (
    'install CuPy for your CUDA driver from the pyldl_gpu checkout:  pip install -e ".[cuda12]"  (CUDA 12.x; '
    'the extra pyldl-gpu[cuda12] is cupy-cuda12x) or  pip install -e ".[cuda13]"  (CUDA 13.x)'
)


def _import_cupy():
    try:
        import cupy
    except ImportError as error:
        raise CudaUnavailableError(f"CUDA was requested but CuPy is not installed: {INSTALL_HINT}") from error
    return cupy


class CupyBackend(Backend):
    """Arrays in the memory of one CUDA device through CuPy."""

    def __init__(self, index: int = 0, seed: int | None = None) -> None:
        cupy = _import_cupy()
        try:
            count = cupy.cuda.runtime.getDeviceCount()
        except Exception as error:  # CUDARuntimeError when the driver is absent or broken
            raise CudaUnavailableError(
                f"CUDA was requested and CuPy {cupy.__version__} is installed, but no usable CUDA driver "
                f"or device was found ({error}); check `nvidia-smi`, or {INSTALL_HINT}"
            ) from error
        if not 0 <= index < count:
            raise CudaUnavailableError(
                f"CUDA device cuda:{index} was requested but this machine has {count} CUDA device(s)"
            )
        self.name = f"cuda:{index}"
        self.index = index
        self.xp = cupy
        self.ndarray = cupy.ndarray
        self.device = cupy.cuda.Device(index)
        self.pool = cupy.get_default_memory_pool()  # every allocation of this process goes through it
        self._axpy = cupy.ElementwiseKernel("T x, T alpha", "T y", "y += alpha * x", "pyldl_axpy")
        super().__init__(seed)

    def activate(self) -> None:
        self.device.use()

    def new_rng(self, seed):
        with self.device:
            return self.xp.random.default_rng(seed)

    def asarray(self, a, dtype=None):
        """Host or device data -> a CuPy array on this device (copies host data once)."""
        with self.device:
            return self.xp.asarray(a, dtype=dtype)

    def to_numpy(self, a):
        return a.get() if isinstance(a, self.ndarray) else self.xp.asnumpy(a)

    def as_strided(self, x, shape, strides, writeable: bool = False):
        """CuPy has no read-only arrays, so ``writeable`` cannot be enforced here."""
        return self.xp.lib.stride_tricks.as_strided(x, shape=shape, strides=strides)

    def axpy(self, alpha: float, x, y) -> None:
        """In one kernel (no temporary for alpha * x)."""
        self._axpy(x, y.dtype.type(alpha), y)

    def conv_tile_width(self, rows, wo, kh, kw, sw, c, cout, input_gradient=False) -> int:
        """One tile per output row (g = Wo): fewer, fatter GEMMs, which a launch-bound GPU prefers. A heuristic,
        from one H100 run of the seed Conv1D net (bench/NOTES.md), until the GPU has a measured model."""
        return wo

    def synchronize(self) -> None:
        self.device.synchronize()

    def memory_reserved(self) -> int:
        """Bytes CuPy's memory pool holds on the device (in use or cached for reuse)."""
        return int(self.pool.total_bytes())

    def release_memory(self) -> None:
        self.pool.free_all_blocks()

    def describe(self) -> str:
        props = self.xp.cuda.runtime.getDeviceProperties(self.index)
        name = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
        return f"{self.name} ({name}, CuPy {self.xp.__version__})"


register_backend("cuda", lambda index, seed: CupyBackend(index, seed), indexed=True, auto_priority=10)
