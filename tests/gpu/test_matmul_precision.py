"""nn.set_matmul_precision: validated and a no-op on the CPU (these run everywhere); on CUDA (marked cuda) it
sets CuPy's compute type for float32 GEMMs, and TF32's 10-bit mantissa shows in a product."""

from __future__ import annotations

import pytest

import pyldl_gpu as nn
from pyldl_gpu import backends

np = backends.host()


@pytest.fixture(autouse=True)
def highest_again():
    """Every test leaves the process-wide setting at its default."""
    yield
    nn.set_matmul_precision("highest")


def test_the_default_is_highest_and_a_bad_mode_is_refused_before_anything_changes():
    assert nn.get_matmul_precision() == "highest"
    for bad in ("fast", "TF32", None, 32):
        with pytest.raises(ValueError, match=r"set_matmul_precision: expected one of \('highest', 'tf32'\), got "):
            nn.set_matmul_precision(bad)
    assert nn.get_matmul_precision() == "highest"


def test_tf32_changes_nothing_on_the_cpu(rng):
    a = nn.asarray(rng.standard_normal((64, 48)))
    b = nn.asarray(rng.standard_normal((48, 32)))
    highest = nn.to_numpy(a @ b)
    nn.set_matmul_precision("tf32")
    assert nn.get_matmul_precision() == "tf32"
    np.testing.assert_array_equal(nn.to_numpy(a @ b), highest)  # NumPy has no TF32: the same bits


@pytest.mark.cuda
def test_tf32_sets_cupys_compute_type_and_rounds_float32_products():
    from cupy._core import _routines_linalg as linalg

    with nn.device("cuda"):
        cupy = nn.xp()
        a = cupy.full((512, 512), 1.0001, dtype=cupy.float32)  # 1.0001 is 1.0 in TF32 (spacing 2^-10)
        b = cupy.ones((512, 512), dtype=cupy.float32)
        nn.set_matmul_precision("tf32")
        assert linalg.get_compute_type(cupy.float32) == linalg.COMPUTE_TYPE_TF32
        tf32 = nn.to_numpy(a @ b)[0, 0]
        double = nn.to_numpy(a.astype(cupy.float64) @ b.astype(cupy.float64))[0, 0]  # float64: never TF32
        nn.set_matmul_precision("highest")
        assert linalg.get_compute_type(cupy.float32) == linalg.COMPUTE_TYPE_DEFAULT
        highest = nn.to_numpy(a @ b)[0, 0]
    assert highest == pytest.approx(512 * 1.0001, rel=1e-6)
    assert double == pytest.approx(512 * 1.0001, rel=1e-12)
    assert tf32 == pytest.approx(512.0, rel=1e-6), "float32 products did not run in TF32"
