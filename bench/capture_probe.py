"""python bench/capture_probe.py [--kernels eager|fused] [--json OUT.json]: what CUDA-graph capture a GPU accepts
here, printed as one line per check (ok / refused / failed / unavailable) with replay-vs-eager times.

CuPy refuses cuBLAS calls while a stream captures (its cuBLAS wrapper raises NotImplementedError), so a training
step with a matmul cannot be captured whole through CuPy. The checks, each independent of the others:

  elementwise   a chain of CuPy elementwise kernels and our fused kernels, captured, replayed, compared
  cupy-gemm     a CuPy matmul inside a capture (expected: refused)
  segments      piecewise capture: every module's forward and backward, the loss and the optimizer step of W2 and
                W3 at batch 1024, each captured alone with fixed buffers; the GEMM-free ones replay, with their
                eager and replay times per call (the saving piecewise capture can give)
  own-cublas    a GEMM through a cuBLAS handle of our own (ctypes on libcublas, our stream and workspace) inside a
                capture, replayed and compared with CuPy's matmul
  cutensor      a GEMM as a cuTENSOR contraction (cupyx.cutensor) inside a capture
  whole-step    a whole W2 training step (forward, loss, backward, SGD with momentum) written with own-cublas GEMMs
                and the backend's fused operations, captured and replayed; compared with the library's
                Optim.step on the same weights, and timed against it

Runs with PYLDL_CUDA_CAPTURE=on (main sets it before the backend is created): the backend's own stream and Adam's
device clock. Nothing here changes the library; bench/run_gpu.sh runs it and keeps its output."""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import statistics
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pyldl_gpu as nn
from pyldl_gpu import backends

np = backends.host()
REPEATS = 200  # calls timed per eager / replay measurement
RESULTS: list[dict] = []


def report(check: str, status: str, detail: str = "", **numbers) -> None:
    RESULTS.append(dict(check=check, status=status, detail=detail, **numbers))
    extra = " ".join(f"{k}={v}" for k, v in numbers.items())
    print(f"{check:42s} {status:11s} {extra} {detail}".rstrip(), flush=True)


def per_call_us(call, sync, repeats: int = REPEATS) -> float:
    """Median over 5 batches of ``repeats`` calls, microseconds per call, device-synchronised."""
    times = []
    for _ in range(5):
        sync()
        start = time.perf_counter()
        for _ in range(repeats):
            call()
        sync()
        times.append((time.perf_counter() - start) / repeats)
    return round(statistics.median(times) * 1e6, 1)


def attempt(check: str, body) -> None:
    """Run one check; a NotImplementedError is CuPy refusing, anything else a failure (with its last line)."""
    try:
        body()
    except NotImplementedError as error:
        report(check, "refused", f"NotImplementedError: {error}")
    except Exception as error:  # the probe reports and goes on
        last = traceback.format_exception_only(type(error), error)[-1].strip()
        report(check, "failed", last[:300])


# ---------------------------------------------------------------- checks
def check_elementwise(b) -> None:
    cupy = b.xp
    rng = np.random.default_rng(0)
    x, d = (b.asarray(rng.standard_normal((1024, 1024)).astype(np.float32)) for _ in "xd")

    def step():
        y = b.relu(cupy.tanh(x) * 0.5 + x)
        return b.relu_backward(y, d) * 2.0

    eager = step()
    graph = b.capture(step)
    graph.replay()
    b.synchronize()
    same = bool(cupy.array_equal(graph.result, eager))
    report("elementwise", "ok" if same else "failed", "" if same else "replay differs from eager",
           eager_us=per_call_us(step, b.synchronize), replay_us=per_call_us(graph.replay, b.synchronize))


def check_cupy_gemm(b) -> None:
    a = b.xp.ones((256, 256), dtype=b.xp.float32)
    b.capture(lambda: a @ a, warmup=1)
    report("cupy-gemm", "ok", "CuPy captured a cuBLAS GEMM: whole-step capture through CuPy may work")


