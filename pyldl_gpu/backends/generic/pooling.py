"""Max and average pooling in array code, channels-last, as two separable 1-D stages: over H, then over W.

Each stage is elementwise work over the k strided tap views of one axis, and the H stage runs on long contiguous
rows of W * C values. Max-pool backward routes delta stage by stage to the FIRST tap equal to the maximum, so
every window has exactly one winner even on ties: the first column (within the window) holding the maximum, and
within that column its first row. Average pooling spreads delta / k."""

from __future__ import annotations

from .activations import relu, relu_backward
from .geometry import output_size, tap_slice


def _taps(size: int, k: int, stride: int, axis: int) -> list[tuple]:
    """Index tuples selecting, for each of the k taps, the strided view of ``axis`` it reads."""
    n = output_size(size, k, stride)
    lead = (slice(None),) * axis
    return [(*lead, tap_slice(i, stride, n)) for i in range(k)]


def _stages(shape: tuple, kernel: tuple, stride: tuple) -> tuple[list, list]:
    h, w = shape[1:3]
    return _taps(h, kernel[0], stride[0], 1), _taps(w, kernel[1], stride[1], 2)


def _gradient_buffer(xp, shape, dtype, taps, stride: int):
    """dx for a stage: uninitialised when the taps write every position exactly once, zeros otherwise."""
    axis = len(taps[0]) - 1
    covering = stride == len(taps) and taps[-1][axis].stop == shape[axis]
    return xp.empty(shape, dtype) if covering else xp.zeros(shape, dtype)


def _max_stage(xp, x, taps):
    if len(taps) == 1:
        return x[taps[0]].copy()
    out = xp.maximum(x[taps[0]], x[taps[1]])
    for tap in taps[2:]:
        xp.maximum(out, x[tap], out=out)
    return out


def _max_stage_backward(xp, x, out, delta, taps, stride: int):
    """Route delta to the first tap equal to the maximum. Windows that do not overlap write each position
    once, straight into dx (no temporary); overlapping ones accumulate."""
    dx = _gradient_buffer(xp, x.shape, delta.dtype, taps, stride)
    disjoint = stride >= len(taps)
    unclaimed = None
    for n, tap in enumerate(taps):
        if n == len(taps) - 1 and unclaimed is not None:
            winner = unclaimed  # every window has a maximum: what no earlier tap claimed is the last tap's
        else:
            winner = x[tap] == out
            if unclaimed is None:
                unclaimed = ~winner
            else:
                winner &= unclaimed
                unclaimed &= ~winner
        if disjoint:
            xp.multiply(delta, winner, out=dx[tap])
        else:
            dx[tap] += delta * winner
    return dx


def _pools_rows(kernel: tuple, stride: tuple) -> bool:
    return kernel[0] > 1 or stride[0] > 1


def max_pool2d(xp, x, kernel: tuple, stride: tuple):
    """(batch, H, W, C) -> (y, winners); winners = (x, the H stage's output, y), what the backward compares."""
    rows_taps, cols_taps = _stages(x.shape, kernel, stride)
    rows = _max_stage(xp, x, rows_taps) if _pools_rows(kernel, stride) else x
    y = _max_stage(xp, rows, cols_taps)
    return y, (x, rows, y)


def max_pool2d_backward(xp, delta, winners, kernel: tuple, stride: tuple):
    x, rows, y = winners
    rows_taps, cols_taps = _stages(x.shape, kernel, stride)
    d_rows = _max_stage_backward(xp, rows, y, delta, cols_taps, stride[1])
    if not _pools_rows(kernel, stride):
        return d_rows
    return _max_stage_backward(xp, x, rows, d_rows, rows_taps, stride[0])


def relu_max_pool2d(xp, x, kernel: tuple, stride: tuple, relu_first: bool):
    """(relu(max_pool2d(x)), the pool's winners): of relu(x) when relu_first, else of x."""
    if relu_first:
        return max_pool2d(xp, relu(xp, x), kernel, stride)
    y, winners = max_pool2d(xp, x, kernel, stride)
    return relu(xp, y), winners


def relu_max_pool2d_backward(xp, delta, winners, kernel: tuple, stride: tuple):
    """The ReLU's mask (the pool's output y > 0, the same as relu(y) > 0), then the pool's backward."""
    y = winners[2]
    return max_pool2d_backward(xp, relu_backward(xp, y, delta), winners, kernel, stride)


def _avg_stage(x, taps):
    out = x[taps[0]].copy()
    for tap in taps[1:]:
        out += x[tap]
    out *= 1.0 / len(taps)
    return out


def _avg_stage_backward(xp, shape, delta, taps, stride: int):
    dx = _gradient_buffer(xp, shape, delta.dtype, taps, stride)
    share = delta * (1.0 / len(taps))
    for tap in taps:
        if stride >= len(taps):
            dx[tap] = share
        else:
            dx[tap] += share
    return dx


def avg_pool2d(xp, x, kernel: tuple, stride: tuple):
    rows_taps, cols_taps = _stages(x.shape, kernel, stride)
    rows = _avg_stage(x, rows_taps) if _pools_rows(kernel, stride) else x
    return _avg_stage(rows, cols_taps)


def avg_pool2d_backward(xp, delta, x_shape: tuple, kernel: tuple, stride: tuple):
    rows_taps, cols_taps = _stages(x_shape, kernel, stride)
    if not _pools_rows(kernel, stride):
        return _avg_stage_backward(xp, x_shape, delta, cols_taps, stride[1])
    rows_shape = (x_shape[0], output_size(x_shape[1], kernel[0], stride[0]), *x_shape[2:])
    d_rows = _avg_stage_backward(xp, rows_shape, delta, cols_taps, stride[1])
    return _avg_stage_backward(xp, x_shape, d_rows, rows_taps, stride[0])
