"""Max and average pooling as compiled loops, channels-last: x (batch, H, W, C) -> y (batch, Ho, Wo, C).

Each output row (image n, output row i) is independent, so the forward runs them in parallel (``prange``). The
backward scatters into dx, where overlapping windows of neighbouring rows meet: it runs whole images in parallel,
each image's windows in order, so the sums never depend on the number of threads.

Max pooling keeps, for each output, its winner: the offset k = q * kh + p of the window tap (row p, column q)
holding the maximum, the FIRST in column order on ties (the first column holding the maximum, and within it the
first row): the rule of backends/generic/pooling.py. With a ReLU fused in (``relu_max_pool2d``), a window whose
output the ReLU zeroes stores -1 - k instead, so the fused backward sends it nothing, while the pool's own backward
still reads k."""

from __future__ import annotations

from numba import prange

from ._jit import kernel


@kernel
def max_pool2d(x, kh, kw, sh, sw, relu_first, relu_after, zero, y, winners):
    """y[n, i, j, c] = max over the window at (i * sh, j * sw); with relu_first the window's values are
    max(v, 0) (the pool of a ReLU's output); with relu_after y = max(y, 0) and winners of zeroed outputs < 0.
    zero: 0 in x's dtype."""
    batch, ho, wo, chans = y.shape
    for row in prange(batch * ho):
        n, i = row // ho, row % ho
        for j in range(wo):
            for k in range(kh * kw):  # the window's taps, column by column
                r, col = i * sh + k % kh, j * sw + k // kh
                for c in range(chans):
                    v = x[n, r, col, c]
                    if relu_first and v < zero:
                        v = zero
                    best = y[n, i, j, c]
                    if k == 0 or v > best or (v != v and best == best):  # a NaN wins once, as in NumPy
                        y[n, i, j, c] = v
                        winners[n, i, j, c] = k
            if relu_after:
                for c in range(chans):
                    if not y[n, i, j, c] > zero:
                        winners[n, i, j, c] = -1 - winners[n, i, j, c]
                        if y[n, i, j, c] < zero:
                            y[n, i, j, c] = zero


@kernel
def max_pool2d_backward(delta, winners, kh, sh, sw, masked, dx):
    """dx (batch, H, W, C): each window's delta added at its winner; with masked, nothing for windows whose winner
    is negative (outputs a fused ReLU zeroed)."""
    batch, ho, wo, chans = delta.shape
    for n in prange(batch):
        dx[n] = 0
        for i in range(ho):
            for j in range(wo):
                for c in range(chans):
                    k = winners[n, i, j, c]
                    if k < 0:
                        if masked:
                            continue
                        k = -1 - k
                    dx[n, i * sh + k % kh, j * sw + k // kh, c] += delta[n, i, j, c]


@kernel
def avg_pool2d(x, kh, kw, sh, sw, inv_kh, inv_kw, y):
    """y = the mean of each window, summed as the array code does: each column's kh taps times 1 / kh, then the kw
    column means times 1 / kw (inv_kh, inv_kw given in x's dtype, so the arithmetic is the same)."""
    batch, ho, wo, chans = y.shape
    for row in prange(batch * ho):
        n, i = row // ho, row % ho
        for j in range(wo):
            for c in range(chans):
                total = x[n, i * sh, j * sw, c] * 0
                for q in range(kw):
                    column = x[n, i * sh, j * sw + q, c]
                    for p in range(1, kh):
                        column += x[n, i * sh + p, j * sw + q, c]
                    if kh > 1 or sh > 1:
                        column *= inv_kh
                    total = column if q == 0 else total + column
                y[n, i, j, c] = total * inv_kw


@kernel
def avg_pool2d_backward(delta, kh, kw, sh, sw, inv_kh, inv_kw, dx):
    """dx: each window's delta / (kh * kw) added to every entry of the window."""
    batch, ho, wo, chans = delta.shape
    for n in prange(batch):
        dx[n] = 0
        for i in range(ho):
            for j in range(wo):
                for q in range(kw):  # tap by tap; an entry still gets its windows' shares in window order
                    for p in range(kh):
                        for c in range(chans):
                            share = delta[n, i, j, c] * inv_kw
                            if kh > 1 or sh > 1:
                                share *= inv_kh
                            dx[n, i * sh + p, j * sw + q, c] += share


# The most common pools, 2x2 (and 1-D by 2) with the stride equal to the window, spelled out tap by tap: with
# the window's size known to the compiler the loops vectorise, about eight times faster than the general loops
# above, with the same results (the same taps compared in the same order).

@kernel
def max_pool_2wide(x, rows, relu_first, relu_after, zero, y, winners):
    """max_pool2d for kernel = stride = (rows, 2), rows 1 or 2: the taps of a window are, in column order,
    a (k = 0), b (k = 1, the same entry as a when rows = 1), e (k = rows) and f (k = rows + 1)."""
    batch, ho, wo, chans = y.shape
    for row in prange(batch * ho):
        n, i = row // ho, row % ho
        r0 = i * rows
        r1 = r0 + rows - 1
        for j in range(wo):
            for c in range(chans):
                a, b = x[n, r0, 2 * j, c], x[n, r1, 2 * j, c]
                e, f = x[n, r0, 2 * j + 1, c], x[n, r1, 2 * j + 1, c]
                nan = (a != a) | (b != b) | (e != e) | (f != f)  # | not or: no branch, the loop vectorises
                if relu_first:
                    a, b, e, f = max(a, zero), max(b, zero), max(e, zero), max(f, zero)
                best, k = a, 0
                if b > best:
                    best, k = b, 1
                if e > best:
                    best, k = e, rows
                if f > best:
                    best, k = f, rows + 1
                if relu_after and not best > zero:
                    k = -1 - k
                    best = max(best, zero)
                if nan:  # a NaN in the window makes the output NaN, as in NumPy
                    best = x[n, r0, 2 * j, c] + x[n, r1, 2 * j, c] + x[n, r0, 2 * j + 1, c] + x[n, r1, 2 * j + 1, c]
                y[n, i, j, c] = best
                winners[n, i, j, c] = k


@kernel
def max_pool_2wide_backward(delta, winners, rows, masked, zero, dx):
    """max_pool2d_backward for kernel = stride = (rows, 2): every tap of every window written (the winner's
    delta, else 0), and the rows and columns no window covers zeroed."""
    batch, ho, wo, chans = delta.shape
    height, width = dx.shape[1], dx.shape[2]
    for n in prange(batch):
        if height > ho * rows or width > 2 * wo:
            dx[n] = 0
        for i in range(ho):
            r0 = i * rows
            r1 = r0 + rows - 1
            for j in range(wo):
                for c in range(chans):
                    k = winners[n, i, j, c]
                    d = delta[n, i, j, c]
                    if k < 0:
                        k = -1 - k
                        if masked:
                            d = d * zero
                    dx[n, r0, 2 * j, c] = d if k == 0 else zero
                    dx[n, r0, 2 * j + 1, c] = d if k == rows else zero
                    if rows == 2:
                        dx[n, r1, 2 * j, c] = d if k == 1 else zero
                        dx[n, r1, 2 * j + 1, c] = d if k == 3 else zero