def _segments(b, key: str) -> None:
    from workloads import WORKLOADS, at_batch, synthetic_data

    w = at_batch(WORKLOADS[key], 1024)
    net, loss = w.ours()
    x, y = synthetic_data(w, n_batches=1)
    x, y = nn.asarray(x), nn.asarray(y)
    h, saved = x, []
    segments = []
    for m in net:
        segments.append((f"{key} forward  {m!r}", lambda m=m, h=h: m.forward_with_state(h)))
        h, record = m.forward_with_state(h)
        saved.append(record)
    out = h
    segments.append((f"{key} loss forward+backward", lambda: (loss.forward(y, out), loss.backward(y, out))))
    delta = loss.backward(y, out)
    for i, m in reversed(list(enumerate(net))):
        segments.append((f"{key} backward {m!r}", lambda m=m, d=delta, i=i: m.backward_with_state(saved[i], d)))
        delta = m.backward_with_state(saved[i], delta) if i > 0 else None
    for name, make in (("SGD momentum step", lambda: nn.SGD(net, lr=1e-3, momentum=0.9)),
                       ("Adam step", lambda: nn.Adam(net, lr=1e-4))):
        segments.append((f"{key} {name}", make().step))
    for name, call in segments:
        def body(name=name, call=call):
            graph = b.capture(call, warmup=1)
            report(name, "ok", eager_us=per_call_us(call, b.synchronize, 50),
                   replay_us=per_call_us(graph.replay, b.synchronize, 50))
        attempt(name, body)


def load_cublas():
    """libcublas through cuda.pathfinder (CuPy's own loader) or the usual sonames; raises OSError if absent."""
    try:
        from cuda.pathfinder import load_nvidia_dynamic_lib

        return ctypes.CDLL(load_nvidia_dynamic_lib("cublas").abs_path)
    except Exception:  # not that way: the loader's search path
        for name in ("libcublas.so.13", "libcublas.so.12", "libcublas.so"):
            try:
                return ctypes.CDLL(name)
            except OSError:
                continue
    raise OSError("no libcublas found (cuda.pathfinder, libcublas.so.13/.12)")


class OwnCublas:
    """A cuBLAS handle of our own on the backend's stream, with a fixed workspace (cuBLAS's advice for graphs);
    ``gemm(a, b, out, ta, tb)`` is out = op(a) @ op(b) for C-contiguous float32 matrices."""

    def __init__(self, b) -> None:
        self.lib, self.b = load_cublas(), b
        self.handle = ctypes.c_void_p()
        self._check(self.lib.cublasCreate_v2(ctypes.byref(self.handle)), "cublasCreate")
        self._check(self.lib.cublasSetStream_v2(self.handle, ctypes.c_void_p(b.stream.ptr)), "cublasSetStream")
        self.workspace = b.xp.empty(32 << 20, dtype=b.xp.uint8)
        self._check(self.lib.cublasSetWorkspace_v2(self.handle, ctypes.c_void_p(self.workspace.data.ptr),
                                                   ctypes.c_size_t(self.workspace.nbytes)), "cublasSetWorkspace")
        self.one, self.zero = ctypes.c_float(1.0), ctypes.c_float(0.0)

    @staticmethod
    def _check(status: int, what: str) -> None:
        if status != 0:
            raise RuntimeError(f"{what} returned cuBLAS status {status}")

    def gemm(self, a, b_, out, ta: bool = False, tb: bool = False, accumulate: bool = False) -> None:
        transa, transb, m, n, k, lda, ldb, ldc = sgemm_call(a.shape, b_.shape, out.shape, ta, tb)
        ptr = ctypes.c_void_p
        self._check(self.lib.cublasSgemm_v2(
            self.handle, transa, transb, m, n, k, ctypes.byref(self.one), ptr(b_.data.ptr), lda, ptr(a.data.ptr),
            ldb, ctypes.byref(self.one if accumulate else self.zero), ptr(out.data.ptr), ldc), "cublasSgemm")


