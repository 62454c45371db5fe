"""Shared fixtures: a clean backend per test (float32, seed 0, device from PYLDL_DEVICE), host-drawn data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import pyldl_gpu as nn
from pyldl_gpu import backends

np = backends.host()  # host-side test data only; library code never does this outside backends/


@pytest.fixture(autouse=True)
def clean_backend():
    backends.reset()
    backends.set_default_dtype("float32")
    nn.manual_seed(0)
    yield
    backends.reset()
    backends.set_default_dtype("float32")


@pytest.fixture
def rng():
    """A host generator for test inputs, independent of the library's own streams."""
    return np.random.default_rng(1234)


def dev(a, dtype=None):
    """Host data -> active device."""
    return nn.asarray(a, dtype=dtype)


@pytest.fixture(params=["cpu", "cuda"])
def device(request):
    """Runs a test on each device; cuda is skipped with the reason it is unusable."""
    if request.param == "cuda" and not backends.cuda_is_available():
        pytest.skip("CUDA not usable here: CuPy missing or no CUDA device")
    with backends.device(request.param):
        yield request.param


@pytest.fixture
def data_dir() -> Path:
    """$PYLDL_DATA, or ../shared/data beside the checkout; tests using it skip if a file is missing."""
    root = Path(os.environ.get("PYLDL_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
    return root


def pytest_collection_modifyitems(config, items):
    if backends.cuda_is_available():
        return
    skip = pytest.mark.skip(reason="needs CuPy and a usable CUDA device")
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(skip)


def _require(path: Path) -> Path:
    if not path.is_file():
        pytest.skip(f"data file missing: {path} (set PYLDL_DATA to the shared data folder)")
    return path


@pytest.fixture
def mnist_subset(data_dir):
    """(x_train, y_train, x_test, y_test): the first 3000 official training and 1000 test images,
    float32 (n, 28, 28, 1) in [0, 1]. A minimal idx reader; pyldl_gpu.datasets will own the real one."""
    import gzip

    def read(name, offset, shape):
        with gzip.open(_require(data_dir / "mnist" / name)) as f:
            raw = f.read()
        return np.frombuffer(raw, dtype=np.uint8, offset=offset)[: int(np.prod(shape))].reshape(shape)

    x_train = read("train-images-idx3-ubyte.gz", 16, (3000, 28, 28, 1)).astype(np.float32) / 255.0
    y_train = read("train-labels-idx1-ubyte.gz", 8, (3000,)).astype(np.int64)
    x_test = read("t10k-images-idx3-ubyte.gz", 16, (1000, 28, 28, 1)).astype(np.float32) / 255.0
    y_test = read("t10k-labels-idx1-ubyte.gz", 8, (1000,)).astype(np.int64)
    return x_train, y_train, x_test, y_test


@pytest.fixture
def usps(data_dir):
    """(x_train, y_train, x_test, y_test) of USPS: float32 (n, 16, 16) in [0, 1] and uint8 labels."""
    with np.load(_require(data_dir / "usps" / "usps.npz")) as f:
        return f["x_train"], f["y_train"].astype(np.int64), f["x_test"], f["y_test"].astype(np.int64)
