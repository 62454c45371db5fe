"""The backend facade: device parsing and precedence, the CUDA error, transfers, dtypes, seeding, helpers."""

from __future__ import annotations

import sys

import pytest

import pyldl_gpu as nn
from pyldl_gpu import backends
from pyldl_gpu.backends.registry import DeviceSpec, parse_device

np = backends.host()
cuda_missing = pytest.mark.skipif(backends.cuda_is_available(), reason="CUDA is usable here; error path not reachable")


@pytest.mark.parametrize("text, spec", [
    ("cpu", DeviceSpec("cpu")), (" CUDA ", DeviceSpec("cuda", 0)), ("cuda:3", DeviceSpec("cuda", 3)),
    ("auto", DeviceSpec("auto")),
])
def test_parse_device_accepts_documented_values(text, spec):
    assert parse_device(text) == spec


@pytest.mark.parametrize("text", ["gpu", "cuda:", "cuda:-1", "cuda:x", "", "tpu"])
def test_parse_device_rejects_with_accepted_values_listed(text):
    with pytest.raises(nn.DeviceError, match="'cpu', 'cuda', 'cuda:N'"):
        parse_device(text)


def test_default_device_is_cpu(monkeypatch):
    monkeypatch.delenv("PYLDL_DEVICE", raising=False)
    backends.reset()
    assert nn.get_device() == "cpu"
    assert nn.xp() is np


def test_env_is_read_lazily_after_import(monkeypatch):
    monkeypatch.setenv("PYLDL_DEVICE", "bogus")
    backends.reset()
    with pytest.raises(nn.DeviceError, match="PYLDL_DEVICE value 'bogus'"):
        nn.xp()
    monkeypatch.setenv("PYLDL_DEVICE", "cpu")
    backends.reset()
    assert nn.get_device() == "cpu"


def test_set_device_and_context_beat_env(monkeypatch):
    monkeypatch.setenv("PYLDL_DEVICE", "auto")
    backends.reset()
    nn.set_device("cpu")
    assert nn.get_device() == "cpu"
    with nn.device("cpu") as name:
        assert name == "cpu"
    assert nn.get_device() == "cpu"


@cuda_missing
def test_auto_falls_back_to_cpu_silently(monkeypatch):
    monkeypatch.setenv("PYLDL_DEVICE", "auto")
    backends.reset()
    assert nn.get_device() == "cpu"


@cuda_missing
def test_cuda_request_without_cupy_gives_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)  # import cupy -> ImportError
    monkeypatch.setenv("PYLDL_DEVICE", "cuda")
    backends.reset()
    with pytest.raises(nn.CudaUnavailableError, match=r"CuPy is not installed.*pyldl-gpu\[cuda12\].*cuda13") as info:
        nn.xp()
    assert isinstance(info.value.__cause__, ImportError)
    with pytest.raises(nn.CudaUnavailableError):
        nn.set_device("cuda:0")


@cuda_missing
def test_cuda_request_without_device_names_the_driver(monkeypatch):
    class FakeRuntime:
        @staticmethod
        def getDeviceCount():  # noqa: N802 (CuPy's spelling)
            raise RuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected")

    fake = type(sys)("cupy")
    fake.__version__ = "14.0.0"
    fake.cuda = type(sys)("cupy.cuda")
    fake.cuda.runtime = FakeRuntime
    monkeypatch.setitem(sys.modules, "cupy", fake)
    with pytest.raises(nn.CudaUnavailableError, match=r"CuPy 14\.0\.0 is installed, but no usable CUDA driver") as info:
        nn.set_device("cuda")
    assert "no CUDA-capable device" in str(info.value.__cause__)


def test_asarray_casts_floats_to_floatx_and_keeps_integers():
    assert nn.asarray(np.zeros(3)).dtype == np.float32
    assert nn.asarray([1.5, 2.0]).dtype == np.float32
    assert nn.asarray(np.arange(3)).dtype == np.arange(3).dtype
    assert nn.asarray(np.zeros(2, dtype=bool)).dtype == bool
    assert nn.asarray(np.zeros(3), dtype="float64").dtype == np.float64
    with nn.default_dtype("float64"):
        assert nn.asarray(np.zeros(3, dtype=np.float32)).dtype == np.float64
    assert nn.floatx() == np.float32


def test_set_default_dtype_rejects_non_float():
    with pytest.raises(TypeError, match="float32 or float64"):
        nn.set_default_dtype("int32")


def test_to_numpy_round_trip():
    host = np.arange(6, dtype=np.float32).reshape(2, 3)
    back = nn.to_numpy(nn.asarray(host))
    assert isinstance(back, np.ndarray)
    np.testing.assert_array_equal(back, host)
    assert nn.to_numpy(3.0).shape == ()


def test_require_array_names_the_caller_and_the_fix():
    with pytest.raises(TypeError, match=r"Linear.*expected an array, got list"):
        backends.require_array([1, 2], "Linear(2, 3)")


def test_manual_seed_reproduces_host_and_device_draws():
    nn.manual_seed(7)
    a, da = backends.host_rng().random(4), backends.active().rng.random(4)
    nn.manual_seed(7)
    b, db = backends.host_rng().random(4), backends.active().rng.random(4)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(nn.to_numpy(da), nn.to_numpy(db))
    nn.manual_seed(8)
    assert not np.array_equal(backends.host_rng().random(4), a)


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
