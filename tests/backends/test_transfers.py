"""Host <-> device transfers, the default dtype and the seeded generators."""

from __future__ import annotations

import pytest

import pyldl_gpu as nn
from pyldl_gpu import backends

np = backends.host()


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
