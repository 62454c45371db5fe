"""python bench/tile_width_gpu.py [--batches 128 1024] [--rounds 5] [--json OUT.json] [--md OUT.md]: the
convolution tile width on the GPU, measured (--device cpu runs the same on the CPU: the CI smoke test does).

CupyBackend.conv_tile_width answers g = Wo (one band per output row) for every layer: a heuristic from one H100
run (bench/NOTES.md). Two measurements to keep it or replace it:

1. whole training steps of W3 and W4 with every convolution at 'auto' (the backend's choice), 'im2col' (g = 1)
   and 'banded' (g = Wo), rounds alternated in one process, per batch;
2. each convolution of W3 and W4 alone (forward, weight and input gradients) at every tile width g dividing its
   output width, alternated: the data a GPU cost model (like the CPU's, backends/cpu/tile_model.py) is fitted to.

Ratios are of throughput against 'auto' (above 1: faster than the current choice)."""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ab import ratio, run_rounds
from machine import environment
from outputs import write
from workloads import WORKLOADS, at_batch, build_ours, steps_for, time_steps

import pyldl_gpu as nn
from pyldl_gpu import backends

ALGORITHMS = ("auto", "im2col", "banded")
np = backends.host()


def convolutions(net) -> list:
    return [m for m in net.modules() if isinstance(m, nn.Conv2D)]


def whole_steps(key: str, batch: int, rounds: int, device: str) -> dict:
    """Seconds per training step of each algorithm, alternated; ratios against 'auto'."""
    w = at_batch(WORKLOADS[key], batch)
    nets = []

    def ours():
        net, loss = w.ours()
        nets.append(net)
        return net, loss

    step, sync = build_ours(replace(w, ours=ours))
    net = nets[0]

    def timer(algorithm):
        def timed(n):
            for conv in convolutions(net):
                conv.algorithm = algorithm
            return time_steps(step, sync, n)
        return timed

    timers = {a: timer(a) for a in ALGORITHMS}
    n = steps_for(min(t(3) for t in timers.values()), 0.2)
    times = run_rounds(timers, n, rounds, device)
    return dict(key=key, workload=w.name, batch=batch, steps_per_round=n,
                ms_per_step={a: round(statistics.median(times[a]) * 1e3, 3) for a in ALGORITHMS},
                over_auto={a: ratio(times[a], times["auto"]) for a in ALGORITHMS if a != "auto"})


def divisors(n: int) -> list[int]:
    return [g for g in range(1, n + 1) if n % g == 0]


def layer_sweep(key: str, batch: int, rounds: int, device: str) -> list[dict]:
    """Forward + both gradients of each convolution alone, at every tile width dividing its output width."""
    w = at_batch(WORKLOADS[key], batch)
    net, _ = w.ours()
    rng = np.random.default_rng(0)
    h = nn.asarray(rng.random((batch, *w.sample_shape), dtype=np.float32))
    rows = []
    for index, m in enumerate(net):
        if isinstance(m, nn.Conv2D):
            y, _ = m.forward_with_state(h)
            delta = nn.asarray(rng.standard_normal(y.shape).astype(np.float32))
            wo = y.shape[-2]  # Conv2D (batch, Ho, Wo, out), Conv1D (batch, length, out)

            def timer(g, m=m, h=h, delta=delta):
                def timed(calls):
                    m.algorithm = g
                    nn.synchronize()
                    start = time.perf_counter()
                    for _ in range(calls):
                        _, state = m.forward_with_state(h)
                        m.backward_with_state(state, delta)
                    nn.synchronize()
                    return (time.perf_counter() - start) / calls
                return timed

            timers = {g: timer(g) for g in divisors(wo)}
            n = steps_for(min(t(3) for t in timers.values()), 0.05)
            times = run_rounds(timers, n, rounds, device)
            auto = backends.active().conv_tile_width(y.size // (wo * m.chan_out), wo, *m.kernel, m.stride[1],
                                                     m.chan_in, m.chan_out)
            for g in timers:
                rows.append(dict(key=key, batch=batch, layer=index, module=repr(m), wo=wo, g=g, auto=g == auto,
                                 ms=round(statistics.median(times[g]) * 1e3, 4)))
            m.algorithm = "auto"
        h, _ = m.forward_with_state(h)
    return rows


def markdown(report: dict) -> str:
    lines = ["# Convolution tile width on the GPU (bench/tile_width_gpu.py)", "", f"{report['device']}; "
             + "; ".join(f"{k}: {v}" for k, v in report["environment"].items()), "",
             "Whole training steps, ms per step (median of alternated rounds); ratios are throughput against "
             "'auto' (median, min-max).", "",
             "| workload | batch | auto | im2col | banded | im2col / auto | banded / auto |",
             "|---|---:|---:|---:|---:|---|---|"]
    for r in report["steps"]:
        ms, over = r["ms_per_step"], r["over_auto"]
        cells = [f"{over[a]['median']:.2f}x ({over[a]['min']:.2f}-{over[a]['max']:.2f})" for a in ("im2col", "banded")]
        lines.append(f"| {r['workload']} | {r['batch']} | {ms['auto']} | {ms['im2col']} | {ms['banded']} | "
                     f"{cells[0]} | {cells[1]} |")
    lines += ["", "Each convolution alone (forward, weight and input gradients), ms per call at each tile width g; "
              "* marks the backend's choice.", "", "| workload | batch | layer | Wo | g: ms |",
              "|---|---:|---|---:|---|"]
    layers: dict = {}
    for r in report["layers"]:
        layers.setdefault((r["key"], r["batch"], r["module"], r["wo"]), []).append(
            f"{r['g']}{'*' if r['auto'] else ''}: {r['ms']}")
    for (key, batch, module, wo), cells in layers.items():
        lines.append(f"| {key} | {batch} | {module} | {wo} | {'; '.join(cells)} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, nargs="+", default=[128, 1024])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--md", type=Path)
    parser.add_argument("--device", default="cuda")
    args = parser.parse_args(argv)
    if args.device == "cuda" and not backends.cuda_is_available():
        print("tile_width_gpu: no usable CUDA device here", file=sys.stderr)
        return 2
    with nn.device(args.device):
        report = dict(device=backends.active().describe(), environment=environment(), rounds=args.rounds,
                      steps=[], layers=[])
        for key in ("W3", "W4"):
            for batch in args.batches:
                report["steps"].append(whole_steps(key, batch, args.rounds, args.device))
                print(json.dumps(report["steps"][-1]), flush=True)
            report["layers"] += layer_sweep(key, max(args.batches), args.rounds, args.device)
    write(report, markdown(report), args.json, args.md)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
