"""The CUDA kernels without a GPU (not marked cuda: CPU CI runs these; each part skips with its reason where its
tool is missing).

1. NVRTC: CuPy's own NVRTC binding (cupy_backends.cuda.libs.nvrtc, from the cupy-cuda12x and
   nvidia-cuda-nvrtc-cu12 wheels, which install and work on a machine with no GPU or driver) compiles every kernel
   family exactly as CupyBackend's RawModule will on the GPU (same source, options and name expressions), for
   compute_80 and compute_90, and rejects a broken source with the compiler's own message, on the file's line.
2. The host: the same sources compiled by g++ with a small shim for CUDA's keywords, each launch run by ONE
   thread that walks the kernel's grid-stride loop. g++ first checks every kernel's declared parameter types
   (the Python side's argument packing) against its C definition: a function-pointer cast it refuses on any
   mismatch. Then the shared fused-op table (test_fused_ops.py) runs with the kernels serving a NumPy backend,
   through the same Python code as on the GPU (input checks, packing, fallbacks), in float32 and float64.

What this cannot show, and bench/run_gpu.sh must: races between threads and blocks, launch limits, the device
math library's last bits (tanh, exp, log: host and device differ by ulps), CuPy's RawModule loading and launch
path, the stream and graph behaviour of the capture switch, and speed."""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from dataclasses import replace

import pytest
from test_fused_ops import OPS
from test_fused_ops import test_backend_operation_equals_its_array_reference as check_table_case

import pyldl_gpu as nn
from pyldl_gpu import backends
from pyldl_gpu.backends.backend import Backend
from pyldl_gpu.backends.cpu import NumpyBackend
from pyldl_gpu.backends.cuda import fused, launch, settings, sources, updates
from pyldl_gpu.backends.generic import pooling, softmax, tiles
from pyldl_gpu.backends.generic import updates as generic_updates

np = backends.host()


# ---------------------------------------------------------------- 1. NVRTC, as CI runs it
def _nvrtc():
    """CuPy's NVRTC binding with a loadable libnvrtc, or a skip naming what is missing."""
    try:
        from cupy_backends.cuda.libs import nvrtc

        nvrtc.getVersion()
    except Exception as error:  # ImportError without CuPy; a load error without the nvidia-cuda-nvrtc wheel
        pytest.skip(f"CuPy's NVRTC is not usable here ({type(error).__name__}: {error}); CI installs cupy-cuda12x "
                    "and nvidia-cuda-nvrtc-cu12")
    return nvrtc


@pytest.mark.parametrize("arch", ["compute_80", "compute_90"])
@pytest.mark.parametrize("family", fused.families(), ids=lambda f: f.name)
def test_every_kernel_family_compiles_with_nvrtc(family, arch):
    _nvrtc()
    lowered = sources.compile_family(family, arch)
    assert set(lowered) == set(family.name_expressions())
    assert all(name.startswith("_Z") for name in lowered.values()), lowered  # every instance exists, mangled


def test_nvrtc_rejects_a_broken_kernel_with_the_compilers_message():
    _nvrtc()
    family = fused.FAMILY_OPS["activations"].family
    text = (sources.KERNEL_DIR / family.file).read_text()
    line = text[: text.index("mul_rn(delta[i], y[i]")].count("\n") + 1
    broken = family.source().replace("mul_rn(delta[i], y[i]", "mul_rn(delta[i], y_typo[i]", 1)
    with pytest.raises(sources.CompileError) as error:
        sources.compile_source(broken, family.file, family.name_expressions())
    message = str(error.value)
    assert f'{family.file}({line}): error: identifier "y_typo" is undefined' in message, message


def test_nvrtc_rejects_a_name_expression_the_source_lacks():
    _nvrtc()
    family = fused.FAMILY_OPS["fold"].family
    with pytest.raises(sources.CompileError, match='identifier "conv_unfold" is undefined'):
        sources.compile_source(family.source(), family.file, ["conv_unfold<float>"])


