"""The library learns the classic toy problems to the accuracy the issue sets."""

from __future__ import annotations

import math

import pyldl_gpu as nn
from pyldl_gpu import backends

np = backends.host()


def test_linear_regression_r2_above_0_99(rng):
    x = rng.uniform(-1, 1, (500, 3)).astype(np.float32)
    w = np.array([[2.0], [-1.0], [0.5]])
    y = (x @ w + 0.3 + rng.normal(0, 0.05, (500, 1))).astype(np.float32)
    net = nn.Sequential(nn.Linear(3, 1))
    nn.Optim(net, nn.MSELoss(), nn.SGD(net, lr=0.1)).fit(x, y, epochs=30, batch_size=32, verbose=False)
    pred = nn.to_numpy(nn.predict(net, x))
    r2 = 1 - ((pred - y) ** 2).sum() / ((y - y.mean()) ** 2).sum()
    assert r2 > 0.99
    np.testing.assert_allclose(nn.to_numpy(net[0].weight.data), w, atol=0.05)


def test_two_gaussian_blobs_above_99_percent(rng):
    n = 1000
    x = np.concatenate([rng.normal([-2, -2], 1.0, (n // 2, 2)), rng.normal([2, 2], 1.0, (n // 2, 2))])
    y = np.repeat([0.0, 1.0], n // 2)[:, None]
    x, y = x.astype(np.float32), y.astype(np.float32)
    net = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1), nn.Sigmoid())
    nn.Optim(net, nn.BCELoss(), nn.SGD(net, lr=0.5)).fit(x[::2], y[::2], epochs=20, batch_size=32, verbose=False)
    assert nn.evaluate(net, x[1::2], y[1::2])["accuracy"] > 0.99


def test_circle_in_square_error_below_2_percent(rng):
    """The EPFL task: points uniform in [0, 1]^2, label 1 inside the circle of radius 1/sqrt(2 pi)."""
    def sample(n):
        x = rng.uniform(0, 1, (n, 2)).astype(np.float32)
        y = (((x - 0.5) ** 2).sum(1) < 1 / (2 * math.pi)).astype(np.int64)
        return x, y

    (xtr, ytr), (xte, yte) = sample(4000), sample(2000)
    net = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 2))
    adam = nn.Adam(net, lr=0.01)
    nn.Optim(net, nn.CrossEntropyLoss(), adam).fit(
        xtr, ytr, epochs=60, batch_size=64, scheduler=nn.CosineAnnealingLR(adam, T_max=60), verbose=False)
    assert 1 - nn.evaluate(net, xte, yte)["accuracy"] < 0.02


def test_xor():
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    y = np.array([[0], [1], [1], [0]], dtype=np.float32)
    net = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1), nn.Sigmoid())
    opt = nn.Optim(net, nn.MSELoss(), nn.SGD(net, lr=0.5, momentum=0.9))
    opt.fit(x, y, epochs=500, batch_size=4, verbose=False)
    pred = nn.to_numpy(nn.predict(net, x))
    np.testing.assert_array_equal(pred > 0.5, y > 0.5)
    assert np.abs(pred - y).max() < 0.2
