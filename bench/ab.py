"""The library as it was (old), as it is (new) and PyTorch, timed in ONE run with rounds alternated, so that
"no benchmark ratio may get worse" is checked on one machine state:

    git worktree add /tmp/base <older commit>
    python bench/ab.py --baseline /tmp/base [--candidate TREE (default: this checkout)] [--workloads W1 W3 ...]
        [--modes train inference] [--batch N] [--rounds 15] [--heap tuned (default)|default] [--device cpu|cuda]
        [--round-seconds 0.6] [--json OUT.json] [--md OUT.md]

A tree is a source checkout holding ``pyldl_gpu/``. Every side runs in a worker process of its own
(bench/worker.py), all three started the same way: old and new each import pyldl_gpu from their tree (put first
on sys.path; the worker refuses to run when ``pyldl_gpu.__file__`` or any pyldl_gpu module it loaded lies
outside it), PyTorch's worker imports the new tree's. All build their nets from THIS checkout's
bench/workloads.py, so both trees run the same workload definitions through the public API. ``--heap tuned``
gives all three workers pyldl_gpu's glibc heap setting (made by the worker itself, not by either tree),
``default`` leaves glibc's defaults in all three; either way PYLDL_MALLOC_TUNING=0 keeps both trees off the heap.

Each workload and mode: the steps per round are sized once, from the fastest side's warm-up, to ~0.6 s; then
every round runs old, new and PyTorch, the order rotated by one each round so that no side always goes first,
with settle() before each. Reported: median samples/s of each side and the medians (min-max) of the per-round
throughput ratios old / PyTorch, new / PyTorch and new / old (above 1: the first is faster). The table is
printed and written to --md; --json also keeps every round's seconds per step and the environment (versions,
both trees' commits, CPU model, heap mode)."""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from machine import cpu_model, environment, write_outputs
from worker import CHECKOUT, Worker, inside
from workloads import ROUNDS, WORKLOADS, at_batch, settle, steps_for

SIDES = ("old", "new", "torch")
RATIOS = {"old_over_torch": ("old", "torch"), "new_over_torch": ("new", "torch"), "new_over_old": ("new", "old")}
WORKER_EXIT = {3: "PyTorch (or its CUDA) is missing", 4: "the heap setting could not be made (not glibc, or "
               "MALLOC_* variables already set: try --heap default)", 5: "the tree has no pyldl_gpu of its own"}


class WorkerError(RuntimeError):
    pass


def round_orders(sides, rounds: int) -> list[tuple]:
    """The order of the sides in each round: rotated by one each round, so each goes first equally often."""
    sides = list(sides)
    return [tuple(sides[r % len(sides):] + sides[:r % len(sides)]) for r in range(rounds)]


def run_rounds(timers: dict[str, Callable[[int], float]], n_steps: int, rounds: int, device: str = "cpu",
               pause: Callable[[str], None] = settle) -> dict[str, list[float]]:
    """Seconds per step of every side in every round (n_steps each), rounds in round_orders, pause() before each."""
    times: dict[str, list[float]] = {side: [] for side in timers}
    for order in round_orders(timers, rounds):
        for side in order:
            pause(device)
            times[side].append(timers[side](n_steps))
    return times


def ratio(first: list[float], second: list[float]) -> dict[str, float]:
    """Throughput of first over second (seconds per step second / first), round by round: median, min, max."""
    per_round = [s / f for f, s in zip(first, second, strict=True)]
    return {"median": round(statistics.median(per_round), 3), "min": round(min(per_round), 3),
            "max": round(max(per_round), 3)}


def summarise(times: dict[str, list[float]], batch: int) -> dict:
    """Median samples/s of each side and the three per-round ratios of RATIOS."""
    info = {f"{side}_samples_per_s": round(batch / statistics.median(times[side]), 1) for side in SIDES}
    info.update({name: ratio(times[a], times[b]) for name, (a, b) in RATIOS.items()})
    return info


def start_workers(w, device: str, train: bool, heap: str, trees: dict[str, Path], start=Worker) -> dict:
    """One worker per side: old and new from their trees, PyTorch's with the new tree's pyldl_gpu; raises
    WorkerError (after closing those started) when one does not start or imports another tree's library."""
    workers = {}
    try:
        for side in SIDES:
            lib, tree = ("torch", trees["new"]) if side == "torch" else ("ours", trees[side])
            workers[side] = worker = start(w, device, train, heap=heap, lib=lib, tree=tree)
            if not worker.ready:
                code = worker.proc.returncode
                raise WorkerError(f"the {side} worker ({lib}, {tree}) did not start: exit status {code}"
                                  + (f", {WORKER_EXIT[code]}" if code in WORKER_EXIT else ""))
            if not inside(worker.library, tree):
                raise WorkerError(f"the {side} worker imported {worker.library}, not the library in {tree}")
    except BaseException:
        close(workers)
        raise
    return workers


def close(workers: dict) -> None:
    for worker in workers.values():
        worker.close()


