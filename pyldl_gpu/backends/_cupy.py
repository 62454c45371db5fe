"""The same helper surface on CuPy: the CUDA backend, imported only when asked for."""

from __future__ import annotations

from ..exceptions import CudaUnavailableError

INSTALL_HINT = (
    'install CuPy for your CUDA driver with  pip install "pyldl-gpu[cuda12]"  '
    '(CUDA 12.x) or  pip install "pyldl-gpu[cuda13]"  (CUDA 13.x)'
)


def _import_cupy():
    try:
        import cupy
    except ImportError as error:
        raise CudaUnavailableError(f"CUDA was requested but CuPy is not installed: {INSTALL_HINT}") from error
    return cupy


class CupyBackend:
    """Array module and helpers for one CUDA device through CuPy."""

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
        import cupyx
        from cupy.lib import stride_tricks

        self._cupyx = cupyx
        self._stride_tricks = stride_tricks
        self.name = f"cuda:{index}"
        self.index = index
        self.xp = cupy
        self.ndarray = cupy.ndarray
        self.device = cupy.cuda.Device(index)
        with self.device:
            self.rng = cupy.random.default_rng(seed)
        self.pool = cupy.get_default_memory_pool()  # every allocation of this process goes through it
        self._axpy = cupy.ElementwiseKernel("T x, T alpha", "T y", "y += alpha * x", "pyldl_axpy")

    def activate(self) -> None:
        """Make this backend's device the current CUDA device."""
        self.device.use()

    def seed(self, seed: int) -> None:
        with self.device:
            self.rng = self.xp.random.default_rng(seed)

    def new_rng(self, seed: int):
        """A fresh generator of this backend's kind, on its device."""
        with self.device:
            return self.xp.random.default_rng(seed)

    def asarray(self, a, dtype=None):
        """Host or device data -> a CuPy array on this device (copies host data once)."""
        with self.device:
            return self.xp.asarray(a, dtype=dtype)

    def to_numpy(self, a):
        return a.get() if isinstance(a, self.ndarray) else self.xp.asnumpy(a)

    def axpy(self, alpha: float, x, y) -> None:
        """y += alpha * x in one kernel (no temporary for alpha * x)."""
        self._axpy(x, y.dtype.type(alpha), y)

    @staticmethod
    def max_last_axis(x):
        return x.max(axis=-1, keepdims=True)

    def sliding_window_view(self, x, window_shape, axis=None):
        return self._stride_tricks.sliding_window_view(x, window_shape, axis=axis)

    def as_strided(self, x, shape, strides, writeable: bool = False):
        """A strided view; CuPy has no read-only arrays, so ``writeable`` cannot be enforced here."""
        return self._stride_tricks.as_strided(x, shape=shape, strides=strides)

    def scatter_add(self, a, indices, values) -> None:
        if hasattr(self.xp.add, "at"):  # CuPy >= 13; cupyx.scatter_add is deprecated there
            self.xp.add.at(a, indices, values)
        else:
            self._cupyx.scatter_add(a, indices, values)

    def einsum(self, subscripts, *operands):
        return self.xp.einsum(subscripts, *operands)

    def tensordot(self, a, b, axes=2):
        return self.xp.tensordot(a, b, axes=axes)

    def fuse(self, function):
        return self.xp.fuse(function)

    def synchronize(self) -> None:
        self.device.synchronize()

    def memory_reserved(self) -> int:
        """Bytes CuPy's memory pool holds on the device (in use or cached for reuse)."""
        return int(self.pool.total_bytes())

    def release_memory(self) -> None:
        """Hand the pool's cached, unused blocks back to the driver."""
        self.pool.free_all_blocks()

    def describe(self) -> str:
        props = self.xp.cuda.runtime.getDeviceProperties(self.index)
        name = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
        return f"{self.name} ({name}, CuPy {self.xp.__version__})"
