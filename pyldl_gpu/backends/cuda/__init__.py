"""The CUDA backend: CuPy on one device, imported only when asked for (CuPy is an optional extra).

Every operation runs the interface's array code on CuPy (the eager path, the one that has passed the suite on a
GPU) unless a fused kernel family is switched on (settings.py: PYLDL_CUDA_KERNELS, default eager); the kernels'
sources are in kernels/*.cu, their Python side in activations.py, softmax.py, pooling.py, fold.py and updates.py,
and docs/gpu.md says which have passed on a GPU (none yet)."""

from __future__ import annotations

from ...exceptions import CudaUnavailableError
from .. import precision
from ..backend import Backend
from ..registry import register_backend
from . import fused, settings
from .graphs import CapturedStep
from .launch import CupyLauncher

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
    """Arrays in the memory of one CUDA device through CuPy.

    kernels: the fused kernel families to use ('eager', 'fused' or a comma-separated list; None: PYLDL_CUDA_KERNELS,
    default eager). capture: the capture-ready step (None: PYLDL_CUDA_CAPTURE, default off); see settings.py."""

    def __init__(self, index: int = 0, seed: int | None = None, kernels: str | None = None,
                 capture: bool | None = None) -> None:
        families = settings.kernel_families(kernels)  # a bad setting fails before the device is touched
        capture_ready = settings.capture_enabled() if capture is None else bool(capture)
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
        # y = fma(alpha, x, y): one rounding, which the compiler gave `y += alpha * x` too; spelled out so that the
        # fused SGD kernel (kernels/updates.cu), which mirrors it, is sure to give the same bits
        self._axpy = cupy.ElementwiseKernel("T x, T alpha", "T y", "y = fma(alpha, x, y)", "pyldl_axpy")
        self.capture_ready = capture_ready
        with self.device:  # a stream of its own, which CUDA graphs can capture (the legacy default one cannot)
            self.stream = cupy.cuda.Stream(non_blocking=True) if capture_ready else None
        self.launcher = CupyLauncher(cupy)
        self.kernels: dict = {}
        super().__init__(seed)
        self.use_kernels(",".join(families) or "eager")
        self.set_matmul_precision(precision.get_matmul_precision())  # before this device's first matmul
        self._use_stream()  # the creating thread queues on it from now on (activate() again on each switch)

    def use_kernels(self, kernels: str) -> tuple[str, ...]:
        """Serve the fused operations with these kernel families ('eager', 'fused' or a comma-separated list of
        families, as PYLDL_CUDA_KERNELS); returns the families now in use. Other operations keep the array code."""
        families = settings.kernel_families(kernels)
        self.kernels = fused.install(self, self.launcher, families, clocked=self.capture_ready)
        return families

    def set_matmul_precision(self, mode: str) -> None:
        """CuPy's compute type for float32 matmuls: TF32 tensor cores for 'tf32', plain FP32 for 'highest'."""
        from cupy._core import _routines_linalg as linalg

        with self.device:
            linalg.set_compute_type(self.xp.float32, linalg.COMPUTE_TYPE_TF32 if mode == "tf32"
                                    else linalg.COMPUTE_TYPE_DEFAULT)

    def capture(self, step, warmup: int = 2) -> CapturedStep:
        """``step()`` recorded into a CUDA graph on this backend's stream, replayed by ``.replay()`` (needs the
        capture switch; graphs.py says what a capturable step must be)."""
        if self.stream is None:
            raise RuntimeError(f"{self.name}: capture needs the capture-ready step: set {settings.CAPTURE_ENV}=on "
                               "before the backend is created (or CupyBackend(capture=True))")
        return CapturedStep(self.xp, self.stream, step, warmup)

    def activate(self) -> None:
        self.device.use()
        self._use_stream()

    def _use_stream(self) -> None:
        """Make the capture switch's stream current, after the device has finished what other streams queued: a
        non-blocking stream does not wait for the legacy default stream by itself."""
        if self.stream is not None and self.xp.cuda.get_current_stream().ptr != self.stream.ptr:
            self.device.synchronize()
            self.stream.use()

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
        from one H100 run of the seed Conv1D net (bench/NOTES.md), until bench/tile_width_gpu.py's measurements on
        a GPU give a model."""
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
        kernels = ",".join(self.kernels) or "eager"
        return f"{self.name} ({name}, CuPy {self.xp.__version__}, kernels {kernels}" + (
            ", capture-ready)" if self.capture_ready else ")")


register_backend("cuda", lambda index, seed: CupyBackend(index, seed), indexed=True, auto_priority=10)
