"""Wall times of every experiment on one device, then the CPU / GPU table of two such runs.

    python bench/experiment_times.py run --device cuda [--epochs 1] [--cores 0,1] [--deadline S] [--timeout S]
        [--only NAME ...] [--full NAME:DATA ...] --out DIR --json FILE
    python bench/experiment_times.py table CPU.json GPU.json [--md FILE]

``run`` runs each registered experiment on its default data set, one after the other, each in a process of its
own (``python -m experiments run NAME --device D --quiet``), with ``--epochs N`` when given (a fixed-epoch subset:
the same on both devices, so the times compare), after each ``--full NAME:DATA`` as its full run. It
records the process's wall time and the experiment's own (metrics.json's wall_seconds, which leaves out the
imports and the device's start), the status (ok, failed, timeout, not started: out of --deadline seconds) and the
metrics; the JSON file is rewritten after every run, so a run cut short keeps what finished. ``--cores 0,1`` pins
the runs to those cores (2 CPU cores, as CI has)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from outputs import write

CHECKOUT = Path(__file__).resolve().parents[1]


def experiments_in_order() -> list[tuple[str, str]]:
    """(name, default data set) of every registered experiment, in the runner's order."""
    sys.path.insert(0, str(CHECKOUT))
    from experiments import registry

    return [(e.name, e.datasets[0]) for e in registry().values()]


def run_one(name: str, dataset: str, device: str, epochs: int | None, out: Path, timeout: float,
            cores: set[int] | None) -> dict:
    folder = out / f"{name}-{dataset}-{device}-{'full' if epochs is None else f'e{epochs}'}"
    command = [sys.executable, "-m", "experiments", "run", name, "--dataset", dataset, "--device", device, "--quiet",
               "--out", str(folder), *(["--epochs", str(epochs)] if epochs is not None else [])]
    path = os.pathsep.join(filter(None, (str(CHECKOUT), os.environ.get("PYTHONPATH"))))
    env = {**os.environ, "PYLDL_DEVICE": device, "PYTHONPATH": path}
    record = dict(experiment=name, dataset=dataset, device=device, epochs="full" if epochs is None else epochs)
    start = time.perf_counter()
    try:
        done = subprocess.run(command, cwd=CHECKOUT, env=env, capture_output=True, text=True, timeout=timeout,
                              preexec_fn=(lambda: os.sched_setaffinity(0, cores)) if cores else None)
        record["status"] = "ok" if done.returncode == 0 else f"failed (exit {done.returncode})"
        if done.returncode:
            record["error"] = done.stderr.strip().splitlines()[-1:] or ["?"]
    except subprocess.TimeoutExpired:
        record["status"] = f"timeout ({timeout:.0f} s)"
    record["process_s"] = round(time.perf_counter() - start, 1)
    metrics = folder / "metrics.json"
    if record["status"] == "ok" and metrics.is_file():
        saved = json.loads(metrics.read_text())
        record.update(experiment_s=saved["wall_seconds"], metrics=saved["metrics"], ran_on=saved["device"])
    return record


def run(args) -> int:
    cores = {int(c) for c in args.cores.split(",")} if args.cores else None
    deadline = time.monotonic() + args.deadline
    plan = [(*spec.split(":", 1), None) for spec in args.full]  # full runs first: the budget may end the list
    plan += [(name, data, args.epochs) for name, data in experiments_in_order() if not args.only or name in args.only]
    from machine import cpu_model, environment

    report = dict(device=args.device, epochs=args.epochs, cores=sorted(cores) if cores else "all",
                  kernels=os.environ.get("PYLDL_CUDA_KERNELS", "eager"), cpu=cpu_model(),
                  environment=environment() if args.device != "cpu" else {}, runs=[])
    for name, dataset, epochs in plan:
        left = deadline - time.monotonic()
        if left < 5:
            report["runs"].append(dict(experiment=name, dataset=dataset, device=args.device,
                                       epochs="full" if epochs is None else epochs, status="not started (deadline)"))
        else:
            report["runs"].append(run_one(name, dataset, args.device, epochs, args.out, min(args.timeout, left),
                                          cores))
        r = report["runs"][-1]
        print(f"{args.device} {name}:{dataset} epochs={r['epochs']}: {r['status']} {r.get('experiment_s', '')} s",
              flush=True)
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    return 0


def _headline(metrics: dict | None) -> str:
    if not metrics:
        return ""
    key, value = next(iter(metrics.items()))
    return f"{key} {value:.4f}" if isinstance(value, float) else f"{key} {value}"


def table(args) -> int:
    missing = dict(runs=[], cores="?", kernels="?", environment={})  # a side cut off before its first run ended
    sides = [json.loads(p.read_text()) if p.is_file() else missing for p in (args.cpu, args.gpu)]
    rows: dict[tuple, dict] = {}
    for side, report in zip(("cpu", "gpu"), sides):
        for r in report["runs"]:
            rows.setdefault((r["experiment"], r["dataset"], str(r["epochs"])), {})[side] = r
    cpu, gpu = sides
    env = "; ".join(f"{k}: {v}" for k, v in gpu.get("environment", {}).items())
    lines = ["# Experiment wall times, CPU and GPU (bench/experiment_times.py)", "",
             f"CPU side: {cpu.get('cpu', '?')}, cores {cpu['cores']}; GPU side: {env}; kernels {gpu['kernels']}.", "",
             "Seconds are the experiment's own (metrics.json's wall_seconds, without imports and device start); "
             "CPU / GPU above 1: the GPU is faster.",
             "", "| experiment | data | epochs | CPU s | GPU s | CPU / GPU | CPU metric | GPU metric |",
             "|---|---|---|---:|---:|---:|---|---|"]
    for (name, dataset, epochs), by in rows.items():
        c, g = by.get("cpu", {}), by.get("gpu", {})
        cs, gs = c.get("experiment_s"), g.get("experiment_s")
        ratio = f"{cs / gs:.2f}x" if cs and gs else "-"
        lines.append(f"| {name} | {dataset} | {epochs} | {cs if cs is not None else c.get('status', '-')} | "
                     f"{gs if gs is not None else g.get('status', '-')} | {ratio} | {_headline(c.get('metrics'))} | "
                     f"{_headline(g.get('metrics'))} |")
    write({}, "\n".join(lines) + "\n", md_path=args.md)
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    r = commands.add_parser("run")
    r.add_argument("--device", required=True)
    r.add_argument("--epochs", type=int, default=None, help="every experiment for N epochs (default: full runs)")
    r.add_argument("--cores", default="", help="comma-separated CPU cores to pin the runs to")
    r.add_argument("--deadline", type=float, default=1e9, help="seconds after which no run starts")
    r.add_argument("--timeout", type=float, default=300.0, help="seconds one run may take")
    r.add_argument("--only", nargs="*", default=[], help="only these experiments")
    r.add_argument("--full", nargs="*", default=[], metavar="NAME:DATA", help="also these full runs")
    r.add_argument("--out", type=Path, required=True)
    r.add_argument("--json", type=Path, required=True)
    t = commands.add_parser("table")
    t.add_argument("cpu", type=Path)
    t.add_argument("gpu", type=Path)
    t.add_argument("--md", type=Path)
    args = parser.parse_args(argv)
    return run(args) if args.command == "run" else table(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
