"""Siamese (one trunk on both members of a pair, a pair head, auxiliary heads) and MultiTaskLoss."""

from __future__ import annotations

import pytest

import pyldl_gpu as nn
from pyldl_gpu import backends

np = backends.host()


def _net(aux: bool = True):
    trunk = nn.Sequential(nn.Conv2D(3, 1, 2), nn.Tanh(), nn.Flatten(), nn.Linear(2 * 3 * 3, 4), nn.Tanh())
    return nn.Siamese(trunk, nn.Sequential(nn.Linear(8, 5), nn.Tanh(), nn.Linear(5, 2)),
                      nn.Linear(4, 3) if aux else None)


def _loss(main: float = 1.0, aux: float = 0.5):
    ce = nn.CrossEntropyLoss()
    return nn.MultiTaskLoss([(ce, 0, 2, 0, main), (ce, 2, 5, 1, aux), (ce, 5, 8, 2, aux)])


def test_siamese_gradients_with_and_without_aux(rng):
    for aux in (True, False):
        net = _net(aux)
        report = nn.gradcheck(net, nn.asarray(rng.standard_normal((3, 2, 5, 5, 1))))
        assert len(report) == 1 + len(net.parameters())


def test_multitask_loss_gradient(rng):
    y = np.stack([rng.integers(0, 2, 5), rng.integers(0, 3, 5), rng.integers(0, 3, 5)], axis=1)
    nn.gradcheck(_loss(), nn.asarray(rng.standard_normal((5, 8))), nn.asarray(y))


def _trunk_gradient_and_numeric(net, loss, x, y):
    """Analytic dL/dW of the trunk's first conv weight through net + loss, and its central differences."""
    weight = net.trunk[0].weight
    net.zero_grad()
    net.backward(loss.backward(y, net(x)))
    analytic = nn.to_numpy(weight.grad).copy()
    numeric = np.zeros_like(analytic)
    flat, eps = weight.data.reshape(-1), 1e-6
    for i in range(flat.size):
        old = float(flat[i])
        flat[i] = old + eps
        plus = float(loss.forward(y, net(x)))
        flat[i] = old - eps
        minus = float(loss.forward(y, net(x)))
        flat[i] = old
        numeric.reshape(-1)[i] = (plus - minus) / (2 * eps)
    return analytic, numeric


def test_auxiliary_gradient_reaches_the_shared_trunk_from_both_heads(rng):
    with nn.default_dtype("float64"):
        net = _net()
        x = nn.asarray(rng.standard_normal((4, 2, 5, 5, 1)))
        y = nn.asarray(np.stack([rng.integers(0, 2, 4), rng.integers(0, 3, 4), rng.integers(0, 3, 4)], axis=1))
        both, numeric = _trunk_gradient_and_numeric(net, _loss(1.0, 0.5), x, y)
        np.testing.assert_allclose(both, numeric, rtol=1e-5, atol=1e-8)
        main_only, _ = _trunk_gradient_and_numeric(net, _loss(1.0, 0.0), x, y)
        aux_only, _ = _trunk_gradient_and_numeric(net, _loss(0.0, 0.5), x, y)
        assert np.abs(main_only).max() > 1e-4 and np.abs(aux_only).max() > 1e-4, "each head reaches the trunk"
        np.testing.assert_allclose(both, main_only + aux_only, rtol=1e-8, atol=1e-12)


def test_one_trunk_serves_both_members(rng):
    net = _net(aux=False)
    x = rng.standard_normal((3, 2, 5, 5, 1)).astype(np.float32)
    out = nn.to_numpy(net(nn.asarray(x)))
    features = [nn.to_numpy(net.trunk(nn.asarray(x[:, k]))) for k in (0, 1)]
    expected = nn.to_numpy(net.head(nn.asarray(np.concatenate(features, axis=1))))
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    assert len(net.parameters()) == len(net.trunk.parameters()) + len(net.head.parameters())


def test_shape_errors_are_clear():
    with pytest.raises(nn.ShapeError, match=r"Siamese: expected input \(batch, 2, \.\.\.\), got \(3, 5, 5, 1\)"):
        _net()(nn.asarray(np.zeros((3, 5, 5, 1))))
    with pytest.raises(nn.ShapeError, match=r"MultiTaskLoss\(3 parts\): expected prediction \(batch, >= 8\)"):
        _loss().forward(nn.asarray(np.zeros((4, 3), dtype=np.int64)), nn.asarray(np.zeros((4, 6))))