def sgemm_call(a_shape, b_shape, out_shape, ta: bool, tb: bool) -> tuple[int, ...]:
    """(transa, transb, m, n, k, lda, ldb, ldc) of the column-major cublasSgemm computing row-major
    out (M, N) = op(a) (M, K) @ op(b) (K, N) for C-contiguous a, b, out: it is out^T = op(b)^T op(a)^T, so cuBLAS's
    first operand is b's memory and its second a's (op: the transpose when ta / tb)."""
    rows, inner = (a_shape[1], a_shape[0]) if ta else a_shape
    cols = b_shape[0] if tb else b_shape[1]
    if (b_shape[1] if tb else b_shape[0]) != inner or tuple(out_shape) != (rows, cols):
        raise ValueError(f"gemm: op(a) {a_shape} (ta={ta}) @ op(b) {b_shape} (tb={tb}) does not make {out_shape}")
    return int(tb), int(ta), cols, rows, inner, b_shape[1], a_shape[1], out_shape[1]


def check_own_cublas(b) -> OwnCublas:
    blas = OwnCublas(b)
    cupy = b.xp
    rng = np.random.default_rng(2)
    a, c = (b.asarray(rng.standard_normal((1024, 784)).astype(np.float32)) for _ in "ac")
    w = b.asarray(rng.standard_normal((784, 1024)).astype(np.float32))
    out = cupy.empty((1024, 1024), dtype=cupy.float32)
    grad = cupy.empty((784, 784), dtype=cupy.float32)

    def step():
        blas.gemm(a, w, out)
        blas.gemm(a, c, grad, ta=True)  # a^T c, as a weight gradient is
        return out

    graph = b.capture(step)
    out.fill(0)
    graph.replay()
    b.synchronize()
    err = float(cupy.abs(out - a @ w).max() / cupy.abs(a @ w).max())
    err_t = float(cupy.abs(grad - a.T @ c).max() / cupy.abs(a.T @ c).max())
    ok = err < 1e-5 and err_t < 1e-5
    report("own-cublas", "ok" if ok else "failed", "" if ok else f"relative errors {err:.2e}, {err_t:.2e}",
           cupy_matmul_us=per_call_us(lambda: (a @ w, a.T @ c), b.synchronize),
           replay_us=per_call_us(graph.replay, b.synchronize))
    return blas


def check_cutensor(b) -> None:
    from cupyx import cutensor

    cupy = b.xp
    a = cupy.ones((512, 256), dtype=cupy.float32)
    w = cupy.ones((256, 128), dtype=cupy.float32)
    out = cupy.zeros((512, 128), dtype=cupy.float32)
    graph = b.capture(lambda: cutensor.contraction(1.0, a, "ik", w, "kj", 0.0, out, "ij"))
    out.fill(0)
    graph.replay()
    b.synchronize()
    ok = bool((out == 256.0).all())
    report("cutensor", "ok" if ok else "failed", "" if ok else "wrong product",
           replay_us=per_call_us(graph.replay, b.synchronize))


