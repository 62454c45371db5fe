"""Conv2D and Conv1D, channels-last, each a single GEMM per pass, by one of two layouts:

im2col (the default):
    forward:   cols (N, kh*kw*cin) @ W (kh*kw*cin, cout)          N = batch * Ho * Wo, one strided copy
    weights:   dW = cols.T @ delta                                 (cols cached from the forward in train mode)
    input:     dx = col2im(delta @ W.T)                            (a slice += per kernel tap)
banded (kernels wide relative to the image, see _banded.py):
    forward:   rows (batch*Ho, kh*Wp*cin) @ band(W) (kh*Wp*cin, Wo*cout)
    weights:   dW = unband(rows.T @ delta);   input: dx = fold_rows(delta @ band(W).T)

Conv1D is Conv2D on a (batch, 1, length, chan) view: one code path for both."""

from __future__ import annotations

from .. import backends
from ..exceptions import ShapeError
from ..init import initialise
from ..module import Module, Parameter
from . import _banded
from ._windows import (
    add_channel_bias,
    channel_sum,
    check_fits,
    col2im,
    im2col,
    length_as_width,
    output_size,
    pad,
    pair,
    unpad,
    width_as_length,
)

ALGORITHMS = ("auto", "im2col", "banded")


class Conv2D(Module):
    """2-D convolution. x: (batch, H, W, chan_in) -> (batch, Ho, Wo, chan_out),
    Ho = (H + 2 * padding - kh) // stride + 1 (likewise Wo). weight: (kh, kw, chan_in, chan_out).
    k_size, stride and padding are ints or (vertical, horizontal) pairs; init as for Linear.
    algorithm: 'auto' (banded GEMM when the padded width is at most 4 kernel widths, else im2col),
    'im2col' or 'banded'; all give the same result up to float rounding."""

    def __init__(self, k_size, chan_in: int, chan_out: int, stride=1, padding=0, bias: bool = True,
                 init: str = "xavier", algorithm: str = "auto") -> None:
        super().__init__()
        if algorithm not in ALGORITHMS:
            raise ValueError(f"{type(self).__name__}: algorithm must be one of {ALGORITHMS}, got {algorithm!r}")
        self.algorithm = algorithm
        if chan_in < 1 or chan_out < 1:
            raise ValueError(f"{type(self).__name__}: channels must be positive, got ({chan_in}, {chan_out})")
        self.kernel = pair(k_size, "k_size")
        self.stride = pair(stride, "stride")
        self.padding = pair(padding, "padding", minimum=0)
        self.chan_in, self.chan_out = int(chan_in), int(chan_out)
        kh, kw = self.kernel
        shape = self._weight_shape()
        self.weight = Parameter(initialise(init, shape, kh * kw * chan_in, kh * kw * chan_out), "weight")
        self.bias = Parameter(backends.xp().zeros(chan_out, dtype=backends.floatx()), "bias") if bias else None
        self._cols = None  # im2col / row windows of the last training-mode input, reused by its backward
        self._band = None  # the banded weight matrix of the last forward

    # ---- what differs between 2-D and 1-D: shapes at the boundary
    def _weight_shape(self) -> tuple:
        return (*self.kernel, self.chan_in, self.chan_out)

    def _to_4d(self, x):
        """Input as (batch, H, W, C), checked."""
        if x.ndim != 4 or x.shape[3] != self.chan_in:
            raise ShapeError(f"{self!r}: expected input (batch, H, W, {self.chan_in}), got {tuple(x.shape)}")
        check_fits(self, x.shape[1:3], self.kernel, self.padding, ("height", "width"))
        return x

    def _from_4d(self, y4):
        return y4

    # ---- the computation, on (batch, H, W, C)
    def _geometry(self, x4) -> tuple:
        """(padded shape, Ho, Wo, banded?) of a (batch, H, W, C) input."""
        (ph, pw), (kh, kw), (sh, sw) = self.padding, self.kernel, self.stride
        b, h, w, c = x4.shape
        padded = (b, h + 2 * ph, w + 2 * pw, c)
        banded = self.algorithm == "banded" or (self.algorithm == "auto" and _banded.worth_it(padded[2], kw))
        return padded, output_size(padded[1], kh, sh), output_size(padded[2], kw, sw), banded

    def _unrolled(self, x4, banded: bool):
        """The input unrolled for the GEMM: im2col columns, or kernel-row windows when banded."""
        xpad = pad(x4, *self.padding)
        if banded:
            return _banded.row_windows(xpad, self.kernel[0], self.stride[0])
        return im2col(xpad, *self.kernel, *self.stride)

    def _kernel_matrix(self, padded, wo, banded: bool):
        w = self.weight.data
        if banded:
            return _banded.band(w.reshape(*self.kernel, self.chan_in, self.chan_out), padded[2], wo, self.stride[1])
        return w.reshape(-1, self.chan_out)

    def forward(self, x):
        self._check_input(x, dtype=self.weight.data.dtype)
        x4 = self._to_4d(x)
        padded, ho, wo, banded = self._geometry(x4)
        self._cols = None  # drop the previous step's unrolled input before building the new one: halves the peak
        unrolled = self._unrolled(x4, banded)
        kernel = self._kernel_matrix(padded, wo, banded)
        self._cols, self._band = (unrolled, kernel) if self.training else (None, None)
        y = (unrolled @ kernel).reshape(x4.shape[0], ho, wo, self.chan_out)
        if self.bias is not None:
            add_channel_bias(y, self.bias.data)
        return self._from_4d(y)

    def backward_update_gradient(self, x, delta) -> None:
        x4 = self._to_4d(x)
        padded, ho, wo, banded = self._geometry(x4)
        cached = x is self._input and self._cols is not None
        unrolled = self._cols if cached else self._unrolled(x4, banded)
        if banded:
            d2 = delta.reshape(x4.shape[0] * ho, wo * self.chan_out)
            kernel_shape = (*self.kernel, self.chan_in, self.chan_out)
            grad = _banded.unband(unrolled.T @ d2, kernel_shape, padded[2], wo, self.stride[1])
            self.weight.accumulate(grad.reshape(self.weight.data.shape))
        else:
            self.weight.accumulate_matmul(unrolled.T, delta.reshape(-1, self.chan_out))
        if self.bias is not None:
            self.bias.accumulate(channel_sum(delta))

    def backward_delta(self, x, delta):
        x4 = self._to_4d(x)
        padded, ho, wo, banded = self._geometry(x4)
        cached = x is self._input and self._band is not None
        kernel = self._band if cached else self._kernel_matrix(padded, wo, banded)
        if banded:
            rows = delta.reshape(x4.shape[0] * ho, wo * self.chan_out) @ kernel.T
            dx = _banded.fold_rows(rows, padded, self.kernel[0], self.stride[0])
        else:
            dx = col2im(delta.reshape(-1, self.chan_out) @ kernel.T, padded, *self.kernel, *self.stride)
        return unpad(dx, *self.padding).reshape(x.shape)

    def output_shape(self, input_shape: tuple) -> tuple:
        h, w, _ = input_shape
        return (*(output_size(n, k, s, p) for n, k, s, p in zip((h, w), self.kernel, self.stride, self.padding)),
                self.chan_out)

    def extra_repr(self) -> str:
        def short(p):
            return p[0] if p[0] == p[1] else p

        text = f"{short(self.kernel)}, {self.chan_in}, {self.chan_out}"
        if self.stride != (1, 1):
            text += f", stride={short(self.stride)}"
        if self.padding != (0, 0):
            text += f", padding={short(self.padding)}"
        return text + ("" if self.bias is not None else ", bias=False")


