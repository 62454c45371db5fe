"""What the compiled CPU kernels cost on first use, and what the README's main job gains:

    python bench/first_use.py --baseline TREE [--rounds 2] [--json OUT] [--md OUT]

1. Each kernel's first call in a fresh process, with an empty kernel cache (cold: Numba compiles it) and again
   with that cache filled (warm: Numba loads it), at the shapes of a small net (the time is the compile or the
   load; the call itself takes microseconds).
2. ``python experiments/denoising.py`` end to end (the README's main job), in rounds: the baseline tree (before
   the kernels), this checkout with an empty cache (cold) and this checkout with the cache the cold run left
   (warm); each run in a fresh process, its own output folder. The cold and warm runs use a cache folder of their
   own (NUMBA_CACHE_DIR), so the checkout's own cache is left alone.

Run it under the CPU lock: it takes a few minutes."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import write_outputs

CHECKOUT = Path(__file__).resolve().parents[1]

PROBE = r"""
import json, time
start = time.perf_counter()
import pyldl_gpu as nn
from pyldl_gpu import backends
b = backends.active()
np = backends.host()
times = {"import pyldl_gpu": time.perf_counter() - start}
def first(name, call):
    t = time.perf_counter(); call(); times[name] = time.perf_counter() - t
from pyldl_gpu.backends.cpu import kernels
x = np.random.default_rng(0).standard_normal((4, 8, 8, 3)).astype(np.float32)
a = np.ones((2, kernels.ELEMENTWISE_WORK // 2), np.float32)  # smaller activations take the array code
first("Numba import, thread pool, relu", lambda: b.relu(a))
first("relu_backward", lambda: b.relu_backward(a, a))
first("tanh_backward", lambda: b.tanh_backward(a, a))
first("sigmoid_backward", lambda: b.sigmoid_backward(a, a))
first("relu_max_pool2d (2x2)", lambda: b.relu_max_pool2d(x, (2, 2), (2, 2), True))
y, w = b.relu_max_pool2d(x, (2, 2), (2, 2), True)
first("relu_max_pool2d_backward (2x2)", lambda: b.relu_max_pool2d_backward(y, w, (2, 2), (2, 2), True, x))
first("max_pool2d (3x3, stride 2)", lambda: b.max_pool2d(x, (3, 3), (2, 2)))
first("conv_windows", lambda: b.conv_windows(x, 3, 3, 1, 1, 2, True))
r = b.conv_windows(x, 3, 3, 1, 1, 2, False)
first("conv_fold", lambda: b.conv_fold(r, x.shape, 3, 3, 1, 1, 2))
z = np.zeros((5, 10), np.float32); labels = np.arange(5)
first("softmax_cross_entropy", lambda: b.softmax_cross_entropy(z, labels))
first("softmax_cross_entropy_backward", lambda: b.softmax_cross_entropy_backward(z, labels))
d = np.ones(10, np.float32)
first("sgd_update", lambda: b.sgd_update(d.copy(), d, 0.1, 0.9, False, 0.0, d.copy(), d.copy()))
first("adam_update", lambda: b.adam_update(d.copy(), d, 0.1, 0.9, 0.999, 1e-8, 0.0, False, 1, d.copy(), d.copy(),
                                           d.copy()))
print(json.dumps(times))
"""


def _run(command: list[str], cwd: Path, env: dict) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} in {cwd} failed:\n{done.stderr[-2000:]}")
    return time.perf_counter() - start, done.stdout


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", type=Path, required=True, help="a tree of the library before the kernels")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--md", type=Path)
    args = parser.parse_args(argv)
    base_env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "PYTHONPATH", "PYLDL_KERNELS")}
    base_env["PYLDL_DEVICE"] = "cpu"
    scratch = Path(tempfile.mkdtemp(prefix="pyldl-first-use-"))
    try:
        cache = scratch / "numba-cache"
        env = dict(base_env, NUMBA_CACHE_DIR=str(cache), PYTHONPATH=str(CHECKOUT))
        kernels = {}
        for state in ("cold", "warm"):
            _, out = _run([sys.executable, "-c", PROBE], CHECKOUT, env)
            kernels[state] = {k: round(v, 3) for k, v in json.loads(out).items()}
        job = {"baseline": [], "cold": [], "warm": []}
        for r in range(args.rounds):
            for side in job:
                out = scratch / f"run-{side}-{r}"
                if side == "baseline":
                    tree, side_env = args.baseline, dict(base_env, PYTHONPATH=str(args.baseline))
                else:
                    tree, side_env = CHECKOUT, dict(env)
                    if side == "cold":
                        shutil.rmtree(cache, ignore_errors=True)
                seconds, _ = _run([sys.executable, "experiments/denoising.py", "--quiet", "--out", str(out)], tree,
                                  side_env)
                job[side].append(round(seconds, 2))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    medians = {side: statistics.median(t) for side, t in job.items()}
    report = dict(date=time.strftime("%Y-%m-%d %H:%M:%S"), baseline=str(args.baseline), kernel_first_call_s=kernels,
                  denoising_s=job, denoising_median_s=medians,
                  cold_over_baseline=round(medians["cold"] / medians["baseline"], 3),
                  warm_over_baseline=round(medians["warm"] / medians["baseline"], 3))
    lines = ["# First use of the CPU kernels (bench/first_use.py)", "", f"run {report['date']}", "",
             "| kernel's first call | cold cache (compile) | warm cache (load) |", "|---|---:|---:|"]
    lines += [f"| {name} | {kernels['cold'][name]:.2f} s | {kernels['warm'][name]:.2f} s |" for name in kernels["cold"]]
    lines += ["", f"| `python experiments/denoising.py`, end to end | {' | '.join(job)} |",
              "|---|" + "---:|" * len(job),
              "| seconds, each round | " + " | ".join(", ".join(f"{t:.1f}" for t in job[s]) for s in job) + " |",
              "| median | " + " | ".join(f"{medians[s]:.1f}" for s in job) + " |", "",
              f"cold / baseline {report['cold_over_baseline']:.3f}, warm / baseline {report['warm_over_baseline']:.3f}"
              " (time; below 1: faster)"]
    table = "\n".join(lines) + "\n"
    write_outputs(report, table, args.json, args.md)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
