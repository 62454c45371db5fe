"""Activation values against their formulas, and numerical stability at extreme inputs."""

from __future__ import annotations

import pytest

import pyldl_gpu as nn
from pyldl_gpu import backends

np = backends.host()
X = np.array([[-3.0, -0.5, 0.0, 0.25, 4.0]])


@pytest.mark.parametrize("module, expected", [
    (nn.Identity(), X),
    (nn.ReLU(), np.maximum(X, 0)),
    (nn.LeakyReLU(0.1), np.where(X > 0, X, 0.1 * X)),
    (nn.Tanh(), np.tanh(X)),
    (nn.Sigmoid(), 1 / (1 + np.exp(-X))),
    (nn.Softmax(), np.exp(X) / np.exp(X).sum()),
    (nn.LogSoftmax(), X - np.log(np.exp(X).sum())),
], ids=lambda v: type(v).__name__ if isinstance(v, nn.Module) else "")
def test_values_match_formula(module, expected):
    out = module(nn.asarray(X))
    assert out.dtype == np.float32
    np.testing.assert_allclose(nn.to_numpy(out), expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("module", [nn.Sigmoid(), nn.Tanh(), nn.Softmax(), nn.LogSoftmax(), nn.ReLU(),
                                    nn.LeakyReLU()], ids=lambda m: type(m).__name__)
def test_no_overflow_or_nan_at_plus_minus_1000(module):
    x = nn.asarray(np.array([[-1000.0, 0.0, 1000.0], [1000.0, 1000.0, -1000.0]]))
    out = nn.to_numpy(module(x))  # filterwarnings=error turns any overflow warning into a failure
    grad = nn.to_numpy(module.backward_delta(x, nn.asarray(np.ones((2, 3)))))
    assert np.isfinite(out).all() and np.isfinite(grad).all()


def test_extreme_values_are_exact_where_they_should_be():
    x = nn.asarray(np.array([[-1000.0, 1000.0]]))
    np.testing.assert_array_equal(nn.to_numpy(nn.Sigmoid()(x)), [[0.0, 1.0]])
    np.testing.assert_allclose(nn.to_numpy(nn.LogSoftmax()(x)), [[-2000.0, 0.0]])
    np.testing.assert_array_equal(nn.to_numpy(nn.Softmax()(x)), [[0.0, 1.0]])


def test_backward_uses_given_x_when_it_is_not_the_cached_one(rng):
    tanh = nn.Tanh()
    a, b = nn.asarray(rng.standard_normal((2, 3))), nn.asarray(rng.standard_normal((2, 3)))
    tanh(a)
    ones = nn.asarray(np.ones((2, 3)))
    np.testing.assert_allclose(nn.to_numpy(tanh.backward_delta(b, ones)), 1 - np.tanh(nn.to_numpy(b)) ** 2,
                               rtol=1e-6)


def test_activation_rejects_host_list():
    with pytest.raises(TypeError, match=r"ReLU\(\): expected an array, got list"):
        nn.ReLU()([1.0, 2.0])
