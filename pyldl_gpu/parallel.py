"""DataParallel: one module trained on every CPU core by splitting each batch into row chunks.

NumPy runs elementwise work (activations, pooling, window copies, gradient folds) on one core; OpenBLAS spreads only the
GEMMs. DataParallel runs ``threads`` copies of the module side by side, each on a contiguous part of the batch
with a one-thread BLAS, then concatenates the outputs and sums the parameter gradients, so every pass keeps
every core busy (bench/NOTES.md has what it gains on the LeNet-style net).

    net = nn.DataParallel(nn.Sequential(nn.Conv2D(5, 1, 16), nn.ReLU(), ...))   # threads: the usable cores
    nn.Optim(net, nn.CrossEntropyLoss(), nn.Adam(net)).fit(x, y)                # used like any module

The copies share the module's Parameter arrays (no weight copies, updates seen by all); each keeps its own
gradient buffers and caches. The first copy is the module itself, so its gradients land in place and only the
others' are added. Dropout masks come from per-chunk generators seeded from the host generator (inside fit: the
training run's own, see backends/seeding.py): runs are reproducible under ``manual_seed``, in any thread (but
differ from an unwrapped run). On CuPy, or for a batch too small to
split, it simply calls the module. Modules with batch statistics (BatchNorm) or activation penalties
(KLSparsity) are refused: per-chunk statistics would silently change what they compute."""

from __future__ import annotations

import contextvars
import copy
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise

from . import arguments, backends
from .module import Module


class DataParallel(Module):
    """Wraps ``module``: x (batch, ...) -> module(x), computed as ``threads`` row chunks in parallel on the CPU.
    threads: worker count (default: the cores this process may use); min_rows: the smallest chunk worth a
    thread (smaller batches use fewer chunks). Parameters are the module's own, named ``module.<name>``."""

    def __init__(self, module: Module, threads: int | None = None, min_rows: int = 8) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DataParallel wraps a Module, got {type(module).__name__}")
        refused = [f"{name.rstrip('.') or 'the module'} ({type(m).__name__})" for name, m in module.named_modules()
                   if m._buffers or m.adds_penalty()]
        if refused:
            raise ValueError(f"DataParallel: {', '.join(refused)} computes batch statistics or an activation "
                             f"penalty, which per-chunk work would change; train this module unwrapped")
        threads = backends.cpu_threads() if threads is None else arguments.integer(threads, "threads", "DataParallel")
        self.module = module
        self.threads, self.min_rows = threads, arguments.integer(min_rows, "min_rows", "DataParallel")
        self._workers = None  # (thread pool, replicas 1..threads-1), built on the first split batch
        self._bounds = None  # row ranges of the last call's chunks; None when it ran unsplit

    # ---- chunks and workers
    def _chunk_bounds(self, rows: int) -> list[tuple[int, int]] | None:
        chunks = min(self.threads, rows // self.min_rows)
        if chunks < 2 or backends.active().name != "cpu":
            return None
        edges = [rows * k // chunks for k in range(chunks + 1)]
        return list(pairwise(edges))

    def _replicas(self, count: int) -> list[Module]:
        """The module and its first count - 1 copies (built on the first split batch)."""
        if self._workers is None:
            self._workers = (ThreadPoolExecutor(self.threads - 1, thread_name_prefix="pyldl-dp"),
                             [copy.deepcopy(self.module) for _ in range(self.threads - 1)])
        return [self.module, *self._workers[1][:count - 1]]

    def _synced(self, replicas: list[Module]) -> list[Module]:
        """Point the copies' parameters at the module's arrays and give them its mode (once per forward:
        rebinding follows optimizers and load, which may replace arrays instead of writing into them)."""
        params = self.module.parameters()
        for replica in replicas[1:]:
            for mine, theirs in zip(replica.parameters(), params):
                mine.data = theirs.data
            if replica.training != self.module.training:
                replica.train(self.module.training)
        return replicas

    def _run(self, tasks) -> list:
        """Run task() for each task: the first in this thread, the others on the pool; each in a copy of the
        caller's context (device, dtype and error settings are context variables) with a one-thread BLAS."""
        pool = self._workers[0]
        with backends.blas_threads(1):
            futures = [pool.submit(contextvars.copy_context().run, task) for task in tasks[1:]]
            first = tasks[0]()
            return [first, *(f.result() for f in futures)]

    @staticmethod
    def _split(a, bounds):
        return [a[lo:hi] for lo, hi in bounds]

    def _sum_gradients(self, replicas) -> None:
        copies = [replica.parameters() for replica in replicas[1:]]
        for k, param in enumerate(self.module.parameters()):
            for params in copies:
                param.accumulate(params[k].grad)

    # ---- the Module API: the state is (None, the module's Saved record), or (chunk bounds, their records)
    def _chunked(self, x, run, draws: bool):
        """(y, state) of run (Module.forward_with_state or replay_with_state) on x, split or whole. draws: give
        each chunk a generator of its own (seeded from the host generator) for its random draws."""
        bounds = self._bounds = self._chunk_bounds(x.shape[0])
        if bounds is None:
            y, saved = run(self.module, x)
            return y, (None, saved)
        replicas = self._synced(self._replicas(len(bounds)))
        seeds = backends.host_rng().integers(0, 2**62, len(replicas)) if draws and self.training else None

        def task(k, replica, chunk):
            def go():
                if seeds is None:
                    return run(replica, chunk)
                with backends.local_rng(int(seeds[k])):
                    return run(replica, chunk)
            return go

        results = self._run([task(k, r, c) for k, (r, c) in enumerate(zip(replicas, self._split(x, bounds)))])
        return backends.xp().concatenate([y for y, _ in results], axis=0), (bounds, [s for _, s in results])

    def _forward(self, x):
        return self._chunked(x, Module.forward_with_state, draws=True)

    def _replay(self, x):
        return self._chunked(x, Module.replay_with_state, draws=False)

    def _backward(self, state, delta, input_grad: bool, param_grads: bool):
        """One reverse pass: each chunk's gradients in parallel, then the copies' gradients summed into the
        module's; returns dL/dx (None when input_grad is False)."""
        bounds, saved = state
        if bounds is None:
            return self.module.backward_with_state(saved, delta, input_grad, param_grads)
        replicas = self._replicas(len(bounds))
        if param_grads:
            for replica in replicas[1:]:
                replica.zero_grad()
        deltas = self._run([lambda r=r, s=s, d=d: r.backward_with_state(s, d, input_grad, param_grads)
                            for r, s, d in zip(replicas, saved, self._split(delta, bounds))])
        if param_grads:
            self._sum_gradients(replicas)
        return backends.xp().concatenate(deltas, axis=0) if input_grad else None

    def train(self, mode: bool = True) -> DataParallel:
        super().train(mode)
        for replica in self._workers[1] if self._workers else ():
            replica.train(mode)
        return self

    def output_shape(self, input_shape: tuple) -> tuple:
        return self.module.output_shape(input_shape)

    def extra_repr(self) -> str:
        return f"{self.module!r}, threads={self.threads}"

    def _label(self) -> str:
        return type(self).__name__

    # ---- copies and pickles leave the threads behind (rebuilt on the next split batch)
    def __getstate__(self) -> dict:
        state = super().__getstate__()
        state["_workers"] = None
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