def check_whole_step(b, blas: OwnCublas) -> None:
    """W2 (784-1024-1024-10, ReLU, cross-entropy, SGD momentum 0.9) at batch 1024, one step in one graph."""
    from workloads import WORKLOADS, at_batch, synthetic_data

    cupy = b.xp
    w2 = at_batch(WORKLOADS["W2"], 1024)
    nn.manual_seed(0)
    net, loss = w2.ours()
    reference = nn.Optim(net, loss, nn.SGD(net, lr=0.01, momentum=0.9))
    xh, yh = synthetic_data(w2, n_batches=1)
    x, y = nn.asarray(xh), nn.asarray(yh)
    linears = [m for m in net if isinstance(m, nn.Linear)]
    weights = [(m.weight.data.copy(), m.bias.data.copy()) for m in linears]  # (in, out), (out,)
    velocity = [(cupy.zeros_like(wt), cupy.zeros_like(bs)) for wt, bs in weights]
    acts = [cupy.empty((1024, wt.shape[1]), dtype=cupy.float32) for wt, _ in weights]
    grads = [(cupy.empty_like(wt), cupy.empty_like(bs)) for wt, bs in weights]
    deltas = [cupy.empty((1024, wt.shape[0]), dtype=cupy.float32) for wt, _ in weights]
    losses = cupy.zeros(1, dtype=cupy.float32)

    def step():
        h = x
        for i, (wt, bs) in enumerate(weights):
            blas.gemm(h, wt, acts[i])
            acts[i] += bs
            if i < len(weights) - 1:
                acts[i][...] = b.relu(acts[i])
            h = acts[i]
        value, log_p = b.softmax_cross_entropy(h, y)
        losses[0] = value
        g = b.softmax_cross_entropy_backward(log_p, y)
        for i in reversed(range(len(weights))):
            inputs = x if i == 0 else acts[i - 1]
            blas.gemm(inputs, g, grads[i][0], ta=True)
            grads[i][1][...] = g.sum(axis=0)
            if i > 0:
                blas.gemm(g, weights[i][0], deltas[i], tb=True)
                g = b.relu_backward(acts[i - 1], deltas[i])
        for (wt, bs), (gw, gb), (vw, vb) in zip(weights, grads, velocity):
            b.sgd_update(wt, gw, 0.01, 0.9, False, 0.0, vw, None)
            b.sgd_update(bs, gb, 0.01, 0.9, False, 0.0, vb, None)

    step()  # once eagerly (every kernel compiled and loaded), then back to the reference's weights
    for (wt, bs), (vw, vb), m in zip(weights, velocity, linears):
        wt[...], bs[...] = m.weight.data, m.bias.data
        vw.fill(0)
        vb.fill(0)
    graph = b.capture(step, warmup=0)  # recorded, not run
    for _ in range(3):
        graph.replay()
        reference.step(x, y)
    b.synchronize()
    errors = [float(cupy.abs(ours - m.weight.data).max() / cupy.abs(m.weight.data).max())
              for (ours, _), m in zip(weights, linears)]
    ok = max(errors) < 1e-4
    report("whole-step W2 b1024 (own cuBLAS)", "ok" if ok else "failed",
           "" if ok else f"weights after 3 replays differ from Optim.step's by {max(errors):.2e} (relative)",
           optim_step_us=per_call_us(lambda: reference.step(x, y), b.synchronize, 50),
           replay_us=per_call_us(graph.replay, b.synchronize, 50))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kernels", default="fused", help="PYLDL_CUDA_KERNELS for the probe (default fused)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    os.environ["PYLDL_CUDA_CAPTURE"] = "on"  # before the cuda backend is created (it reads the switch then)
    if not backends.cuda_is_available():
        print("capture_probe: no usable CUDA device here", file=sys.stderr)
        return 2
    with nn.device("cuda"):
        b = backends.active()
        b.use_kernels(args.kernels)
        print(f"{b.describe()}; CuPy capture probe, {REPEATS} calls per timing", flush=True)
        attempt("elementwise", lambda: check_elementwise(b))
        attempt("cupy-gemm", lambda: check_cupy_gemm(b))
        for key in ("W2", "W3"):
            attempt(f"segments {key}", lambda key=key: _segments(b, key))
        blas = []
        attempt("own-cublas", lambda: blas.append(check_own_cublas(b)))
        attempt("cutensor", lambda: check_cutensor(b))
        if blas:
            attempt("whole-step W2 b1024 (own cuBLAS)", lambda: check_whole_step(b, blas[0]))
        else:
            report("whole-step W2 b1024 (own cuBLAS)", "unavailable", "needs the own-cublas check to pass")
        described = b.describe()
    if args.json:
        from machine import environment

        args.json.write_text(json.dumps(dict(device=described, environment=environment(), kernels=args.kernels,
                                             results=RESULTS), indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
