"""The CUDA C sources of the fused kernels: where they are, what each kernel takes, and how they compile.

Each family of kernels is one file in ``kernels/`` (activations.cu, softmax.cu, ...), with ``common.cuh`` put in
front of it. Its Python module (activations.py, ...) declares a ``Family``: the file and, for every kernel, its C
parameter types and the template arguments it is instantiated with. From that one declaration come

- the NVRTC name expressions CuPy's ``RawModule`` compiles (``relu_forward<float>``, ...) on the GPU,
- ``compile_family``: the same program compiled by NVRTC alone, which needs no GPU (CPU CI runs it for every
  family, so a typo fails CI rather than a GPU run), and
- ``pack``: the launch arguments, each converted to its parameter's C type (a Python int passed where the kernel
  takes an ``int`` would otherwise reach it as 8 bytes).

Parameter types are C spellings in which placeholders (``T``, ``L``, ...) stand for the template arguments."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

KERNEL_DIR = Path(__file__).resolve().parent / "kernels"
COMMON = "common.cuh"
OPTIONS = ("--std=c++17",)  # ours; CuPy adds the architecture and CUPY_OPTIONS to them
# What CuPy 13-14's RawModule adds to every NVRTC compile besides -arch (cupy/cuda/compiler.py): flushing float32
# denormals to zero (its own elementwise kernels get it too, so the eager path and the kernels agree) and
# device-by-default functions. The CI compile adds them as well, to compile what the GPU compiles.
CUPY_OPTIONS = ("-ftz=true", "--device-as-default-execution-space")
FLOAT_TYPES = (("float",), ("double",))  # the template arguments of a kernel over one float type
C_DTYPES = {"float": "float32", "double": "float64", "int": "int32", "long long": "int64"}


@dataclass(frozen=True)
class Kernel:
    """One __global__ function: its name, C parameter types (in which the placeholders, T by default, stand for its
    template arguments) and its instantiations."""

    name: str
    params: tuple[str, ...]
    instances: tuple[tuple[str, ...], ...] = FLOAT_TYPES  # () for a function that is not a template
    placeholders: tuple[str, ...] = ("T",)

    def expression(self, targs: tuple[str, ...] = ()) -> str:
        """The name NVRTC and CuPy know an instance by: ``name<float>``, ``name<float, long long>``, or ``name``."""
        return f"{self.name}<{', '.join(targs)}>" if targs else self.name

    def expressions(self) -> list[str]:
        return [self.expression(targs) for targs in self.instances] if self.instances else [self.name]

    def signature(self, targs: tuple[str, ...] = ()) -> tuple[str, ...]:
        """The concrete C parameter types of one instance (placeholders replaced)."""
        if len(targs) != (len(self.placeholders) if self.instances else 0):
            raise ValueError(f"kernel {self.name}: template arguments {targs} for placeholders {self.placeholders}")
        if self.instances and targs not in self.instances:
            raise ValueError(f"kernel {self.name}: {self.expression(targs)} is not compiled (instances: "
                             f"{self.expressions()})")
        table = dict(zip(self.placeholders, targs))
        pattern = r"\b(" + "|".join(self.placeholders) + r")\b"
        return tuple(re.sub(pattern, lambda m: table[m.group(0)], p) for p in self.params)


@dataclass(frozen=True)
class Family:
    """One .cu file of kernels."""

    name: str
    file: str
    kernels: tuple[Kernel, ...]
    by_name: dict = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {k.name: k for k in self.kernels})

    def kernel(self, name: str) -> Kernel:
        return self.by_name[name]

    def source(self) -> str:
        """common.cuh, then this family's file; a #line directive keeps compiler messages on the file's lines."""
        common = (KERNEL_DIR / COMMON).read_text()
        return f'#line 1 "{COMMON}"\n{common}\n#line 1 "{self.file}"\n{(KERNEL_DIR / self.file).read_text()}'

    def name_expressions(self) -> list[str]:
        return [e for k in self.kernels for e in k.expressions()]


def dtype_name(c_type: str) -> str:
    """The NumPy dtype name of a C scalar type (``float`` -> ``float32``)."""
    base = c_type.replace("const", "").replace("*", "").strip()
    if base not in C_DTYPES:
        raise ValueError(f"no NumPy dtype for the C type {c_type!r}")
    return C_DTYPES[base]


def template_argument(dtype) -> str:
    """The C type of a NumPy/CuPy dtype (``float32`` -> ``float``), for a kernel's template argument."""
    for c_type, name in C_DTYPES.items():
        if str(dtype) == name:
            return c_type
    raise ValueError(f"no kernel instance for dtype {dtype}")


