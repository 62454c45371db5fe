"""Toy problems drawn on the host from a seeded generator: (x float32, y)."""

from __future__ import annotations

import math

from .. import backends


def _rng(seed):
    return backends.host().random.default_rng(seed)


def make_linear_regression(n: int = 500, features: int = 3, noise: float = 0.1, seed: int | None = 0):
    """y = x @ w + b + noise, x uniform in [-1, 1]. Returns (x (n, features), y (n, 1), w (features, 1), b)."""
    rng = _rng(seed)
    x = rng.uniform(-1.0, 1.0, (n, features))
    w = rng.normal(0.0, 1.0, (features, 1))
    b = float(rng.normal())
    y = x @ w + b + rng.normal(0.0, noise, (n, 1))
    return x.astype("float32"), y.astype("float32"), w.astype("float32"), b


def make_blobs(n: int = 1000, centers: int = 2, spread: float = 1.0, distance: float = 4.0, seed: int | None = 0):
    """k Gaussian blobs in 2-D, centres evenly on a circle of diameter ``distance``; labels int64 0..k-1."""
    rng = _rng(seed)
    np = backends.host()
    labels = np.arange(n) % centers
    angles = 2.0 * math.pi * labels / centers
    means = np.stack([np.cos(angles), np.sin(angles)], axis=1) * (distance / 2.0)
    x = means + rng.normal(0.0, spread, (n, 2))
    order = rng.permutation(n)
    return x[order].astype("float32"), labels[order].astype("int64")


def make_circle_in_square(n: int = 1000, seed: int | None = 0):
    """The EPFL task: x uniform in [0, 1]^2, label 1 inside the circle of radius 1/sqrt(2 pi) centred at
    (0.5, 0.5) (half the square's area), else 0."""
    x = _rng(seed).uniform(0.0, 1.0, (n, 2))
    y = (((x - 0.5) ** 2).sum(axis=1) < 1.0 / (2.0 * math.pi)).astype("int64")
    return x.astype("float32"), y


def make_xor(n: int = 400, noise: float = 0.1, seed: int | None = 0):
    """Four Gaussian clusters at the corners of [0, 1]^2; label = xor of the corner's coordinates."""
    rng = _rng(seed)
    corners = rng.integers(0, 2, (n, 2))
    x = corners + rng.normal(0.0, noise, (n, 2))
    return x.astype("float32"), (corners[:, 0] ^ corners[:, 1]).astype("int64")


def make_spirals(n: int = 1000, arms: int = 2, turns: float = 1.5, noise: float = 0.05, seed: int | None = 0):
    """Interleaved spirals in 2-D, one per class."""
    rng = _rng(seed)
    np = backends.host()
    labels = np.arange(n) % arms
    t = rng.uniform(0.05, 1.0, n)
    angle = 2.0 * math.pi * (turns * t + labels / arms)
    x = np.stack([t * np.cos(angle), t * np.sin(angle)], axis=1) + rng.normal(0.0, noise, (n, 2))
    return x.astype("float32"), labels.astype("int64")
