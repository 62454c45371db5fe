"""A decoder layer that shares its weight with an encoder Linear, transposed (tied-weight autoencoders)."""

from __future__ import annotations

from .. import backends
from ..input_spec import InputSpec
from ..module import Module, Parameter
from .linear import Linear


class TiedLinear(Module):
    """y = x @ W.T + c, where W is ``encoder.weight``: the same Parameter object, not a copy, so one update
    moves both uses and its gradient collects both uses' contributions (the lazy zero_grad makes the first
    backward write and the second add). x: (batch, encoder.out_features) -> (batch, encoder.in_features).
    The decoder's bias c is its own; ``bias=False`` leaves it None."""

    def __init__(self, encoder: Linear, bias: bool = True) -> None:
        super().__init__()
        if not isinstance(encoder, Linear):
            raise TypeError(f"TiedLinear: expected the encoder's Linear layer, got {type(encoder).__name__}")
        self.in_features, self.out_features = encoder.out_features, encoder.in_features
        self.weight = encoder.weight  # registered here too; traversal lists the shared Parameter once
        self.bias = Parameter(backends.xp().zeros(self.out_features, dtype=backends.floatx()), "bias") if bias \
            else None
        self.input_spec = InputSpec(("batch", self.in_features), dtype_of="weight")

    def _forward(self, x):
        y = x @ self.weight.data.T
        if self.bias is not None:
            y += self.bias.data
        return y, x

    def _backward_params(self, x, delta) -> None:
        self.weight.accumulate_matmul(delta.T, x)  # d/dW of x @ W.T is (x.T @ delta).T
        if self.bias is not None:
            self.bias.accumulate_sum(delta, axis=0)

    def _backward_input(self, x, delta):
        return delta @ self.weight.data

    def output_shape(self, input_shape: tuple) -> tuple:
        return (*input_shape[:-1], self.out_features)

    def extra_repr(self) -> str:
        return f"{self.in_features}, {self.out_features}, tied" + ("" if self.bias is not None else ", bias=False")
