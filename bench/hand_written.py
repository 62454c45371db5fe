"""The issue's reference point, measured here: straightforward hand-written NumPy training steps for W3 and W4,
timed in one run with ours and PyTorch's (alternated round by round, as bench/harness.py does).

    python bench/hand_written.py [W3 W4] [--torch shared|own|own-tuned] [--rounds N] [--out NAME]

The issue sets its CNN targets from "a hand-written NumPy version" (W3 0.65x PyTorch, W4 1.5x). That code is not
ours to run, so this file holds a plain version of each net, written the way a course project would: windows
by one sliding-window copy and one GEMM, pooling by reshape + max, max-pool backward by an equality mask, the
input gradient of a conv by a loop over kernel taps. Their gradients equal ours (tests/test_hand_written.py),
so they are references, not strawmen with shortcuts.

--torch shared: PyTorch in this process (it shares the heap pyldl_gpu tunes); own: in a worker process with
glibc's default heap, as a PyTorch user has it; own-tuned: in a worker process with our heap setting (the three
set-ups of bench/harness.py). The hand-written steps run in this process either way."""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import torch_peer
from workloads import WORKLOADS, build_ours, settle, steps_for, synthetic_data, time_steps

import pyldl_gpu as nn
from pyldl_gpu import backends

np = backends.host()
swv = np.lib.stride_tricks.sliding_window_view


