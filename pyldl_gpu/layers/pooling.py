"""Max and average pooling, channels-last. Each pool is one fused operation of the backend (``max_pool2d`` and
its backward, ...: backends/backend.py); the textbook twins, windows and argmax, are reference.max_pool2d and
reference.avg_pool2d. The 1-D pools are the 2-D code on a (batch, 1, length, chan) view.

Max pooling sends each window's delta to one winner, even on ties: the first column of the window holding the
maximum, and within it the first row."""

from __future__ import annotations

from .. import arguments, backends
from ..input_spec import InputSpec, KernelFit
from ..module import Module
from ._windows import length_as_width, output_size, width_as_length


class _Pool2D(Module):
    def __init__(self, k_size, stride=None) -> None:
        super().__init__()
        owner = type(self).__name__
        self.kernel = arguments.pair(k_size, "k_size", owner)
        self.stride = self.kernel if stride is None else arguments.pair(stride, "stride", owner)
        self.input_spec = self._spec()

    def _spec(self) -> InputSpec:
        return InputSpec(("batch", "H", "W", "chan"),
                         fits=(KernelFit(1, "height", self.kernel[0]), KernelFit(2, "width", self.kernel[1])))

    def _to_4d(self, x):
        return x

    def _from_4d(self, y4):
        return y4

    def _out_to_4d(self, y):
        """Inverse of _from_4d, for delta."""
        return y

    def output_shape(self, input_shape: tuple) -> tuple:
        h, w, c = input_shape
        return (*(output_size(n, k, s) for n, k, s in zip((h, w), self.kernel, self.stride)), c)

    def extra_repr(self) -> str:
        k = self.kernel[0] if self.kernel[0] == self.kernel[1] else self.kernel
        s = self.stride[0] if self.stride[0] == self.stride[1] else self.stride
        return f"{k}" + ("" if self.stride == self.kernel else f", stride={s}")


class MaxPool2D(_Pool2D):
    """Max over k x k windows. x: (batch, H, W, chan) -> (batch, Ho, Wo, chan), Ho = (H - k) // stride + 1;
    stride defaults to k_size; overlapping windows (stride < k) are allowed. Backward: delta to each window's
    winner, 0 elsewhere (summed where overlapping windows share an entry).

    Max pooling and ReLU commute exactly, output and gradients alike: ``MaxPool2D(2), ReLU()`` is the same net as
    ``ReLU(), MaxPool2D(2)`` with the ReLU on a quarter of the values."""

    def _forward(self, x):
        x4 = self._to_4d(x)
        y, winners = backends.active().max_pool2d(x4, self.kernel, self.stride)
        return self._from_4d(y), (x.shape, winners)

    def _backward_input(self, state, delta):
        x_shape, winners = state
        dx = backends.active().max_pool2d_backward(self._out_to_4d(delta), winners, self.kernel, self.stride)
        return dx.reshape(x_shape)


class AvgPool2D(_Pool2D):
    """Mean over k x k windows; shapes as MaxPool2D. Backward: each window's delta / (kh * kw) to its entries."""

    def _forward(self, x):
        x4 = self._to_4d(x)
        return self._from_4d(backends.active().avg_pool2d(x4, self.kernel, self.stride)), (x.shape, x4.shape)

    def _backward_input(self, state, delta):
        x_shape, x4_shape = state
        dx = backends.active().avg_pool2d_backward(self._out_to_4d(delta), x4_shape, self.kernel, self.stride)
        return dx.reshape(x_shape)


class _Pool1D:
    """Mixin: a 1-D pool is the 2-D pool on a (batch, 1, length, chan) view."""

    def __init__(self, k_size: int, stride: int | None = None) -> None:
        k_size = arguments.integer(k_size, "k_size", type(self).__name__)
        stride = None if stride is None else arguments.integer(stride, "stride", type(self).__name__)
        super().__init__((1, k_size), None if stride is None else (1, stride))

    def _spec(self) -> InputSpec:
        return InputSpec(("batch", "length", "chan"), fits=(KernelFit(1, "length", self.kernel[1]),))

    def _to_4d(self, x):
        return length_as_width(x)

    def _from_4d(self, y4):
        return width_as_length(y4)

    def _out_to_4d(self, y):
        return length_as_width(y)

    def output_shape(self, input_shape: tuple) -> tuple:
        length, c = input_shape
        return (output_size(length, self.kernel[1], self.stride[1]), c)

    def extra_repr(self) -> str:
        return f"{self.kernel[1]}" + ("" if self.stride == self.kernel else f", stride={self.stride[1]}")


class MaxPool1D(_Pool1D, MaxPool2D):
    """Max over windows of k_size. x: (batch, length, chan) -> (batch, (length - k) // stride + 1, chan)."""


class AvgPool1D(_Pool1D, AvgPool2D):
    """Mean over windows of k_size; shapes as MaxPool1D."""
