"""Batch normalisation over every axis but the last (channels-last): BatchNorm1D, BatchNorm2D."""

from __future__ import annotations

from .. import backends
from ..exceptions import ShapeError
from ..module import Module, Parameter
from ._windows import channel_sum


class _BatchNorm(Module):
    ndims: tuple[int, ...] = ()
    layout = ""

    def __init__(self, features: int, momentum: float = 0.1, eps: float = 1e-5, affine: bool = True) -> None:
        super().__init__()
        if features < 1:
            raise ValueError(f"{type(self).__name__}: features must be positive, got {features}")
        if not 0.0 < momentum <= 1.0:
            raise ValueError(f"{type(self).__name__}: momentum must lie in (0, 1], got {momentum}")
        xp, dtype = backends.xp(), backends.floatx()
        self.features, self.momentum, self.eps = int(features), float(momentum), float(eps)
        self.weight = Parameter(xp.ones(features, dtype=dtype), "weight") if affine else None
        self.bias = Parameter(xp.zeros(features, dtype=dtype), "bias") if affine else None
        self.register_buffer("running_mean", xp.zeros(features, dtype=dtype))
        self.register_buffer("running_var", xp.ones(features, dtype=dtype))
        self._xhat = self._inv_std = None

    def _normalise(self, x):
        """(xhat, 1 / std, batch mean, batch var) with batch statistics in training mode, running ones in eval;
        no side effects."""
        xp = backends.xp()
        if self.training:
            scale = x.shape[-1] / x.size
            mean = channel_sum(x) * scale
            centred = x - mean
            var = channel_sum(centred * centred) * scale
        else:
            mean, var = None, None
            centred = x - self.running_mean
        inv_std = 1.0 / xp.sqrt((self.running_var if var is None else var) + self.eps)
        return centred * inv_std, inv_std, mean, var

    def forward(self, x):
        self._check_input(x)
        if x.ndim not in self.ndims or x.shape[-1] != self.features:
            raise ShapeError(f"{self!r}: expected input {self.layout.format(self.features)}, got {tuple(x.shape)}")
        count = x.size // self.features
        if self.training and count < 2:
            raise ShapeError(f"{self!r}: training needs more than one value per feature, got {tuple(x.shape)}")
        xhat, inv_std, mean, var = self._normalise(x)
        if self.training:
            self.running_mean *= 1.0 - self.momentum
            self.running_mean += self.momentum * mean
            self.running_var *= 1.0 - self.momentum
            self.running_var += (self.momentum * count / (count - 1)) * var  # unbiased, as PyTorch
        self._xhat, self._inv_std = xhat, inv_std
        if self.weight is None:
            return xhat
        return xhat * self.weight.data + self.bias.data

    def _normalised(self, x):
        if x is self._input and self._xhat is not None:
            return self._xhat, self._inv_std
        return self._normalise(x)[:2]

    def backward_update_gradient(self, x, delta) -> None:
        if self.weight is None:
            return
        xhat, _ = self._normalised(x)
        self.weight.accumulate(channel_sum(delta * xhat))
        self.bias.accumulate(channel_sum(delta))

    def backward_delta(self, x, delta):
        xhat, inv_std = self._normalised(x)
        g = delta * self.weight.data if self.weight is not None else delta
        if not self.training:  # running statistics are constants
            return g * inv_std
        scale = g.shape[-1] / g.size
        mean_g = channel_sum(g) * scale
        mean_gx = channel_sum(g * xhat) * scale
        return (g - mean_g - xhat * mean_gx) * inv_std

    def extra_repr(self) -> str:
        return f"{self.features}, momentum={self.momentum}, eps={self.eps}"


class BatchNorm1D(_BatchNorm):
    """Normalise each feature over the batch (and length): x (batch, features) or (batch, length, features)."""

    ndims = (2, 3)
    layout = "(batch, {0}) or (batch, length, {0})"


class BatchNorm2D(_BatchNorm):
    """Normalise each channel over batch, height and width: x (batch, H, W, chan)."""

    ndims = (4,)
    layout = "(batch, H, W, {0})"