class Conv1D(Conv2D):
    """1-D convolution. x: (batch, length, chan_in) -> (batch, out_len, chan_out),
    out_len = (length + 2 * padding - k_size) // stride + 1. weight: (k_size, chan_in, chan_out)."""

    def __init__(self, k_size: int, chan_in: int, chan_out: int, stride: int = 1, padding: int = 0,
                 bias: bool = True, init: str = "xavier") -> None:
        for name, value in (("k_size", k_size), ("stride", stride), ("padding", padding)):
            if not isinstance(value, int):
                raise ValueError(f"Conv1D: {name} must be an int, got {value!r}")
        super().__init__((1, k_size), chan_in, chan_out, (1, stride), (0, padding), bias, init)

    def _weight_shape(self) -> tuple:
        return (self.kernel[1], self.chan_in, self.chan_out)

    def _to_4d(self, x):
        if x.ndim != 3 or x.shape[2] != self.chan_in:
            raise ShapeError(f"{self!r}: expected input (batch, length, {self.chan_in}), got {tuple(x.shape)}")
        check_fits(self, x.shape[1:2], self.kernel[1:], self.padding[1:], ("length",))
        return length_as_width(x)

    def _from_4d(self, y4):
        return width_as_length(y4)

    def output_shape(self, input_shape: tuple) -> tuple:
        length, _ = input_shape
        return (output_size(length, self.kernel[1], self.stride[1], self.padding[1]), self.chan_out)

    def extra_repr(self) -> str:
        text = f"{self.kernel[1]}, {self.chan_in}, {self.chan_out}"
        if self.stride[1] != 1:
            text += f", stride={self.stride[1]}"
        if self.padding[1] != 0:
            text += f", padding={self.padding[1]}"
        return text + ("" if self.bias is not None else ", bias=False")
