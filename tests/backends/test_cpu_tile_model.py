"""The CPU backend's tile-width heuristic picks the measured best on the layers it was fitted to."""

from __future__ import annotations

from pyldl_gpu import backends

np = backends.host()


def test_auto_tile_width_follows_the_measured_costs():
    """bench/NOTES.md measured the copy, GEMMs and fold per tile width; the model must pick the measured best (or
    one within 5 % of it) on these layers."""
    from pyldl_gpu.backends.cpu.tile_model import tile_width

    assert tile_width(128 * 20, 20, 9, 9, 1, 1, 15) in (4, 10)  # LeNet conv1: neither im2col (2.4x) nor banded
    assert tile_width(128 * 6, 6, 5, 5, 1, 15, 20) in (2, 3)  # LeNet conv2
    assert tile_width(64, 254, 1, 3, 1, 1, 32) == 2  # the seed Conv1D net
    assert tile_width(64 * 14, 14, 3, 3, 1, 32, 64) == 1  # many channels, narrow kernel: im2col
    assert tile_width(32 * 24, 24, 5, 5, 1, 8, 16) in (2, 3, 4)
    # the input gradient's GEMM + fold, measured: conv2 1.04 ms banded vs 1.19 at g = 3 and 2.2 at im2col;
    # 64 x 16x16x32 -> 64: 4.0 ms at g = 2 vs 6.7 at im2col
    assert tile_width(128 * 6, 6, 5, 5, 1, 15, 20, input_gradient=True) == 6
    assert tile_width(64 * 14, 14, 3, 3, 1, 32, 64, input_gradient=True) == 2
