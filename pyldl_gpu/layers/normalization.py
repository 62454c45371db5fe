"""Batch normalisation over every axis but the last (channels-last): BatchNorm1D, BatchNorm2D. The textbook
twin, the formula written out, is reference.batch_norm / batch_norm_backward."""

from __future__ import annotations

from .. import arguments, backends
from ..exceptions import ShapeError
from ..input_spec import InputSpec
from ..module import Module, Parameter
from ._windows import channel_sum


class _BatchNorm(Module):
    """y = gamma * xhat + beta, xhat = (x - mean) / sqrt(var + eps), with the batch's mean and (biased) variance
    per feature in training mode and the running ones in eval mode. In training mode the running statistics move
    by ``momentum`` towards the batch's (the unbiased variance, as PyTorch). Backward in training mode, with
    g = gamma * delta and m the values per feature: dx = (g - mean(g) - xhat * mean(g * xhat)) / sqrt(var + eps);
    in eval mode the statistics are constants and dx = g / sqrt(running_var + eps)."""

    layouts: tuple = ()

    def __init__(self, features: int, momentum: float = 0.1, eps: float = 1e-5, affine: bool = True) -> None:
        super().__init__()
        owner = type(self).__name__
        self.features = arguments.integer(features, "features", owner)
        self.momentum = arguments.number(momentum, "momentum", owner, low=0.0, high=1.0, low_open=True)
        self.eps = arguments.number(eps, "eps", owner, low=0.0, low_open=True)  # 0 divides a constant feature by 0
        xp, dtype = backends.xp(), backends.floatx()
        self.weight = Parameter(xp.ones(features, dtype=dtype), "weight") if affine else None
        self.bias = Parameter(xp.zeros(features, dtype=dtype), "bias") if affine else None
        self.register_buffer("running_mean", xp.zeros(features, dtype=dtype))
        self.register_buffer("running_var", xp.ones(features, dtype=dtype))
        self.input_spec = InputSpec(*((*layout, self.features) for layout in self.layouts),
                                    dtype_of="weight" if affine else None)

    def _normalise(self, x):
        """(y, state, batch mean, batch var) with batch statistics in training mode, running ones in eval; no
        side effects. state = (xhat, 1 / std, training) for the backward."""
        xp = backends.xp()
        if self.training:
            if x.size // self.features < 2:
                raise ShapeError(f"{self!r}: training needs more than one value per feature, got {tuple(x.shape)}")
            scale = x.shape[-1] / x.size
            mean = channel_sum(x) * scale
            centred = x - mean
            var = channel_sum(centred * centred) * scale
        else:
            mean, var = None, None
            centred = x - self.running_mean
        inv_std = 1.0 / xp.sqrt((self.running_var if var is None else var) + self.eps)
        xhat = centred * inv_std
        y = xhat if self.weight is None else xhat * self.weight.data + self.bias.data
        return y, (xhat, inv_std, self.training), mean, var

    def _forward(self, x):
        y, state, mean, var = self._normalise(x)
        if self.training:
            count = x.size // self.features
            self.running_mean *= 1.0 - self.momentum
            self.running_mean += self.momentum * mean
            self.running_var *= 1.0 - self.momentum
            self.running_var += (self.momentum * count / (count - 1)) * var  # unbiased, as PyTorch
        return y, state

    def _replay(self, x):
        return self._normalise(x)[:2]

    def _backward_params(self, state, delta) -> None:
        if self.weight is None:
            return
        xhat = state[0]
        self.weight.accumulate(channel_sum(delta * xhat))
        self.bias.accumulate(channel_sum(delta))

    def _backward_input(self, state, delta):
        xhat, inv_std, training = state
        g = delta * self.weight.data if self.weight is not None else delta
        if not training:  # running statistics are constants
            return g * inv_std
        scale = g.shape[-1] / g.size
        mean_g = channel_sum(g) * scale
        mean_gx = channel_sum(g * xhat) * scale
        return (g - mean_g - xhat * mean_gx) * inv_std

    def extra_repr(self) -> str:
        return f"{self.features}, momentum={self.momentum}, eps={self.eps}"


class BatchNorm1D(_BatchNorm):
    """Normalise each feature over the batch (and length): x (batch, features) or (batch, length, features)."""

    layouts = (("batch",), ("batch", "length"))


class BatchNorm2D(_BatchNorm):
    """Normalise each channel over batch, height and width: x (batch, H, W, chan)."""

    layouts = (("batch", "H", "W"),)
