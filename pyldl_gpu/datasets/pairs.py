"""MNIST digit pairs (the EPFL project): two 14x14 digits, is the first less than or equal to the second?"""

from __future__ import annotations

from .. import backends
from .mnist import load_mnist


def make_pairs(images, labels, n: int, seed: int = 0):
    """n random pairs of distinct images, each downsampled 2x by 2x2 averaging (28x28 -> 14x14, as the EPFL
    project's generator). Returns x float32 (n, 2, 14, 14) in [0, 1], target int64 (n,) = 1 when the first
    digit <= the second, classes int64 (n, 2): the two digits (auxiliary targets)."""
    np = backends.host()
    if n < 1 or 2 * n > len(labels):
        raise ValueError(f"make_pairs: n must be in [1, {len(labels) // 2}] for {len(labels)} images, got {n}")
    h, w = images.shape[1:3]
    if h % 2 or w % 2:
        raise ValueError(f"make_pairs: images need even sides to be halved, got {h}x{w}")
    pick = np.random.default_rng(seed).choice(len(labels), size=2 * n, replace=False)
    small = images[pick].reshape(2 * n, h // 2, 2, w // 2, 2).mean(axis=(2, 4), dtype=np.float32)
    x = small.reshape(n, 2, h // 2, w // 2)
    classes = labels[pick].astype(np.int64).reshape(n, 2)
    target = (classes[:, 0] <= classes[:, 1]).astype(np.int64)
    return x, target, classes


def load_mnist_pairs(n: int = 1000, split: str = "train", seed: int = 0, download: bool = True):
    """make_pairs on the official MNIST split: (x (n, 2, 14, 14), target (n,), classes (n, 2))."""
    images, labels = load_mnist(split, download)
    return make_pairs(images, labels, n, seed)
