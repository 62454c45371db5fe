"""Max and average pooling: PyTorch as the oracle, ties, and the ReLU that commutes with max pooling."""

from __future__ import annotations

import pytest

import pyldl_gpu as nn
from pyldl_gpu import backends

np = backends.host()


def _torch():
    return pytest.importorskip("torch")


def test_conv1d_and_pools_match_pytorch(rng):
    torch = _torch()
    f = torch.nn.functional
    x = rng.standard_normal((2, 13, 3)).astype(np.float32)
    conv = nn.Conv1D(4, 3, 5, stride=2, padding=1)
    expected = f.conv1d(torch.tensor(x).permute(0, 2, 1), torch.tensor(nn.to_numpy(conv.weight.data)).permute(2, 1, 0),
                        stride=2, padding=1).permute(0, 2, 1).numpy()
    np.testing.assert_allclose(nn.to_numpy(conv(nn.asarray(x))), expected, rtol=1e-4, atol=1e-5)
    x2 = rng.standard_normal((2, 9, 7, 3)).astype(np.float32)
    t2 = torch.tensor(x2).permute(0, 3, 1, 2)
    for ours, theirs in [(nn.MaxPool2D(3, stride=2), f.max_pool2d(t2, 3, 2)), (nn.AvgPool2D(2), f.avg_pool2d(t2, 2))]:
        np.testing.assert_allclose(nn.to_numpy(ours(nn.asarray(x2))), theirs.permute(0, 2, 3, 1).numpy(), rtol=1e-6)
    t1 = torch.tensor(x).permute(0, 2, 1)
    for ours, theirs in [(nn.MaxPool1D(2, 2), f.max_pool1d(t1, 2, 2)), (nn.AvgPool1D(3, 1), f.avg_pool1d(t1, 3, 1))]:
        np.testing.assert_allclose(nn.to_numpy(ours(nn.asarray(x))), theirs.permute(0, 2, 1).numpy(), rtol=1e-6)


def test_max_pool_ties_route_to_one_winner():
    pool = nn.MaxPool2D(2)
    x = nn.asarray(np.ones((1, 4, 4, 2)))
    pool(x)
    dx = nn.to_numpy(pool.backward_delta(x, nn.asarray(np.ones((1, 2, 2, 2)))))
    assert dx.sum() == 8 and set(np.unique(dx)) == {0.0, 1.0}
    np.testing.assert_array_equal(dx[0, ::2, ::2, :], 1.0)  # the first tap of each window wins


@pytest.mark.parametrize("pool, args, shape", [(nn.MaxPool2D, (2,), (3, 6, 8, 5)),
                                               (nn.MaxPool2D, (3, 2), (2, 7, 9, 3)),
                                               (nn.MaxPool1D, (2,), (3, 10, 4))], ids=["2x2", "3x3-stride-2", "1d"])
def test_max_pool_and_relu_commute_exactly(pool, args, shape, rng):
    """The documented tip: pooling before the ReLU gives the same output and the same input gradient (small
    integers, so windows tie and many hold no positive value), at a fraction of the ReLU's work."""
    x = nn.asarray(rng.integers(-3, 4, shape).astype("float32"))
    relu_first, pool_first = nn.Sequential(nn.ReLU(), pool(*args)), nn.Sequential(pool(*args), nn.ReLU())
    y = relu_first(x)
    np.testing.assert_array_equal(nn.to_numpy(y), nn.to_numpy(pool_first(x)))
    delta = nn.asarray(rng.standard_normal(tuple(y.shape)).astype("float32"))
    np.testing.assert_array_equal(nn.to_numpy(relu_first.backward_delta(x, delta)),
                                  nn.to_numpy(pool_first.backward_delta(x, delta)))


@pytest.mark.parametrize("relu_first", [True, False], ids=["relu-then-pool", "pool-then-relu"])
@pytest.mark.parametrize("pool, args, shape", [(nn.MaxPool2D, (2,), (3, 6, 8, 5)),
                                               (nn.MaxPool2D, (3, 2), (2, 7, 9, 3)),
                                               (nn.MaxPool1D, (2,), (3, 11, 4))], ids=["2x2", "3x3-stride-2", "1d"])
def test_sequential_runs_a_relu_and_a_max_pool_as_one_operation(pool, args, shape, relu_first, rng, monkeypatch):
    """One fused call each way, the same bits as the two modules run one by one, and each module's Saved record
    still correct on its own (ties and non-positive windows included)."""
    relu, max_pool = nn.ReLU(), pool(*args)
    first, second = (relu, max_pool) if relu_first else (max_pool, relu)
    x = nn.asarray(rng.integers(-3, 4, shape).astype("float32"))
    y1, r1 = first.forward_with_state(x)
    y2, r2 = second.forward_with_state(y1)
    delta = nn.asarray(rng.standard_normal(tuple(y2.shape)).astype("float32"))
    d1 = second.backward_with_state(r2, delta)
    dx = first.backward_with_state(r1, d1)

    backend = backends.active()
    calls, depth = [], [0]

    def counted(name):  # the calls the layers make (a backend's pair may run its own pool and ReLU inside)
        op = getattr(backend, name)

        def call(*a):
            if not depth[0]:
                calls.append(name)
            depth[0] += 1
            try:
                return op(*a)
            finally:
                depth[0] -= 1
        return call

    for name in ("relu", "relu_backward", "max_pool2d", "max_pool2d_backward", "relu_max_pool2d",
                 "relu_max_pool2d_backward"):
        monkeypatch.setattr(backend, name, counted(name))
    net = nn.Sequential(first, second)
    y = net(x)
    dx_fused = net.backward(delta)
    assert calls == ["relu_max_pool2d", "relu_max_pool2d_backward"]
    np.testing.assert_array_equal(nn.to_numpy(y), nn.to_numpy(y2))
    np.testing.assert_array_equal(nn.to_numpy(dx_fused), nn.to_numpy(dx))
    records = net._saved.state
    np.testing.assert_array_equal(nn.to_numpy(second.backward_with_state(records[1], delta)), nn.to_numpy(d1))
    np.testing.assert_array_equal(nn.to_numpy(first.backward_with_state(records[0], d1)), nn.to_numpy(dx))
    np.testing.assert_array_equal(nn.to_numpy(net.backward_delta(x, delta)), nn.to_numpy(dx))
    net.eval()
    np.testing.assert_array_equal(nn.to_numpy(net(x)), nn.to_numpy(y2))


def test_subclasses_are_not_fused(monkeypatch):
    """A subclass may change either pass, so only the built-in classes run as a pair."""
    class Clipped(nn.ReLU):
        pass

    backend = backends.active()
    monkeypatch.setattr(backend, "relu_max_pool2d", lambda *a: pytest.fail("fused a subclass"))
    net = nn.Sequential(Clipped(), nn.MaxPool2D(2), nn.Flatten())
    assert net(nn.asarray(np.ones((1, 4, 4, 1), "float32"))).shape == (1, 4)
