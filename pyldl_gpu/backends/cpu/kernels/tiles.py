"""The tile windows of a tiled convolution and their fold, as compiled loops (the array versions, and what a tile
is: backends/generic/tiles.py). Both see the padded input as (batch, Hp, Wp * C): a tile's kernel row p is then one
contiguous run of Wt * C values, copied (windows) or added back (fold) in one inner loop.

Windows: output rows (image n, output row i) are independent and run in parallel. Fold: windows of neighbouring
output rows overlap, so whole images run in parallel and each image adds its windows in order: the sums never
depend on the number of threads."""

from __future__ import annotations

from numba import prange

from ._jit import kernel


@kernel
def conv_windows(x, kh, sh, step, tiles, run, ones, out):
    """out[(n * Ho + i) * tiles + t, p * run + q] = x[n, i * sh + p, t * step + q]: x (batch, Hp, Wp * C), step =
    g * sw * C (where tile t starts), run = Wt * C; with ones, a last column of ones."""
    batch = x.shape[0]
    ho = out.shape[0] // (batch * tiles)
    for row in prange(batch * ho):
        n, i = row // ho, row % ho
        for t in range(tiles):
            r = row * tiles + t
            for p in range(kh):
                for q in range(run):
                    out[r, p * run + q] = x[n, i * sh + p, t * step + q]
            if ones:
                out[r, kh * run] = 1


@kernel
def conv_fold(rows, kh, sh, step, tiles, run, out):
    """The adjoint: out[n, i * sh + p, t * step + q] += rows[(n * Ho + i) * tiles + t, p * run + q], out (batch,
    Hp, Wp * C) zeroed here first."""
    batch = out.shape[0]
    ho = rows.shape[0] // (batch * tiles)
    for n in prange(batch):
        out[n] = 0
        for i in range(ho):
            for t in range(tiles):
                r = (n * ho + i) * tiles + t
                for p in range(kh):
                    for q in range(run):
                        out[n, i * sh + p, t * step + q] += rows[r, p * run + q]