# ---------------------------------------------------------------- 2. the same sources on the host
SHIM = r"""
// CUDA's keywords and intrinsics for a host build of the kernels: one thread runs each launch.
#include <cmath>
#include <cstring>
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static
struct pyldl_dim3 { unsigned int x, y, z; };
static const pyldl_dim3 blockIdx{0, 0, 0}, threadIdx{0, 0, 0}, blockDim{1, 1, 1}, gridDim{1, 1, 1};
static inline void __syncthreads() {}
// built with -ffp-contract=off: each operator is one IEEE operation, rounded to nearest, as the intrinsics are
static inline float __fmul_rn(float a, float b) { return a * b; }
static inline double __dmul_rn(double a, double b) { return a * b; }
static inline float __fadd_rn(float a, float b) { return a + b; }
static inline double __dadd_rn(double a, double b) { return a + b; }
static inline float __fsub_rn(float a, float b) { return a - b; }
static inline double __dsub_rn(double a, double b) { return a - b; }
static inline float __fdiv_rn(float a, float b) { return a / b; }
static inline double __ddiv_rn(double a, double b) { return a / b; }
static inline float __fsqrt_rn(float a) { return std::sqrt(a); }
static inline double __dsqrt_rn(double a) { return std::sqrt(a); }
static inline float __fmaf_rn(float a, float b, float c) { return std::fma(a, b, c); }
static inline double __fma_rn(double a, double b, double c) { return std::fma(a, b, c); }
static inline float __int_as_float(int v) { float f; std::memcpy(&f, &v, sizeof f); return f; }
static inline double __longlong_as_double(long long v) { double d; std::memcpy(&d, &v, sizeof d); return d; }
using std::exp; using std::log; using std::pow; using std::sqrt; using std::tanh;
"""
CTYPES = {"float": ctypes.c_float, "double": ctypes.c_double, "int": ctypes.c_int, "long long": ctypes.c_longlong}


def _ctype(c_type: str):
    return ctypes.c_void_p if c_type.endswith("*") else CTYPES[c_type]


def host_program(family: sources.Family) -> tuple[str, list[tuple[str, tuple]]]:
    """The C++ of a family's host build, and (name expression, signature) of every kernel instance in it: instance
    i is returned by pyldl_kernel_i(), cast to the function type its Kernel declares (a mismatch fails the build)."""
    entries, lines = [], [SHIM, family.source()]
    for kernel in family.kernels:
        for targs in kernel.instances or [()]:
            signature = kernel.signature(targs)
            lines.append(f'extern "C" void* pyldl_kernel_{len(entries)}() {{ return reinterpret_cast<void*>('
                         f'static_cast<void (*)({", ".join(signature)})>(&{kernel.expression(targs)})); }}')
            entries.append((kernel.expression(targs), signature))
    return "\n".join(lines) + "\n", entries


def build_host_kernels(family: sources.Family, folder) -> dict:
    """{name expression: (callable, signature)} of a family compiled for the host (skips without g++)."""
    compiler = shutil.which("g++") or shutil.which("c++")
    if compiler is None:
        pytest.skip("no C++ compiler (g++) here to build the kernels for the host")
    text, entries = host_program(family)
    source, library = folder / f"{family.name}.cpp", folder / f"{family.name}.so"
    source.write_text(text)
    done = subprocess.run([compiler, "-std=c++17", "-O1", "-ffp-contract=off", "-fPIC", "-shared", "-o",
                           str(library), str(source)], capture_output=True, text=True)
    assert done.returncode == 0, f"the host build of {family.file} failed:\n{done.stderr[-4000:]}"
    dll = ctypes.CDLL(str(library))
    functions = {"__dll__": dll}  # kept alive with the functions
    for i, (expression, signature) in enumerate(entries):
        getter = getattr(dll, f"pyldl_kernel_{i}")
        getter.restype = ctypes.c_void_p
        functions[expression] = (ctypes.CFUNCTYPE(None, *map(_ctype, signature))(getter()), signature)
    return functions


