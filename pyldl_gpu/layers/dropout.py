"""Inverted dropout."""

from __future__ import annotations

from .. import arguments, backends
from ..exceptions import ArgumentError
from ..module import Module


class Dropout(Module):
    """In training mode zero each entry with probability p and scale the survivors by 1 / (1 - p), so the
    expected output equals the input; in eval mode the identity. Backward multiplies delta by the same mask.

    The mask comes from the device generator (seeded by manual_seed); the last one drawn is kept, and the course
    calls with an explicit x (``backward_delta(x, delta)``) use it: a mask cannot be recomputed from x. Setting
    ``fixed_mask`` (an array of 0/1 entries of the input's shape) replaces the random draw: gradient checks and
    parity tests."""

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        self.p = arguments.number(p, "p", "Dropout")  # a finite real number (no strings, bools or NaN), then:
        if not 0.0 <= self.p < 1.0:
            raise ArgumentError(f"Dropout: p must lie in [0, 1), got {p}")
        self.fixed_mask = None
        self._scale = None  # the last training-mode mask, scaled: what _replay reuses

    def _forward(self, x):
        if not self.training or self.p == 0.0:
            return x, None
        if self.fixed_mask is not None:
            keep = self.fixed_mask.astype(x.dtype)
        else:
            keep = backends.rng().random(x.shape, dtype=x.dtype) >= self.p
            keep = keep.astype(x.dtype)
        keep *= 1.0 / (1.0 - self.p)
        self._scale = keep
        return x * keep, keep

    def _replay(self, x):
        if not self.training or self.p == 0.0:
            return x, None
        scale = self._scale if self.fixed_mask is None else self.fixed_mask.astype(x.dtype) * (1.0 / (1.0 - self.p))
        if scale is None or scale.shape != x.shape:
            got = "no mask yet" if scale is None else f"a mask of shape {tuple(scale.shape)}"
            raise RuntimeError(f"{self!r}: backward with an explicit x reuses the last forward's mask, and there is "
                               f"{got} for input {tuple(x.shape)}: call the module on this batch first")
        return x * scale, scale

    def _backward_input(self, scale, delta):
        return delta if scale is None else delta * scale

    def extra_repr(self) -> str:
        return f"p={self.p}"
