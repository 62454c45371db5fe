"""Shared fixtures: a clean backend per test (float32, seed 0, device from PYLDL_DEVICE), host-drawn data."""

from __future__ import annotations

import os
import sys
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


@pytest.fixture
def bench_path():
    """bench/ on sys.path while the test imports from it (its modules import each other by bare name)."""
    bench = str(Path(__file__).resolve().parents[1] / "bench")
    sys.path.insert(0, bench)
    yield
    sys.path.remove(bench)


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


DATA_ROOT = Path(os.environ.get("PYLDL_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


@pytest.fixture
def data_dir() -> Path:
    """$PYLDL_DATA, or ../shared/data beside the checkout; tests using it skip if a file is missing."""
    return DATA_ROOT


def pytest_collection_modifyitems(config, items):
    if backends.cuda_is_available():
        return
    skip = pytest.mark.skip(reason="needs CuPy and a usable CUDA device")
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(skip)


def _load(loader, *args):
    """Run a pyldl_gpu.datasets loader against the shared data folder; skip with a reason if a file is missing."""
    from unittest import mock

    from pyldl_gpu.datasets import _files

    with mock.patch.dict(os.environ, {_files.ENV_VAR: str(DATA_ROOT)}):
        try:
            return loader(*args)
        except nn.DatasetError as error:
            pytest.skip(f"shared data unavailable: {error}")


@pytest.fixture(scope="session")
def mnist_subset():
    """(x_train, y_train, x_test, y_test): the first 3000 official training and 1000 test images,
    float32 (n, 28, 28, 1) in [0, 1]."""
    from pyldl_gpu.datasets import load_mnist

    x_train, y_train = _load(load_mnist, "train", False)
    x_test, y_test = _load(load_mnist, "test", False)
    return x_train[:3000, :, :, None], y_train[:3000], x_test[:1000, :, :, None], y_test[:1000]


@pytest.fixture(scope="session")
def usps():
    """(x_train, y_train, x_test, y_test) of USPS: float32 (n, 16, 16) in [0, 1], int64 labels."""
    from pyldl_gpu.datasets import load_usps

    return _load(load_usps)
