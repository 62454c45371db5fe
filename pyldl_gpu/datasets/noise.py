"""Noise models for denoising experiments, applied on the host to images in [0, 1]; results stay in [0, 1]."""

from __future__ import annotations

from .. import backends


def _rng(seed):
    return backends.host().random.default_rng(seed)


def gaussian_noise(x, sigma: float, seed: int | None = 0):
    """x + N(0, sigma^2), clipped to [0, 1]."""
    if sigma < 0:
        raise ValueError(f"gaussian_noise: sigma must be >= 0, got {sigma}")
    noisy = x + _rng(seed).normal(0.0, sigma, x.shape)
    return backends.host().clip(noisy, 0.0, 1.0).astype(x.dtype)


def salt_and_pepper(x, fraction: float, seed: int | None = 0):
    """Set a ``fraction`` of the pixels to 0 or 1 (half each, on average)."""
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"salt_and_pepper: fraction must lie in [0, 1], got {fraction}")
    rng = _rng(seed)
    noisy = x.copy()
    hit = rng.random(x.shape) < fraction
    noisy[hit] = (rng.random(int(hit.sum())) < 0.5).astype(x.dtype)
    return noisy


def binomial_mask(x, fraction: float, seed: int | None = 0):
    """Masking noise of denoising autoencoders: zero a ``fraction`` of the pixels."""
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"binomial_mask: fraction must lie in [0, 1], got {fraction}")
    keep = _rng(seed).random(x.shape) >= fraction
    return (x * keep).astype(x.dtype)
