"""The CPU's tile width for a tiled convolution: a cost model, a heuristic fitted to one machine.

The constants were fitted to copy, fold and GEMM times measured on the project's 2-core AVX-512 CPU (bench/NOTES.md
has the measurements and how well the model picks on eight layers). On other CPUs it remains a reasonable guess;
every tile width gives the same numbers, only the speed differs. A GEMM is modelled to run at
PEAK * N / (N + N_HALF) * K / (K + K_HALF) FLOP/ns; per element of the windows, the strided copy costs
COPY_NS + COPY_RUN_NS / run and the fold FOLD_NS + FOLD_RUN_NS / run, run being the contiguous stretch (Wt * C
items) each moves at a time."""

from __future__ import annotations

from functools import lru_cache

from ..generic.geometry import span

PEAK, N_HALF, K_HALF = 310.0, 24.0, 32.0
COPY_NS, COPY_RUN_NS = 0.1, 10.0
FOLD_NS, FOLD_RUN_NS = 0.9, 10.0


def cost(g: int, rows: int, wo: int, kh: int, kw: int, sw: int, c: int, cout: int, input_gradient: bool) -> float:
    """Modelled ns at tile width g: the copy and the two GEMMs of the forward and the weight gradient, or, for the
    input gradient, its GEMM and the fold."""
    wt = span(g, kw, sw)
    m, k, n = rows * (wo // g), kh * wt * c, g * cout
    gemm = 2.0 * m * k * n / (PEAK * n / (n + N_HALF) * k / (k + K_HALF))
    if input_gradient:
        return gemm + m * k * (FOLD_NS + FOLD_RUN_NS / (wt * c))
    return 2 * gemm + m * k * (COPY_NS + COPY_RUN_NS / (wt * c))


@lru_cache(maxsize=256)
def tile_width(rows: int, wo: int, kh: int, kw: int, sw: int, c: int, cout: int, input_gradient: bool = False) -> int:
    """The divisor g of Wo with the least modelled cost; rows = batch * Ho. The input gradient never reads the
    windows, so it gets a tile width of its own."""
    divisors = [g for g in range(1, wo + 1) if wo % g == 0]
    return min(divisors, key=lambda g: cost(g, rows, wo, kh, kw, sw, c, cout, input_gradient))
