"""The backend interface's small operations on the active backend: strided views, axpy, row maxima."""

from __future__ import annotations

import pytest

import pyldl_gpu as nn
from pyldl_gpu import backends

np = backends.host()


def test_sliding_window_view_matches_manual_windows():
    x = nn.asarray(np.arange(10.0))
    w = backends.active().sliding_window_view(x, 3)
    assert w.shape == (8, 3)
    np.testing.assert_array_equal(nn.to_numpy(w[2]), [2.0, 3.0, 4.0])


def test_as_strided_builds_overlapping_view():
    x = nn.asarray(np.arange(6, dtype=np.float32))
    v = backends.as_strided(x, (4, 3), (4, 4))
    np.testing.assert_array_equal(nn.to_numpy(v[3]), [3.0, 4.0, 5.0])


def test_axpy_updates_in_place(rng):
    y = nn.asarray(np.ones((3, 4)))
    x = rng.standard_normal((3, 4)).astype(np.float32)
    buffer = y
    backends.axpy(-0.5, nn.asarray(x), y)
    assert y is buffer
    np.testing.assert_allclose(nn.to_numpy(y), 1.0 - 0.5 * x, rtol=1e-6)
    assert y.dtype == np.float32


@pytest.mark.parametrize("shape", [(3, 4), (700, 300), (5, 131073)], ids=["small", "chunked", "ragged-chunks"])
def test_axpy_matches_formula_for_small_and_chunked_arrays(shape, rng):
    x = rng.standard_normal(shape).astype(np.float32)
    y0 = rng.standard_normal(shape).astype(np.float32)
    y = nn.asarray(y0.copy())
    backends.axpy(0.25, nn.asarray(x), y)
    np.testing.assert_allclose(nn.to_numpy(y), y0 + np.float32(0.25) * x, rtol=1e-6, atol=1e-7)
    with nn.default_dtype("float64"):
        y64 = nn.asarray(y0.astype(np.float64))
        backends.axpy(-2.0, nn.asarray(x.astype(np.float64)), y64)
        np.testing.assert_allclose(nn.to_numpy(y64), y0.astype(np.float64) - 2.0 * x, rtol=1e-12)


@pytest.mark.parametrize("shape", [(7, 1), (5, 3), (4, 2, 10), (3, 33), (6, 100)])
def test_max_last_axis_matches_numpy_for_short_and_long_rows(shape, rng):
    x = rng.standard_normal(shape).astype(np.float32)
    out = backends.max_last_axis(nn.asarray(x))
    np.testing.assert_array_equal(nn.to_numpy(out), x.max(axis=-1, keepdims=True))


def test_as_strided_on_the_cpu_refuses_views_past_the_array_and_takes_any_layout():
    with nn.device("cpu"):
        x = nn.asarray(np.arange(6, dtype=np.float32))
        with pytest.raises(ValueError):
            backends.as_strided(x, (4, 3), (8, 4))  # the last row would read past x
        odd = nn.asarray(np.arange(12, dtype=np.float32).reshape(3, 4))[:, 1:]  # not contiguous: the general path
        np.testing.assert_array_equal(backends.as_strided(odd, (2, 2), (16, 4)), [[1, 2], [5, 6]])
        tail = x[2:]  # a contiguous view: the fast path, from its own first element
        np.testing.assert_array_equal(backends.as_strided(tail, (2, 2), (8, 4)), [[2, 3], [4, 5]])


def test_as_strided_is_read_only_unless_asked():
    with nn.device("cpu"):  # CuPy has no read-only arrays: there the flag cannot be enforced
        view = backends.as_strided(nn.asarray(np.zeros(6, dtype=np.float32)), (3,), (8,))
        with pytest.raises(ValueError, match="read-only"):
            view[...] = 1.0
    x = nn.asarray(np.zeros(6, dtype=np.float32))
    backends.as_strided(x, (3,), (8,), writeable=True)[...] = 1.0
    np.testing.assert_array_equal(nn.to_numpy(x), [1, 0, 1, 0, 1, 0])
