"""python bench/gpu_throughput.py [--workloads W1 ...] [--batches 128 1024] [--rounds 5] [--json F] [--md F]
[--png F]: training throughput on the GPU of ours with the eager path, ours with every fused kernel family, and
PyTorch, alternated round by round in one run; and ours on 2 CPU cores of the same machine, for the GPU/CPU ratio.

Ours runs in this process and switches its kernels between rounds (CupyBackend.use_kernels: the same net, the
same data); PyTorch runs in a worker process of its own (bench/worker.py; all of them started at once, up front,
each measured alone), so is the 2-core CPU side (started
with this process's CPU affinity narrowed to cores 0 and 1, or PYLDL_BENCH_CPU_CORES, which the worker inherits;
its BLAS pool sizes itself from that affinity). Each round times ~round-seconds of steps per side, the order
rotated each round (bench/ab.py's run_rounds). Ratios are of throughput, medians of per-round ratios (min-max).

The issue's targets at batch 1024: fused / PyTorch >= 1.0 on W1-W5; ours GPU / ours 2-core CPU >= 20 on W2, W3
and W5 (the checks at the end of the table)."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ab import ratio, run_rounds
from harness import torch_peer
from machine import cpu_model, environment
from outputs import write
from worker import Worker
from workloads import WORKLOADS, at_batch, build_ours, settle, steps_for, time_steps

import pyldl_gpu as nn
from pyldl_gpu import backends

TORCH_TARGET, CPU_TARGET, CPU_TARGET_WORKLOADS, TARGET_BATCH = 1.0, 20.0, ("W2", "W3", "W5"), 1024
CPU_CORES = {int(c) for c in os.environ.get("PYLDL_BENCH_CPU_CORES", "0,1").split(",")}  # the 2-core side


@contextmanager
def cpu_affinity(cores: set[int]):
    """This process (and what it starts meanwhile) on ``cores`` only, even outside its own affinity (run_gpu.sh
    keeps the GPU side on other cores); yields the cores it got, and restores the affinity after."""
    before = os.sched_getaffinity(0)
    try:
        os.sched_setaffinity(0, cores)
    except OSError:  # cores this machine does not have (or lets us use): stay where we are, and say so
        pass
    try:
        yield sorted(os.sched_getaffinity(0))
    finally:
        os.sched_setaffinity(0, before)


def measure(w, rounds: int, round_s: float, device: str, peer, cpu_worker) -> dict:
    """One workload at one batch: our eager and fused rounds here, PyTorch's in ``peer`` (a timer and a closer,
    or None), alternated; then ours on 2 CPU cores in ``cpu_worker`` (or None)."""
    with nn.device(device):
        backend = backends.active()
        step, sync = build_ours(w)
        switch = getattr(backend, "use_kernels", lambda kernels: None)  # the CPU smoke run has no kernels

        def ours(kernels):
            def timed(n):
                switch(kernels)
                return time_steps(step, sync, n)
            return timed

        timers = {"eager": ours("eager")}
        if hasattr(backend, "use_kernels"):
            timers["fused"] = ours("fused")
        if peer:
            timers["torch"] = peer[0]
        try:
            n = steps_for(min(t(3) for t in timers.values()), round_s)
            times = run_rounds(timers, n, rounds, device)
        finally:
            if peer:
                peer[1]()
        switch("eager")
        described = backend.describe()
    info = dict(key=w.name.split()[0], workload=w.name, batch=w.batch, device=described, steps_per_round=n,
                samples_per_s={side: round(w.batch / statistics.median(t), 1) for side, t in times.items()},
                seconds_per_step=times)
    if "fused" in times:
        info["fused_over_eager"] = ratio(times["fused"], times["eager"])
    if "torch" in times:
        info.update({f"{side}_over_torch": ratio(times[side], times["torch"]) for side in times if side != "torch"})
    if cpu_worker:
        info["cpu_2core_samples_per_s"] = cpu_throughput(cpu_worker, w.batch, rounds)
    return info


def start_cpu_worker(w):
    """Our workload in a worker process pinned to CPU_CORES (the calling thread's affinity, which it inherits)."""
    with cpu_affinity(CPU_CORES) as cores:
        worker = Worker(w, "cpu", True, heap="tuned", lib="ours")
    if len(cores) != len(CPU_CORES):
        print(f"gpu_throughput: the CPU side runs on cores {cores}, not {sorted(CPU_CORES)}", file=sys.stderr)
    return worker if worker.ready else None


def cpu_throughput(worker, batch: int, rounds: int) -> float:
    try:
        n = steps_for(worker.seconds_per_step(3), 0.6)
        seconds = []
        for _ in range(rounds):
            settle("cpu")
            seconds.append(worker.seconds_per_step(n))
    finally:
        worker.close()
    return round(batch / statistics.median(seconds), 1)


def _cell(r: dict | None) -> str:
    return "n/a" if r is None else f"{r['median']:.2f}x ({r['min']:.2f}-{r['max']:.2f})"


def _sps(info: dict, side: str) -> str:
    value = info["samples_per_s"].get(side)
    return "n/a" if value is None else f"{value:,.0f}"


def gpu_over_cpu(info: dict) -> float | None:
    cpu, fused = info.get("cpu_2core_samples_per_s"), info["samples_per_s"].get("fused")
    return fused / cpu if cpu and fused else None


def targets(report: dict) -> list[str]:
    lines = []
    for r in report["results"]:
        if r["batch"] != TARGET_BATCH:
            continue
        if "fused_over_torch" in r:
            value = r["fused_over_torch"]["median"]
            lines.append(f"- {r['key']} batch {TARGET_BATCH}: fused / PyTorch {value:.2f}x (target >= "
                         f"{TORCH_TARGET:.1f}x): {'met' if value >= TORCH_TARGET else 'NOT met'}")
        ratio_cpu = gpu_over_cpu(r)
        if r["key"] in CPU_TARGET_WORKLOADS and ratio_cpu is not None:
            lines.append(f"- {r['key']} batch {TARGET_BATCH}: fused GPU / ours on 2 CPU cores {ratio_cpu:.1f}x "
                         f"(target >= {CPU_TARGET:.0f}x): {'met' if ratio_cpu >= CPU_TARGET else 'NOT met'}")
    return lines


def markdown(report: dict) -> str:
    env = "; ".join(f"{k}: {v}" for k, v in report["environment"].items())
    lines = ["# Training throughput on the GPU: ours eager, ours fused, PyTorch (bench/gpu_throughput.py)", "",
             f"{report['device']}; CPU: {report['cpu']}; {env}; {report['rounds']} rounds; run {report['date']}", "",
             "Samples/s are medians; ours switches kernels between rounds in one process, PyTorch and the 2-core "
             "CPU side run in worker processes; ratios are of throughput, medians of per-round ratios (min-max).",
             "", "| workload | batch | eager | fused | PyTorch | fused / eager | eager / PyTorch | fused / PyTorch "
             "| 2-core CPU | fused / 2-core CPU |", "|---|---:|---:|---:|---:|---|---|---|---:|---:|"]
    for r in report["results"]:
        cpu = r.get("cpu_2core_samples_per_s")
        over_cpu = gpu_over_cpu(r)
        lines.append(f"| {r['workload']} | {r['batch']} | {_sps(r, 'eager')} | {_sps(r, 'fused')} | "
                     f"{_sps(r, 'torch')} | {_cell(r.get('fused_over_eager'))} | {_cell(r.get('eager_over_torch'))} "
                     f"| {_cell(r.get('fused_over_torch'))} | {f'{cpu:,.0f}' if cpu else '-'} | "
                     f"{f'{over_cpu:.1f}x' if over_cpu else '-'} |")
    return "\n".join([*lines, "", f"Targets (training, batch {TARGET_BATCH}):", "", *targets(report)]) + "\n"


def chart(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in report["results"] if "eager_over_torch" in r]
    labels = [f"{r['key']}\nb{r['batch']}" for r in rows]
    fig, ax = plt.subplots(figsize=(max(6, len(rows) * 0.9), 4))
    for offset, side in ((-0.2, "eager"), (0.2, "fused")):
        values = [r.get(f"{side}_over_torch", {}).get("median", 0) for r in rows]
        ax.bar([i + offset for i in range(len(rows))], values, width=0.4, label=f"ours {side} / PyTorch")
    ax.axhline(TORCH_TARGET, color="black", linewidth=0.8, linestyle="--")
    ax.set_xticks(range(len(rows)), labels)
    ax.set_ylabel("throughput ratio (median of rounds)")
    ax.set_title(report["device"], fontsize=9)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workloads", nargs="+", choices=[k for k in WORKLOADS if k != "W3dp"],
                        default=["W1", "W2", "W3", "W4", "W5"])
    parser.add_argument("--batches", type=int, nargs="+", default=[128, 1024])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--round-seconds", type=float, default=0.25)
    parser.add_argument("--device", default="cuda", help="cuda (cpu: a smoke run of this script)")
    parser.add_argument("--no-cpu", action="store_true", help="skip the 2-core CPU side")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--md", type=Path)
    parser.add_argument("--png", type=Path)
    args = parser.parse_args(argv)
    if args.device == "cuda" and not backends.cuda_is_available():
        print("gpu_throughput: no usable CUDA device here", file=sys.stderr)
        return 2
    with nn.device(args.device):
        described = backends.active().describe()
    report = dict(device=described, cpu=cpu_model(), environment=environment(), rounds=args.rounds,
                  date=time.strftime("%Y-%m-%d %H:%M:%S"), results=[])
    cases = [at_batch(WORKLOADS[key], batch) for key in args.workloads for batch in args.batches]
    with ThreadPoolExecutor(max_workers=2 * len(cases)) as pool:  # every worker process starts at once
        peers = [pool.submit(torch_peer, w, args.device, True, "own") for w in cases]
        cpus = [pool.submit(start_cpu_worker, w) if not args.no_cpu and w.batch == TARGET_BATCH
                and w.name.split()[0] in CPU_TARGET_WORKLOADS else None for w in cases]
        for w, peer, cpu in zip(cases, peers, cpus):
            result = measure(w, args.rounds, args.round_seconds, args.device, peer.result(),
                             cpu.result() if cpu else None)
            report["results"].append(result)
            print(f"{result['key']} b{w.batch}: {result['samples_per_s']} fused/eager "
                  f"{_cell(result.get('fused_over_eager'))}", file=sys.stderr, flush=True)
    if args.png:
        chart(report, args.png)
    write(report, markdown(report), args.json, args.md)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
