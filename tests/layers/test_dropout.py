"""Dropout: its mask in training mode, the identity in eval mode, reproducible draws."""

from __future__ import annotations

import pytest

import pyldl_gpu as nn
from pyldl_gpu import backends

np = backends.host()


def test_dropout_gradient_with_injected_mask(rng):
    drop = nn.Dropout(0.3)
    drop.fixed_mask = nn.asarray((rng.random((5, 7)) > 0.3).astype(np.float32))
    nn.gradcheck(drop, nn.asarray(rng.standard_normal((5, 7))))


def test_dropout_modes_and_statistics(rng):
    drop = nn.Dropout(0.25)
    x = nn.asarray(np.ones((400, 50)))
    y = nn.to_numpy(drop(x))
    kept = y != 0
    assert abs(kept.mean() - 0.75) < 0.01
    np.testing.assert_allclose(y[kept], 1 / 0.75, rtol=1e-6)
    dx = nn.to_numpy(drop.backward_delta(x, nn.asarray(np.ones((400, 50)))))
    np.testing.assert_array_equal(dx != 0, kept)  # same mask as the forward
    drop.eval()
    assert drop(x) is x and drop.backward_delta(x, x) is x
    nn.manual_seed(3)
    a = nn.to_numpy(nn.Dropout(0.5)(x))
    nn.manual_seed(3)
    np.testing.assert_array_equal(a, nn.to_numpy(nn.Dropout(0.5)(x)))
    with pytest.raises(ValueError, match=r"p must lie in \[0, 1\)"):
        nn.Dropout(1.0)
