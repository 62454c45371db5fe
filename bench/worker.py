"""One side of a benchmark in a process of its own: PyTorch's workload (``--lib torch``, the harness's
``PYLDL_BENCH_ISOLATE=1`` or ``tuned``) or ours built from a chosen library tree (``--lib ours --tree DIR``,
bench/ab.py's old and new sides). Every worker is started the same way: its own C heap and thread pools,
glibc's default heap (``default``) or pyldl_gpu's heap setting made here (``tuned``), and PYLDL_MALLOC_TUNING=0
so that no library tree changes the heap itself.

    python bench/worker.py [--lib torch|ours] [--tree DIR] KEY BATCH DEVICE train|inference default|tuned

imports pyldl_gpu from DIR (default: the checkout holding this bench/; refused unless ``pyldl_gpu.__file__`` lies
in DIR) and the workload definitions from this bench/, builds the workload, warms it up and prints ``ready``
and the path of the pyldl_gpu it imported; then, for each line ``N`` on stdin, times N steps and prints the
seconds per step; ``quit`` or the end of stdin ends it. Exit status 3: PyTorch (or its CUDA) is missing; 4: the
heap setting could not be made here; 5: DIR has no pyldl_gpu of its own.

``Worker`` is the other end: it starts one and times rounds through it."""

from __future__ import annotations

import argparse
import ctypes
import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
CHECKOUT = BENCH.parent
# pyldl_gpu's heap setting (pyldl_gpu/backends/_heap.py), made here with the same glibc mallopt calls so that it
# does not depend on where a library tree keeps it: M_MMAP_THRESHOLD (-3) 32 MiB, M_TRIM_THRESHOLD (-1) 256 MiB.
HEAP_SETTING = ((-3, 32 << 20), (-1, 256 << 20))


def tune_heap() -> bool:
    """Make pyldl_gpu's heap setting in this process; False where the C library is not glibc or MALLOC_*
    variables already tune it (as pyldl_gpu itself would leave it alone)."""
    if not sys.platform.startswith("linux") or any(name.startswith("MALLOC_") for name in os.environ):
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return all([mallopt(param, value) for param, value in HEAP_SETTING])


def inside(path: str | Path, tree: Path) -> bool:
    return Path(path).resolve().is_relative_to(tree.resolve())


def import_library(tree: Path):
    """pyldl_gpu from tree, or None where another one (an installed or editable copy) would load instead. The
    tree goes first on sys.path: the path finder runs before an editable install's meta-path finder, which only
    answers when no sys.path entry holds the package."""
    sys.path.insert(0, str(tree))
    try:
        import pyldl_gpu
    except ImportError:
        return None
    return pyldl_gpu if inside(pyldl_gpu.__file__, tree) else None


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lib", choices=("torch", "ours"), default="torch")
    parser.add_argument("--tree", type=Path, default=CHECKOUT)
    parser.add_argument("key")
    parser.add_argument("batch", type=int)
    parser.add_argument("device")
    parser.add_argument("mode", choices=("train", "inference"))
    parser.add_argument("heap", choices=("default", "tuned"), nargs="?", default="default")
    args = parser.parse_args(argv)
    os.environ["PYLDL_MALLOC_TUNING"] = "0"  # before any pyldl_gpu import: no tree touches the heap itself
    if args.heap == "tuned" and not tune_heap():
        return 4
    library = import_library(args.tree)
    if library is None:
        print(f"worker: no pyldl_gpu of its own in {args.tree}", file=sys.stderr)
        return 5
    from workloads import WORKLOADS, at_batch, build_ours, build_torch, time_steps, torch_usable

    w, train = at_batch(WORKLOADS[args.key], args.batch), args.mode == "train"
    if args.lib == "torch":
        if not torch_usable(args.device):
            return 3
        step, sync = build_torch(w, device=args.device, train=train)
    else:
        library.set_device(args.device)
        step, sync = build_ours(w, train=train)
    time_steps(step, sync, 3)
    strays = [name for name, m in sys.modules.items()
              if name.startswith("pyldl_gpu") and getattr(m, "__file__", None) and not inside(m.__file__, args.tree)]
    if strays:
        print(f"worker: modules from outside {args.tree}: {strays}", file=sys.stderr)
        return 5
    print("ready", library.__file__, flush=True)
    for line in sys.stdin:
        if line.strip() in ("", "quit"):
            break
        print(repr(time_steps(step, sync, int(line))), flush=True)
    return 0


class Worker:
    """A worker process for workload w (its key and batch): ``seconds_per_step(n)`` times n steps there.
    lib 'torch' or 'ours'; tree: the library tree it imports pyldl_gpu from (None: this checkout); heap
    'default' or 'tuned'. ``ready`` says whether it started; ``library`` is the pyldl_gpu file it imported."""

    def __init__(self, w, device: str, train: bool, heap: str = "default", lib: str = "torch",
                 tree: str | Path | None = None) -> None:
        command = [sys.executable, str(Path(__file__).resolve()), "--lib", lib, "--tree", str(tree or CHECKOUT),
                   w.name.split()[0], str(w.batch), device, "train" if train else "inference", heap]
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        word, _, self.library = self.proc.stdout.readline().rstrip("\n").partition(" ")
        self.ready = word == "ready"
        if not self.ready:
            self.close()

    def seconds_per_step(self, n: int) -> float:
        self.proc.stdin.write(f"{n}\n")
        self.proc.stdin.flush()
        return float(self.proc.stdout.readline())

    def close(self) -> None:
        """End the worker (stdin closed ends its loop) and release its pipes."""
        self.proc.stdin.close()
        self.proc.wait(timeout=60)
        self.proc.stdout.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
