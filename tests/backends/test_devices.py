"""Device strings, their precedence and the CUDA errors: which backend is active."""

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
