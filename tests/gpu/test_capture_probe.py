"""bench/capture_probe.py's GEMM through a cuBLAS handle of our own, without a GPU: the column-major call it makes
is run by a NumPy model of cublasSgemm (column-major, leading dimensions, transposes) on every transpose case.
The GPU run of the probe checks the same call against CuPy's matmul."""

from __future__ import annotations

import pytest

from pyldl_gpu import backends

np = backends.host()


def column_major_sgemm(transa, transb, m, n, k, a_mem, lda, b_mem, ldb, ldc):
    """What cublasSgemm computes, C = op(A) op(B), on flat column-major buffers (beta = 0)."""
    def matrix(mem, ld, rows, cols, trans):
        stored = mem.reshape(-1, ld).T  # column-major: ld rows per column
        return stored[:cols, :rows].T if trans else stored[:rows, :cols]

    c = matrix(a_mem, lda, m, k, transa) @ matrix(b_mem, ldb, k, n, transb)
    out = np.zeros((n, ldc), dtype=c.dtype)
    out[:, :m] = c.T  # column j of C at out[j]
    return out.reshape(-1)


@pytest.mark.parametrize("ta, tb", [(False, False), (True, False), (False, True), (True, True)])
def test_the_probes_sgemm_call_makes_the_row_major_product(ta, tb, bench_path, rng):
    from capture_probe import sgemm_call

    m, n, k = 5, 3, 4
    a = rng.standard_normal((k, m) if ta else (m, k))
    b = rng.standard_normal((n, k) if tb else (k, n))
    transa, transb, cm, cn, ck, lda, ldb, ldc = sgemm_call(a.shape, b.shape, (m, n), ta, tb)
    flat = column_major_sgemm(transa, transb, cm, cn, ck, b.reshape(-1), lda, a.reshape(-1), ldb, ldc)
    expected = (a.T if ta else a) @ (b.T if tb else b)
    np.testing.assert_allclose(flat.reshape(m, n), expected, rtol=1e-12)


def test_the_probes_sgemm_call_refuses_shapes_that_do_not_chain(bench_path):
    from capture_probe import sgemm_call

    with pytest.raises(ValueError, match=r"does not make \(5, 3\)"):
        sgemm_call((5, 4), (5, 3), (5, 3), False, False)