def pack(kernel: Kernel, targs: tuple[str, ...], args: tuple, np, is_array) -> tuple:
    """The launch arguments of ``kernel<targs>``: arrays checked against their pointer type (dtype, C order), scalars
    converted to their parameter's NumPy scalar type. Raises TypeError naming the kernel and parameter."""
    signature = kernel.signature(targs)
    if len(args) != len(signature):
        raise TypeError(f"kernel {kernel.expression(targs)} takes {len(signature)} arguments, got {len(args)}")
    packed = []
    for i, (c_type, value) in enumerate(zip(signature, args)):
        wanted = dtype_name(c_type)
        if c_type.endswith("*"):
            if not is_array(value) or str(value.dtype) != wanted or not value.flags.c_contiguous:
                got = f"{type(value).__name__} {getattr(value, 'dtype', '')}".strip()
                raise TypeError(f"kernel {kernel.expression(targs)}: argument {i} ({c_type}) must be a C-contiguous "
                                f"{wanted} array, got {got}")
            packed.append(value)
        else:
            number = isinstance(value, (int, float)) or hasattr(value, "dtype")
            if isinstance(value, bool) or not number:
                raise TypeError(f"kernel {kernel.expression(targs)}: argument {i} ({c_type}) must be a number, got "
                                f"{type(value).__name__}")
            if wanted.startswith("int") and not float(value).is_integer():
                raise TypeError(f"kernel {kernel.expression(targs)}: argument {i} ({c_type}) must be an integer, "
                                f"got {value!r}")
            packed.append(np.dtype(wanted).type(int(value) if wanted.startswith("int") else value))
    return tuple(packed)


# ---------------------------------------------------------------- NVRTC alone (no GPU needed)
class CompileError(RuntimeError):
    """NVRTC rejected a source; the message holds the compiler's log."""


def compile_source(source: str, name: str, expressions: list[str], arch: str = "compute_90",
                   options: tuple[str, ...] = OPTIONS + CUPY_OPTIONS) -> dict[str, str]:
    """Compile CUDA C with NVRTC to PTX for ``arch`` (no device is involved) and return each name expression's
    lowered (mangled) name. Raises CompileError with the compiler's log; ImportError without CuPy's NVRTC."""
    from cupy_backends.cuda.libs import nvrtc

    program = nvrtc.createProgram(source, name, [], [])
    try:
        for expression in expressions:
            nvrtc.addNameExpression(program, expression)
        try:
            nvrtc.compileProgram(program, [f"-arch={arch}", *options])
        except nvrtc.NVRTCError as error:
            log = nvrtc.getProgramLog(program)
            log = log.decode() if isinstance(log, bytes) else log
            raise CompileError(f"{name}: NVRTC rejected the source ({error}):\n{log}") from None
        lowered = {}
        for expression in expressions:
            text = nvrtc.getLoweredName(program, expression)
            lowered[expression] = text.decode() if isinstance(text, bytes) else text
        if not nvrtc.getPTX(program):
            raise CompileError(f"{name}: NVRTC produced no PTX")
        return lowered
    finally:
        nvrtc.destroyProgram(program)


def compile_family(family: Family, arch: str = "compute_90") -> dict[str, str]:
    """One family's program, compiled as CuPy will on the GPU (same source, options and name expressions; PTX for
    ``arch`` where CuPy asks NVRTC for the device's own machine code)."""
    return compile_source(family.source(), family.file, family.name_expressions(), arch)
