"""Inverted dropout."""

from __future__ import annotations

from .. import backends
from ..module import Module


class Dropout(Module):
    """In training mode zero each entry with probability p and scale the survivors by 1 / (1 - p), so the
    expected output equals the input; in eval mode the identity. The mask comes from the device generator
    (seeded by manual_seed) and is reused by the backward of the same forward. Setting ``fixed_mask`` (an
    array of 0/1 entries of the input's shape) replaces the random draw: gradient checks and parity tests."""

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"Dropout: p must lie in [0, 1), got {p}")
        self.p = float(p)
        self.fixed_mask = None
        self._scale = None

    def forward(self, x):
        backends.require_array(x, self)
        if not self.training or self.p == 0.0:
            self._scale = None
            return x
        if self.fixed_mask is not None:
            keep = self.fixed_mask.astype(x.dtype)
        else:
            keep = backends.rng().random(x.shape, dtype=x.dtype) >= self.p
            keep = keep.astype(x.dtype)
        keep *= 1.0 / (1.0 - self.p)
        self._scale = keep
        return x * keep

    def backward_delta(self, x, delta):
        return delta if self._scale is None else delta * self._scale

    def extra_repr(self) -> str:
        return f"p={self.p}"