def _softmax_ce_delta(z, y):
    """dL/dz of the batch-mean softmax cross-entropy; z (batch, classes), y (batch,) labels."""
    e = np.exp(z - z.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    p[np.arange(len(y)), y] -= 1
    return p / len(y)


def _im2col(x, k):
    """(B, H, W, C) -> (B*Ho*Wo, k*k*C), rows ordered (kh, kw, C) like a (k, k, C, cout) weight."""
    b, h, w, c = x.shape
    cols = swv(x, (k, k), axis=(1, 2)).transpose(0, 1, 2, 4, 5, 3)
    return cols.reshape(b * (h - k + 1) * (w - k + 1), k * k * c)


def _col2im(cols, shape, k):
    """Sum window gradients back onto the input, one kernel tap at a time."""
    b, h, w, c = shape
    ho, wo = h - k + 1, w - k + 1
    cols = cols.reshape(b, ho, wo, k, k, c)
    dx = np.zeros(shape, np.float32)
    for i in range(k):
        for j in range(k):
            dx[:, i:i + ho, j:j + wo] += cols[:, :, :, i, j]
    return dx


def _pool2(x):
    """2x2 max pool: the (B, H/2, 2, W/2, 2, C) view and its max."""
    b, h, w, c = x.shape
    x6 = x.reshape(b, h // 2, 2, w // 2, 2, c)
    return x6, x6.max(axis=(2, 4))


def _pool2_backward(x6, out, delta):
    mask = x6 == out[:, :, None, :, None]
    return (mask * delta[:, :, None, :, None]).reshape(x6.shape[0], x6.shape[1] * 2, x6.shape[3] * 2, -1)


class HandW3:
    """The LeNet-style net (W3) by hand. params: our Sequential's parameter arrays, in order (copied)."""

    def __init__(self, params) -> None:
        w1, self.b1, w2, self.b2, self.w3, self.b3, self.w4, self.b4 = (np.array(p, np.float32) for p in params)
        self.w1, self.w2 = w1.reshape(81, 15), w2.reshape(375, 20)

    def step(self, x, y, lr: float = 0.01) -> None:
        b = x.shape[0]
        c1 = _im2col(x, 9)
        a1 = (c1 @ self.w1 + self.b1).reshape(b, 20, 20, 15)
        q1, p1 = _pool2(np.maximum(a1, 0))
        c2 = _im2col(p1, 5)
        a2 = (c2 @ self.w2 + self.b2).reshape(b, 6, 6, 20)
        q2, p2 = _pool2(np.maximum(a2, 0))
        head, gf = self._head(p2.reshape(b, 180), y)
        ga2 = (_pool2_backward(q2, p2, gf.reshape(b, 3, 3, 20)) * (a2 > 0)).reshape(-1, 20)
        gp1 = _col2im(ga2 @ self.w2.T, p1.shape, 5)
        ga1 = (_pool2_backward(q1, p1, gp1) * (a1 > 0)).reshape(-1, 15)
        self._update([c1.T @ ga1, ga1.sum(axis=0), c2.T @ ga2, ga2.sum(axis=0), *head], lr)

    def _head(self, f, y):
        """Linear -> ReLU -> Linear -> softmax cross-entropy on features f (batch, n): the head's four
        gradients and dL/df."""
        h = f @ self.w3 + self.b3
        r = np.maximum(h, 0)
        g = _softmax_ce_delta(r @ self.w4 + self.b4, y)
        gh = (g @ self.w4.T) * (h > 0)
        return [f.T @ gh, gh.sum(axis=0), r.T @ g, g.sum(axis=0)], gh @ self.w3.T

    def params(self) -> list:
        return [self.w1, self.b1, self.w2, self.b2, self.w3, self.b3, self.w4, self.b4]

    def _update(self, grads, lr: float) -> None:
        for p, g in zip(self.params(), grads):
            p -= lr * g


class HandW4(HandW3):
    """The seed Conv1D net (W4) by hand."""

    def __init__(self, params) -> None:
        w1, self.b1, self.w3, self.b3, self.w4, self.b4 = (np.array(p, np.float32) for p in params)
        self.w1 = w1.reshape(3, 32)

    def step(self, x, y, lr: float = 0.01) -> None:
        b = x.shape[0]
        c1 = swv(x[:, :, 0], 3, axis=1)  # (B, 254, 3)
        a1 = c1 @ self.w1 + self.b1  # (B, 254, 32)
        q1 = a1.reshape(b, 127, 2, 32)
        p1 = q1.max(axis=2)
        head, gf = self._head(p1.reshape(b, 4064), y)
        ga1 = ((q1 == p1[:, :, None]) * gf.reshape(b, 127, 1, 32)).reshape(-1, 32)
        self._update([c1.reshape(-1, 3).T @ ga1, ga1.sum(axis=0), *head], lr)

    def params(self) -> list:
        return [self.w1, self.b1, self.w3, self.b3, self.w4, self.b4]


HAND = {"W3": HandW3, "W4": HandW4}


def build_hand(key: str):
    """(step(i), sync) for the hand-written version of WORKLOADS[key], started from our net's initial weights."""
    w = WORKLOADS[key]
    net, _ = w.ours()
    hand = HAND[key]([nn.to_numpy(p.data) for p in net.parameters()])
    x, y = synthetic_data(w)
    batches = [(x[i:i + w.batch], y[i:i + w.batch]) for i in range(0, len(x), w.batch)]

    def step(i: int) -> None:
        hand.step(*batches[i % len(batches)])

    return step, lambda: None


def compare(key: str, torch_process: str, rounds: int) -> dict:
    """Seconds per step of hand-written, ours and PyTorch, alternated; ratios are medians of per-round ratios
    (PyTorch's time over the other's: above 1 is faster than PyTorch)."""
    w = WORKLOADS[key]
    peers = {"hand-written NumPy": build_hand(key), "pyldl_gpu": build_ours(w)}
    theirs = torch_peer(w, "cpu", train=True, process=torch_process)
    if theirs is None:
        raise SystemExit("PyTorch is not importable: it is the reference here")
    torch_time, close = theirs
    n = steps_for(time_steps(*peers["pyldl_gpu"], 3))
    times = {"PyTorch": [], **{name: [] for name in peers}}
    try:
        torch_time(3)
        for _ in range(rounds):
            settle()
            times["PyTorch"].append(torch_time(n))
            for name, peer in peers.items():
                settle()
                times[name].append(time_steps(*peer, n))
    finally:
        close()
    result = dict(workload=w.name, key=key, batch=w.batch, torch_process=torch_process, rounds=rounds,
                  steps_per_round=n)
    for name, t in times.items():
        ratios = [a / b for a, b in zip(times["PyTorch"], t)]
        result[name] = dict(ms_per_step=round(statistics.median(t) * 1e3, 3),
                            ratio_to_torch=round(statistics.median(ratios), 3),
                            ratio_min=round(min(ratios), 3), ratio_max=round(max(ratios), 3))
    return result


PLACES = {"shared": "this process (heap shared, tuned)", "own": "own process, default heap",
          "own-tuned": "own process, our heap setting"}


def markdown(results: list[dict]) -> str:
    lines = ["| workload | PyTorch ran | PyTorch ms/step | hand-written NumPy | pyldl_gpu |",
             "|---|---|---:|---:|---:|"]
    for r in results:
        cells = [f"{r[k]['ratio_to_torch']:.2f}x ({r[k]['ratio_min']:.2f}-{r[k]['ratio_max']:.2f}), "
                 f"{r[k]['ms_per_step']:.2f} ms" for k in ("hand-written NumPy", "pyldl_gpu")]
        where = PLACES[r["torch_process"]]
        lines.append(f"| {r['key']} batch {r['batch']} | {where} | {r['PyTorch']['ms_per_step']:.2f} | "
                     f"{cells[0]} | {cells[1]} |")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("keys", nargs="*", default=["W3", "W4"], choices=sorted(HAND))
    parser.add_argument("--torch", choices=sorted(PLACES), default="shared")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--out", help="write bench/results/NAME.json and .md")
    args = parser.parse_args(argv)
    results = [compare(key, args.torch, args.rounds) for key in args.keys]
    table = markdown(results)
    print(table)
    if args.out:
        out = Path(__file__).with_name("results") / args.out
        out.with_suffix(".json").write_text(json.dumps(results, indent=1) + "\n")
        header = (f"# {args.out}\n\nTraining steps, float32, {backends.active().describe()}; ratios are "
                  f"PyTorch's time over each peer's (medians of per-round ratios, min-max in brackets).\n\n")
        out.with_suffix(".md").write_text(header + table + "\n")


if __name__ == "__main__":
    main()
