"""Linear (fully connected) layer."""

from __future__ import annotations

from .. import arguments, backends
from ..init import initialise
from ..input_spec import InputSpec
from ..module import Module, Parameter


class Linear(Module):
    """y = x @ W + b.   x: (batch, in_features) -> (batch, out_features); W: (in, out), b: (out,).

    Backward: dL/dW = x.T @ delta, dL/db = sum over the batch of delta, dL/dx = delta @ W.T.
    init: 'xavier' (Glorot uniform, default), 'he', 'uniform' (+-1/sqrt(in), the seed reports'), 'normal'.
    Biases start at zero; ``bias=False`` leaves ``self.bias`` None."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, init: str = "xavier") -> None:
        super().__init__()
        self.in_features = arguments.integer(in_features, "in_features", "Linear")
        self.out_features = arguments.integer(out_features, "out_features", "Linear")
        self.weight = Parameter(initialise(init, (in_features, out_features), in_features, out_features), "weight")
        self.bias = Parameter(backends.xp().zeros(out_features, dtype=backends.floatx()), "bias") if bias else None
        self.input_spec = InputSpec(("batch", self.in_features), dtype_of="weight")

    def _forward(self, x):
        y = x @ self.weight.data
        if self.bias is not None:
            y += self.bias.data
        return y, x

    def _backward_params(self, x, delta) -> None:
        self.weight.accumulate_matmul(x.T, delta)
        if self.bias is not None:
            self.bias.accumulate_sum(delta, axis=0)

    def _backward_input(self, x, delta):
        return delta @ self.weight.data.T

    def output_shape(self, input_shape: tuple) -> tuple:
        return (*input_shape[:-1], self.out_features)

    def extra_repr(self) -> str:
        return f"{self.in_features}, {self.out_features}" + ("" if self.bias is not None else ", bias=False")