class HostLauncher:
    """Runs kernels built for the host on NumPy arrays; records each launch (kernel, template arguments, grid,
    block) and checks its geometry is one a GPU would take."""

    xp = np

    def __init__(self, functions: dict) -> None:
        self.functions = functions
        self.launches: list[tuple] = []

    def is_array(self, a) -> bool:
        return isinstance(a, np.ndarray)

    def launch(self, family, kernel, targs, packed, grid, block) -> None:
        assert 1 <= grid <= launch.MAX_BLOCKS and 1 <= block <= 1024, (kernel, grid, block)
        self.launches.append((kernel, targs, grid, block))
        fn, signature = self.functions[family.kernel(kernel).expression(targs)]
        fn(*(ctypes.c_void_p(a.ctypes.data) if c.endswith("*") else CTYPES[c](a) for c, a in zip(signature, packed)))


@pytest.fixture(scope="module")
def host_kernels(tmp_path_factory):
    folder = tmp_path_factory.mktemp("host-kernels")
    functions = {}
    for family in fused.families():
        functions.update({f"{family.name}:{k}" if k == "__dll__" else k: v
                          for k, v in build_host_kernels(family, folder).items()})
    return functions


def kernel_backend(host_kernels, clocked: bool = False) -> NumpyBackend:
    """A NumPy backend whose fused operations are served by the host-built kernels (fallbacks: its array code, not
    the CPU's own compiled kernels, whose opaque results the CUDA kernels could not read)."""
    backend = NumpyBackend(seed=0)
    backend.compiled = False
    backend.launcher = HostLauncher(host_kernels)
    backend.kernels = fused.install(backend, backend.launcher, settings.FAMILY_NAMES, clocked=clocked)
    return backend


SERVED = set(fused.served_operations())
KERNEL_CASES = sorted(name for name, case in OPS.items() if SERVED & set(case.covers))
# The CPU reference's axpy (NumpyBackend.axpy) rounds alpha * x before adding it; CUDA's, and this kernel, fuse the
# two into one fma: on the host the SGD case allows that one rounding. On the GPU the table runs it exact.
# g++'s tanh (the sigmoid's) rounds unlike NumPy's: on the host that case allows float rounding.
HOST_RTOL = {"sgd_update": 1e-6, "sigmoid_pair": 1e-6}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", KERNEL_CASES)
def test_host_built_kernels_pass_the_fused_op_table(name, dtype, host_kernels, monkeypatch):
    backend = kernel_backend(host_kernels)
    case = OPS[name]
    monkeypatch.setitem(OPS, name, replace(case, rtol=HOST_RTOL.get(name, case.rtol)))
    monkeypatch.setattr(backends, "active", lambda: backend)  # the table asks backends.active() for its backend
    with nn.default_dtype(dtype):
        check_table_case(name, np.random.default_rng(1234))
    launched = {kernel for kernel, *_ in backend.launcher.launches}
    assert launched, f"{name}: no kernel ran (every operation fell back to the array code)"
    assert all(targs[0] == {"float32": "float", "float64": "double"}[dtype] for _, targs, *_ in
               backend.launcher.launches if targs)


def test_the_kernels_serve_only_interface_operations_and_say_which_they_leave():
    assert SERVED <= set(Backend.FUSED_OPERATIONS)
    assert set(fused.EAGER_ON_PURPOSE) <= set(Backend.FUSED_OPERATIONS) - SERVED
    assert all(callable(getattr(Backend, op)) for op in SERVED)


def test_inputs_the_kernels_do_not_take_run_the_array_code(host_kernels, rng):
    backend = kernel_backend(host_kernels)
    x = rng.standard_normal((6, 8)).astype(np.float32)
    strided, wide = x[:, ::2], rng.standard_normal((3, 1100)).astype(np.float32)
    np.testing.assert_array_equal(backend.relu(strided), np.maximum(strided, 0))
    np.testing.assert_array_equal(backend.relu(x.astype(np.float16)), np.maximum(x.astype(np.float16), 0))
    np.testing.assert_allclose(backend.softmax(wide), Backend.softmax(backend, wide), rtol=1e-6)
    loss, _ = backend.softmax_cross_entropy(x, rng.integers(0, 8, 6).astype(np.uint8))
    assert loss.dtype == np.float32
    assert backend.launcher.launches == []  # all four ran the array code
    backend.relu(x)
    assert backend.launcher.launches == [("relu_forward", ("float",), 1, launch.BLOCK)]


