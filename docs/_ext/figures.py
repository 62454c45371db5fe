"""Figures of the explanatory pages, drawn when the docs build.

course_api.png  activations flowing forward and deltas flowing back through Linear -> Tanh -> Linear -> loss
conv_tile.png   one tile of the width-tiled convolution: the input columns it reads, and the band matrix
                pyldl_gpu.layers._tiled.band builds for it (computed with the library, not drawn by hand)"""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle
from written import save_figure

FORWARD, BACKWARD, PARAMS = "#1f77b4", "#d62728", "#2ca02c"


def _box(ax, x: float, y: float, text: str, width: float = 1.5, height: float = 0.9) -> None:
    ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height, boxstyle="round,pad=0.05",
                                facecolor="#f4f4f4", edgecolor="#333333"))
    ax.text(x, y, text, ha="center", va="center", fontsize=10, family="monospace")


def _arrow(ax, start: tuple, end: tuple, color: str, label: str, above: bool) -> None:
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=14, color=color, lw=1.6))
    middle = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2 + (0.42 if above else -0.45))
    ax.text(*middle, label, ha="center", va="center", fontsize=8.5, color=color)


def course_api(path: Path) -> Path:
    """The course API on a two-layer classifier: forward (blue, top), backward (red, bottom), gradients (green)."""
    fig = Figure(figsize=(12.5, 4.2), layout="constrained")
    ax = fig.subplots()
    stages = ["x", "Linear(784, 256)", "Tanh()", "Linear(256, 10)", "CrossEntropyLoss"]
    xs = [0.0, 2.7, 5.6, 8.5, 11.6]
    for x, text in zip(xs[1:], stages[1:]):
        _box(ax, x, 1.0, text, width=1.9 if "Linear" in text or "Loss" in text else 1.2)
    ax.text(xs[0], 1.0, "x\n(batch, 784)", ha="center", va="center", fontsize=10)
    forward = ["x (batch, 784)", "z1 = x W1 + b1\n(batch, 256)", "h = tanh(z1)\n(batch, 256)",
               "z2 = h W2 + b2\n(batch, 10)"]
    backward = ["dx = d1 W1.T\n(backward_delta)", "d1 = d_h (1 - h^2)", "d_h = d2 W2.T",
                "d2 = (softmax(z2) - y) / batch"]
    for i in range(4):
        a, b = xs[i] + (0.35 if i == 0 else 0.95 if "Linear" in stages[i] else 0.6), xs[i + 1] - (
            0.95 if "Linear" in stages[i + 1] or "Loss" in stages[i + 1] else 0.6)
        _arrow(ax, (a, 1.25), (b, 1.25), FORWARD, forward[i], above=True)
        _arrow(ax, (b, 0.75), (a, 0.75), BACKWARD, backward[i], above=False)
    for x, w in ((xs[1], "W1.grad += x.T d1;  b1.grad += sum(d1)"), (xs[3], "W2.grad += h.T d2;  b2.grad += sum(d2)")):
        ax.text(x, -0.55, w + "\n(backward_update_gradient)", ha="center", va="center", fontsize=8.5, color=PARAMS)
    ax.text(5.8, 2.45, "forward: each module maps its input to its output and keeps what its backward needs",
            ha="center", fontsize=9.5, color=FORWARD)
    ax.text(5.8, -1.15, "backward: each module turns the delta of its output into the delta of its input "
            "(and adds its parameters' gradients)", ha="center", fontsize=9.5, color=BACKWARD)
    ax.set_xlim(-0.7, 12.7)
    ax.set_ylim(-1.4, 2.7)
    ax.axis("off")
    return save_figure(fig, path)


def conv_tile(path: Path, kh: int = 3, kw: int = 3, g: int = 3, width: int = 9) -> Path:
    """Left: an input of `width` columns, the kh rows x Wt columns one tile reads, and the g outputs it makes.
    Right: the nonzero pattern of the band (kh * Wt * C, g * cout) for C = cout = 1, built by _tiled.band."""
    import pyldl_gpu as nn
    from pyldl_gpu.layers import _tiled

    span = (g - 1) + kw
    weight = nn.asarray(nn.xp().arange(1, kh * kw + 1, dtype="float32").reshape(kh, kw, 1, 1))
    band = nn.to_numpy(_tiled.band(weight, g, 1))  # (kh * span, g)
    fig = Figure(figsize=(11, 4.2), layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=[1.6, 1])
    rows = kh + 2
    for r in range(rows):
        for c in range(width):
            inside = 1 <= r <= kh and 2 <= c < 2 + span
            left.add_patch(Rectangle((c, -r), 1, 1, facecolor="#cfe2f3" if inside else "white", edgecolor="#999999"))
    left.add_patch(Rectangle((2, -kh), span, kh, fill=False, edgecolor=FORWARD, lw=2.5))
    for t in range(g):
        left.add_patch(Rectangle((2 + t, -kh), kw, kh, fill=False, edgecolor=PARAMS, lw=1.2, ls="--"))
    for t in range(g):
        left.add_patch(Rectangle((2 + t + 1, -rows - 1.3), 1, 1, facecolor="#f9cb9c", edgecolor="#333333"))
    left.text(2 + span / 2, 1.35, f"one tile: kh = {kh} input rows x Wt = (g - 1) sw + kw = {span} columns",
              ha="center", fontsize=9.5, color=FORWARD)
    left.text(2 + span / 2, -rows - 1.9, f"g = {g} neighbouring outputs of one output row (dashed: each one's "
              f"{kh}x{kw} window)", ha="center", fontsize=9.5)
    left.set_xlim(-0.5, width + 0.5)
    left.set_ylim(-rows - 2.3, 2.0)
    left.set_aspect("equal")
    left.axis("off")
    right.imshow(band != 0, cmap="Blues", vmin=0, vmax=3, aspect="auto", interpolation="nearest")
    for (i, t), value in zip(((i, t) for i in range(band.shape[0]) for t in range(band.shape[1])), band.ravel()):
        if value:
            right.text(t, i, f"w{int(value)}", ha="center", va="center", fontsize=8)
    right.set_title(f"band T: ({kh} * {span} * C, g * cout) = ({band.shape[0]}, {band.shape[1]})\n"
                    "windows (rows, kh*Wt*C) @ T = g outputs per row", fontsize=9.5)
    right.set_xlabel("tile column t (x cout)")
    right.set_ylabel("(kernel row, input column, channel)")
    right.set_xticks(range(g))
    return save_figure(fig, path)


def write_all(out: Path) -> None:
    course_api(out / "course_api.png")
    conv_tile(out / "conv_tile.png")
