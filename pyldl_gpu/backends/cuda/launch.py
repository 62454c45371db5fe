"""Launching a family's kernels: the grid geometry, and the launcher that compiles each family once with CuPy.

Every kernel loops over its work with a grid-stride loop (kernels/common.cuh), so any grid is correct; the grid
only has to be big enough to fill the GPU and small enough not to pay for idle blocks. ``KernelOps`` is the
Python side of one family: it checks that inputs suit a kernel (else the operation runs the array code), packs
the arguments (sources.pack) and hands them to a launcher. ``CupyLauncher`` runs them on the GPU; the CPU tests
give the same ops a launcher that runs the same sources compiled for the host."""

from __future__ import annotations

from .sources import OPTIONS, Family, pack, template_argument

BLOCK = 256  # threads per block: a multiple of the warp, small enough for every kernel's registers
MAX_BLOCKS = 8 * 132 * 4  # 4224: 8 resident blocks of 256 threads on each of an H100/H200's 132 SMs, 4 waves
FLOAT_DTYPES = ("float32", "float64")


def blocks_for(work: int, block: int = BLOCK) -> int:
    """Blocks for ``work`` items (>= 1 item): one thread per item up to MAX_BLOCKS, then grid-stride loops."""
    if work < 1:
        raise ValueError(f"a kernel launch needs at least one item of work, got {work}")
    return min(-(-work // block), MAX_BLOCKS)


class CupyLauncher:
    """Compiles each family once (``cupy.RawModule``, NVRTC, CuPy's on-disk cache) on first use, then launches on
    the current stream."""

    def __init__(self, cupy) -> None:
        self.cupy = cupy
        self.xp = cupy
        self._modules: dict[str, object] = {}
        self._functions: dict[tuple, object] = {}

    def is_array(self, a) -> bool:
        return isinstance(a, self.cupy.ndarray)

    def function(self, family: Family, expression: str):
        key = (family.name, expression)
        fn = self._functions.get(key)
        if fn is None:
            module = self._modules.get(family.name)
            if module is None:
                module = self._modules[family.name] = self.cupy.RawModule(
                    code=family.source(), options=OPTIONS, name_expressions=family.name_expressions())
            fn = self._functions[key] = module.get_function(expression)
        return fn

    def launch(self, family: Family, kernel: str, targs: tuple, packed: tuple, grid: int, block: int) -> None:
        self.function(family, family.kernel(kernel).expression(targs))((grid,), (block,), packed)


class KernelOps:
    """The Python side of one family: ``backend`` serves the fallbacks (its array code), ``launcher`` the kernels."""

    family: Family  # set by each subclass
    operations: tuple[str, ...] = ()  # the Backend operations this family serves

    def __init__(self, backend, launcher) -> None:
        self.backend = backend
        self.launcher = launcher
        self.xp = launcher.xp

    def floats(self, *arrays) -> str | None:
        """The kernels' template argument when every array is a C-contiguous, non-empty float32 or float64 array
        of this device, all of one dtype; None otherwise (the operation then runs the array code)."""
        first = arrays[0]
        if not all(self.launcher.is_array(a) for a in arrays) or str(first.dtype) not in FLOAT_DTYPES:
            return None
        if any(a.dtype != first.dtype or not a.flags.c_contiguous or a.size == 0 for a in arrays):
            return None
        return template_argument(first.dtype)

    def run(self, kernel: str, targs: tuple, work: int, *args, block: int = BLOCK, grid: int | None = None) -> None:
        """Launch ``kernel<targs>`` over ``work`` items (grid from blocks_for unless given)."""
        packed = pack(self.family.kernel(kernel), targs, args, self.xp, self.launcher.is_array)
        self.launcher.launch(self.family, kernel, targs, packed, grid or blocks_for(work, block), block)

    def bind(self, target) -> None:
        """Make this family's kernels serve ``target``'s operations (instance attributes shadow the class's)."""
        for name in self.operations:
            setattr(target, name, getattr(self, name))