def test_max_pool_winners_of_the_array_code_go_back_to_the_array_code(host_kernels, rng):
    backend = kernel_backend(host_kernels)
    x = rng.integers(-2, 3, (2, 6, 6, 3)).astype(np.float32)
    y, winners = Backend.max_pool2d(backend, x, (2, 2), (2, 2))  # a fallback forward's winners
    delta = rng.standard_normal(y.shape).astype(np.float32)
    dx = backend.max_pool2d_backward(delta, winners, (2, 2), (2, 2))
    np.testing.assert_array_equal(dx, Backend.max_pool2d_backward(backend, delta, winners, (2, 2), (2, 2)))
    assert backend.launcher.launches == []


def test_a_label_out_of_range_makes_its_row_nan_and_leaves_the_others(host_kernels, rng):
    backend = kernel_backend(host_kernels)
    logits = rng.standard_normal((4, 5)).astype(np.float32)
    labels = np.array([0, 7, -1, 4], dtype=np.int64)
    loss, log_p = backend.softmax_cross_entropy(logits, labels)
    g = backend.softmax_cross_entropy_backward(log_p, labels)
    assert np.isnan(loss) and np.isnan(g[1]).all() and np.isfinite(g[[0, 2, 3]]).all()
    good = np.array([0, 4, 4], dtype=np.int64)  # -1 counts from the end, as NumPy indexing does
    np.testing.assert_allclose(g[[0, 2, 3]], Backend.softmax_cross_entropy_backward(backend, log_p[[0, 2, 3]], good)
                               * 3 / 4, rtol=1e-6)


def _adam_state(rng, n=(9, 7)):
    return [rng.standard_normal(n).astype(np.float32) for _ in range(2)] + [np.zeros(n, np.float32) for _ in "mvs"]


def test_clocked_adam_matches_the_array_code_and_replays_advance_its_step(host_kernels, rng):
    """The capture switch's Adam: its device clock gives the array code's steps, also when kernels are launched
    again without the host (what a graph replay does) and when the host's step jumps (a restored checkpoint)."""
    backend = kernel_backend(host_kernels, clocked=True)
    data, grad, m, v, scratch = _adam_state(rng)
    ref = [a.copy() for a in (data, m, v)]
    hyper = dict(lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01, decoupled=True)

    def reference(step):
        generic_updates.adam_update(backend, ref[0], grad, **{**hyper}, step=step, exp_avg=ref[1], exp_avg_sq=ref[2],
                                    scratch=scratch)

    for step in (1, 2, 3):
        backend.adam_update(data, grad, **hyper, step=step, exp_avg=m, exp_avg_sq=v, scratch=scratch)
        reference(step)
    ops = backend.kernels["updates"]
    for step in (4, 5):  # the two launches a replay repeats, with the arguments recorded at step 3
        ops.run("adam_clock_tick", (), 1, ops.clock_of(m), grid=1, block=1)
        ops.run("adam_update_clocked", ("float",), data.size, data, grad, m, v, data.size, ops.clock_of(m), 0.9, 0.999,
                1e-8, 0.01, updates.adam_mode(0.01, True))
        reference(step)
    backend.adam_update(data, grad, **hyper, step=9, exp_avg=m, exp_avg_sq=v, scratch=scratch)  # the host jumps
    reference(9)
    for ours, theirs in zip((data, m, v), ref):
        np.testing.assert_array_equal(ours, theirs)
    assert ops.clock_of(m)[0] == 9.0 and ops.clock_of(m)[1] == 0.01
    sets = [k for k, *_ in backend.launcher.launches if k == "adam_clock_set"]
    assert len(sets) == 2  # at the first step and after the jump; not while the host's steps follow the clock


# ---------------------------------------------------------------- geometry sweeps, on the host and on a GPU
@pytest.fixture(params=["host", pytest.param("cuda", marks=pytest.mark.cuda)])
def kernels_on(request):
    """A backend whose fused operations run the kernels: NumPy with the host build, or (marked cuda) a CupyBackend
    with every family on, so a GPU run sweeps the same geometries through the real kernels (g++ or not)."""
    if request.param == "host":
        return kernel_backend(request.getfixturevalue("host_kernels"))
    from pyldl_gpu.backends.cuda import CupyBackend

    return CupyBackend(0, seed=0, kernels="fused")