def measure(key: str, batch: int | None, mode: str, trees: dict[str, Path], rounds: int = ROUNDS,
            heap: str = "tuned", device: str = "cpu", round_s: float = 0.6, start=Worker) -> dict:
    """One workload and mode, all three sides in one alternated run (start: the worker class, for tests)."""
    w = at_batch(WORKLOADS[key], batch or WORKLOADS[key].batch)
    workers = start_workers(w, device, mode == "train", heap, trees, start)
    try:
        warm = {}
        for side, worker in workers.items():
            settle(device)
            warm[side] = worker.seconds_per_step(3)
        n_steps = steps_for(min(warm.values()), round_s)  # every side's round lasts at least ~round_s
        times = run_rounds({side: worker.seconds_per_step for side, worker in workers.items()}, n_steps, rounds,
                           device, pause=settle)
    finally:
        close(workers)
    return dict(workload=w.name, key=key, mode=mode, batch=w.batch, device=device, steps_per_round=n_steps,
                **summarise(times, w.batch), seconds_per_step=times,
                libraries={side: worker.library for side, worker in workers.items()})


def describe_tree(tree: Path) -> dict:
    """The tree's path, and its git HEAD and whether its pyldl_gpu/ has uncommitted changes when the tree is the
    top of a git checkout (a worktree counts)."""
    def git(*args: str) -> str | None:
        done = subprocess.run(["git", "-C", str(tree), *args], capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else None

    info: dict = {"path": str(tree)}
    top = git("rev-parse", "--show-toplevel")
    if top and Path(top).resolve() == tree.resolve():
        info.update(commit=git("rev-parse", "HEAD"), dirty=bool(git("status", "--porcelain", "--", "pyldl_gpu")))
    return info


HEAP_TEXT = {"tuned": "pyldl_gpu's heap setting in all three workers",
             "default": "glibc's default heap in all three workers"}


def _ratio_cell(r: dict) -> str:
    return f"{r['median']:.2f}x ({r['min']:.2f}-{r['max']:.2f})"


def _tree_text(tree: dict) -> str:
    if "commit" not in tree:
        return f"{tree['path']} (not a git checkout)"
    return f"{tree['path']} ({tree['commit'][:10]}{', uncommitted changes in pyldl_gpu/' if tree['dirty'] else ''})"


def markdown(report: dict) -> str:
    """The table of a report (main's JSON): one row per workload and mode."""
    env = "; ".join(f"{k}: {v}" for k, v in report["environment"].items())
    lines = ["# ours old vs ours new vs PyTorch (bench/ab.py)", "",
             f"old: {_tree_text(report['baseline'])}; new: {_tree_text(report['candidate'])}", "",
             f"CPU: {report['cpu']}; {env}; {HEAP_TEXT[report['heap']]}; {report['rounds']} rounds; "
             f"run {report['date']}", "",
             "Samples/s are medians; each side in a worker process of its own, the order rotated each round. Ratios "
             "are of throughput, medians of per-round ratios (min-max); new / old above 1: the new tree is faster.",
             "", "| workload | batch | mode | steps/round | old | new | PyTorch | old / PyTorch | new / PyTorch "
             "| new / old |", "|---|---:|---|---:|---:|---:|---:|---|---|---|"]
    for r in report["results"]:
        lines.append(f"| {r['workload']} | {r['batch']} | {r['mode']} | {r['steps_per_round']} "
                     f"| {r['old_samples_per_s']:,.0f} | {r['new_samples_per_s']:,.0f} "
                     f"| {r['torch_samples_per_s']:,.0f} | {_ratio_cell(r['old_over_torch'])} "
                     f"| {_ratio_cell(r['new_over_torch'])} | {_ratio_cell(r['new_over_old'])} |")
    return "\n".join(lines) + "\n"


def _tree(path: str) -> Path:
    tree = Path(path).resolve()
    if not (tree / "pyldl_gpu" / "__init__.py").is_file():
        raise argparse.ArgumentTypeError(f"{path} holds no pyldl_gpu/ package (give the checkout's top folder)")
    return tree


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", type=_tree, required=True, help="the old tree")
    parser.add_argument("--candidate", type=_tree, default=CHECKOUT, help="the new tree (default: this checkout)")
    parser.add_argument("--workloads", nargs="+", choices=list(WORKLOADS), default=list(WORKLOADS))
    parser.add_argument("--modes", nargs="+", choices=("train", "inference"), default=["train"])
    parser.add_argument("--batch", type=int, help="batch size (default: each workload's own)")
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--heap", choices=tuple(HEAP_TEXT), default="tuned")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--round-seconds", type=float, default=0.6, help="how long a round lasts, about")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--md", type=Path)
    args = parser.parse_args(argv)
    trees = {"old": args.baseline, "new": args.candidate}
    report = dict(baseline=describe_tree(args.baseline), candidate=describe_tree(args.candidate),
                  heap=args.heap, rounds=args.rounds, cpu=cpu_model(), environment=environment(),
                  python=sys.version.split()[0], date=time.strftime("%Y-%m-%d %H:%M:%S"), results=[])
    for key in args.workloads:
        for mode in args.modes:
            try:
                result = measure(key, args.batch, mode, trees, args.rounds, args.heap, args.device,
                                 args.round_seconds)
            except WorkerError as error:
                print(f"ab: {key} {mode}: {error}", file=sys.stderr)
                return 1
            print(f"{key} {mode}: new / old {_ratio_cell(result['new_over_old'])}", file=sys.stderr)
            report["results"].append(result)
    table = markdown(report)
    write_outputs(report, table, args.json, args.md)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