def _on(backend, a):
    return backend.asarray(a, dtype=a.dtype)


# (padded shape, kh, kw, sh, sw, g): im2col and banded tiles, overlapping phases (q > 1), strides, rows and columns
# no window reads (their gradient is 0), a 1-D layer
FOLDS = [((2, 7, 13, 3), 3, 2, 1, 2, 3), ((2, 6, 9, 2), 3, 3, 1, 1, 1), ((1, 8, 12, 1), 3, 3, 2, 1, 2),
         ((3, 5, 11, 4), 2, 3, 1, 2, 1), ((2, 1, 20, 3), 1, 5, 1, 1, 4), ((2, 4, 10, 2), 2, 4, 2, 3, 1),
         ((2, 6, 8, 3), 3, 3, 1, 1, 6), ((1, 7, 9, 2), 2, 2, 3, 3, 1)]


@pytest.mark.parametrize("shape, kh, kw, sh, sw, g", FOLDS)
def test_the_fold_kernel_adds_what_the_array_code_adds_in_its_order(kernels_on, shape, kh, kw, sh, sw, g, rng):
    b, hp, wp, c = shape
    ho, wo = (hp - kh) // sh + 1, (wp - kw) // sw + 1
    rows = rng.standard_normal((b * ho * (wo // g), kh * ((g - 1) * sw + kw) * c)).astype(np.float32)
    ours = kernels_on.conv_fold(_on(kernels_on, rows), shape, kh, kw, sh, sw, g)
    theirs = tiles.conv_fold(kernels_on, _on(kernels_on, rows), shape, kh, kw, sh, sw, g)
    np.testing.assert_array_equal(kernels_on.to_numpy(ours), kernels_on.to_numpy(theirs))


# (kernel, stride, input shape): disjoint, overlapping, with gaps, one-tap stages (kh = 1 with sh > 1, kw = 1)
POOLS = [((2, 2), (2, 2), (3, 8, 9, 5)), ((3, 3), (2, 2), (2, 9, 7, 3)), ((1, 2), (1, 2), (4, 1, 13, 6)),
         ((1, 3), (2, 1), (2, 7, 9, 2)), ((3, 1), (1, 1), (2, 6, 5, 3)), ((2, 3), (1, 2), (2, 7, 8, 3)),
         ((3, 2), (3, 3), (2, 11, 10, 2))]


@pytest.mark.parametrize("kernel, stride, shape", POOLS)
@pytest.mark.parametrize("inputs", ["ties", "nan"])
def test_pooling_kernels_keep_the_array_codes_winners_maxima_and_sums(kernels_on, kernel, stride, shape, inputs,
                                                                      rng):
    """Exact equality, deltas random (so every sum's order shows), inputs with ties (the winner rule) or NaNs."""
    x = rng.integers(-2, 3, shape).astype(np.float32)
    if inputs == "nan":
        x[rng.random(shape) < 0.15] = np.nan
    b, xp = kernels_on, kernels_on.xp
    y, winners = b.max_pool2d(_on(b, x), kernel, stride)
    y_ref, winners_ref = pooling.max_pool2d(xp, _on(b, x), kernel, stride)
    delta = rng.standard_normal(y.shape).astype(np.float32)
    pairs = [(y, y_ref), (b.max_pool2d_backward(_on(b, delta), winners, kernel, stride),
                          pooling.max_pool2d_backward(xp, _on(b, delta), winners_ref, kernel, stride)),
             (b.avg_pool2d(_on(b, x), kernel, stride), pooling.avg_pool2d(xp, _on(b, x), kernel, stride)),
             (b.avg_pool2d_backward(_on(b, delta), shape, kernel, stride),
              pooling.avg_pool2d_backward(xp, _on(b, delta), shape, kernel, stride))]
    for ours, theirs in pairs:
        np.testing.assert_array_equal(b.to_numpy(ours), b.to_numpy(theirs))


@pytest.mark.parametrize("shape", [(7, 10), (2, 3, 10), (4, 1), (3, 1024)])
def test_row_kernels_match_the_array_code_on_any_leading_shape(kernels_on, shape, rng):
    """Row sums run left to right here and in a tree in the array code: equal up to rounding, so the tolerance is
    relative to the largest entry a sum adds (a gradient entry near 0 comes from a cancellation of larger ones)."""
    b = kernels_on
    x = _on(b, rng.standard_normal(shape).astype(np.float32) * 20.0)  # peaked rows: exp underflows to 0 too
    delta = _on(b, rng.standard_normal(shape).astype(np.float32))
    pairs = [(b.softmax(x), softmax.softmax(b, x)), (b.log_softmax(x), softmax.log_softmax(b, x)),
             (b.softmax_backward(b.softmax(x), delta), softmax.softmax_backward(b.xp, softmax.softmax(b, x), delta)),
             (b.log_softmax_backward(b.log_softmax(x), delta),
              softmax.log_softmax_backward(b.xp, softmax.log_softmax(b, x), delta))]
    scale = float(np.abs(b.to_numpy(delta)).max())
    for ours, theirs in pairs:
        ours, theirs = b.to_numpy(ours), b.to_numpy(theirs)
        np.testing.assert_allclose(ours, theirs, rtol=2e-6, atol=2e-6 * max(float(np.abs(theirs).max()), scale))


@pytest.mark.parametrize("targets", ["int64", "int32", "one-hot", "soft"])
def test_cross_entropy_kernels_take_labels_and_soft_targets(kernels_on, targets, rng):
    b = kernels_on
    logits = _on(b, rng.standard_normal((37, 11)).astype(np.float32) * 4.0)
    labels = rng.integers(0, 11, 37)
    y = {"int64": labels, "int32": labels.astype(np.int32), "one-hot": np.eye(11, dtype=np.float32)[labels],
         "soft": rng.random((37, 11)).astype(np.float32)}[targets]  # soft rows need not sum to one
    y = _on(b, y)
    loss, log_p = b.softmax_cross_entropy(logits, y)
    loss_ref, log_p_ref = softmax.softmax_cross_entropy(b, logits, y)
    pairs = [(loss, loss_ref), (log_p, log_p_ref), (b.softmax_cross_entropy_backward(log_p, y),
                                                    softmax.softmax_cross_entropy_backward(b, log_p_ref, y))]
    # a log-probability near 0 is minus the log of a row sum near 1: the sums' orders differ, and one unit in the
    # last place of 1.0 (1.2e-7) moves it by as much; hence the absolute tolerance of a few of them
    for ours, theirs in pairs:
        assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
        np.testing.assert_allclose(b.to_numpy(ours), b.to_numpy(theirs), rtol=2e-6, atol=5e-7)


# ---------------------------------------------------------------- the Python side's pieces
def test_blocks_cover_the_work_up_to_a_cap_and_refuse_none():
    assert launch.blocks_for(1) == 1 and launch.blocks_for(256) == 1 and launch.blocks_for(257) == 2
    assert launch.blocks_for(10**9) == launch.MAX_BLOCKS
    with pytest.raises(ValueError, match="at least one item"):
        launch.blocks_for(0)


def test_pack_converts_scalars_to_their_c_types_and_refuses_mismatched_arrays():
    kernel = fused.FAMILY_OPS["updates"].family.kernel("sgd_update")
    data = np.zeros(3, np.float32)
    packed = sources.pack(kernel, ("float",), (data, data, data, 3, -0.1, 0.9, 0.0, 6), np, lambda a: True)
    assert [type(p) for p in packed[3:]] == [np.int64, np.float32, np.float32, np.float32, np.int32]
    with pytest.raises(TypeError, match=r"sgd_update<float>: argument 1 \(const float\*\) must be a C-contiguous "
                                        r"float32 array, got ndarray float64"):
        sources.pack(kernel, ("float",), (data, data.astype(np.float64), data, 3, 0.1, 0.9, 0.0, 6), np,
                     lambda a: True)
    with pytest.raises(TypeError, match=r"argument 3 \(long long\) must be an integer"):
        sources.pack(kernel, ("float",), (data, data, data, 3.5, 0.1, 0.9, 0.0, 6), np, lambda a: True)
    with pytest.raises(TypeError, match="takes 8 arguments, got 2"):
        sources.pack(kernel, ("float",), (data, data), np, lambda a: True)
    with pytest.raises(ValueError, match=r"sgd_update<int> is not compiled"):
        kernel.signature(("int",))


def test_kernel_signatures_and_expressions_follow_their_template_arguments():
    kernel = fused.FAMILY_OPS["softmax"].family.kernel("cross_entropy")
    assert kernel.expression(("double", "int")) == "cross_entropy<double, int>"
    assert kernel.signature(("double", "int"))[:2] == ("const double*", "const int*")
    assert kernel.signature(("float", "float"))[:2] == ("const float*", "const float*")  # soft targets
    assert {"cross_entropy<float, long long>", "cross_entropy<double, double>"} <= set(kernel.expressions())
    assert sources.template_argument(np.dtype("int64")) == "long long"


@pytest.mark.parametrize("value, families", [
    (None, ()), ("eager", ()), ("", ()), ("fused", settings.FAMILY_NAMES), (" FUSED ", settings.FAMILY_NAMES),
    ("pooling,softmax", ("softmax", "pooling")), ("updates", ("updates",))])
def test_the_kernels_setting_selects_families(value, families, monkeypatch):
    monkeypatch.delenv(settings.KERNELS_ENV, raising=False)
    assert settings.kernel_families(value) == families


def test_the_kernels_setting_is_read_from_the_environment_and_refuses_unknown_families(monkeypatch):
    monkeypatch.setenv(settings.KERNELS_ENV, "fold")
    assert settings.kernel_families() == ("fold",)
    for bad in ("fast", "softmax,convolution", ","):
        with pytest.raises(ValueError, match=rf"PYLDL_CUDA_KERNELS='{bad}': expected 'eager', 'fused' or a "
                                             r"comma-separated list of kernel families from activations, softmax"):
            settings.kernel_families(bad)
    assert settings.VALIDATED == ()  # none has passed on a GPU yet: docs/gpu.md says so too


def test_a_bad_setting_stops_the_cuda_backend_before_it_touches_cupy_or_a_device(monkeypatch):
    from pyldl_gpu.backends.cuda import CupyBackend

    with pytest.raises(ValueError, match="PYLDL_CUDA_KERNELS='fast'"):
        CupyBackend(kernels="fast")
    monkeypatch.setenv(settings.CAPTURE_ENV, "sometimes")
    with pytest.raises(ValueError, match="PYLDL_CUDA_CAPTURE='sometimes'"):
        CupyBackend()


def test_docs_say_which_kernel_families_are_validated_and_name_every_switch():
    from paths import ROOT

    page = (ROOT / "docs" / "gpu.md").read_text()
    validated = ", ".join(settings.VALIDATED) or "none of the kernels"
    assert f"**Validated on a GPU: {validated}" in page  # update the page with settings.VALIDATED
    assert all(f"| {name} |" in page for name in settings.FAMILY_NAMES)
    assert all(word in page for word in (settings.KERNELS_ENV, settings.CAPTURE_ENV, "set_matmul_precision"))


def test_the_capture_setting_is_off_by_default_and_refuses_other_words(monkeypatch):
    monkeypatch.delenv(settings.CAPTURE_ENV, raising=False)
    assert settings.capture_enabled() is False
    assert settings.capture_enabled("on") and settings.capture_enabled("1") and not settings.capture_enabled("off")
    with pytest.raises(ValueError, match=r"PYLDL_CUDA_CAPTURE='maybe': expected 'on' or 'off'"):
        settings.capture_enabled("maybe")


def test_install_and_remove_bind_and_unbind_the_operations(host_kernels):
    backend = kernel_backend(host_kernels)
    assert backend.relu.__self__ is backend.kernels["activations"]
    fused.install(backend, backend.launcher, ("fold",))
    assert "relu" not in vars(backend) and backend.conv_fold.__self__.family.name == "fold"
    fused.remove(backend)
    assert not SERVED & set(vars(backend))
