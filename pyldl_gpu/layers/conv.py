"""Conv2D and Conv1D, channels-last, each pass one GEMM over width tiles of the input (see _tiled.py):

    forward:   y  = windows(x) @ band(W)              windows (batch*Ho*G, kh*Wt*cin), band (kh*Wt*cin, g*cout)
    weights:   dW = unband(windows(x).T @ delta)      (the windows are the forward's saved state)
    bias:      a column of ones in the windows and a bias row in the band: added and differentiated by the GEMMs
    input:     dx = fold(delta @ band(W).T)

g output columns per tile: 1 is im2col, Wo one band per output row; 'auto' asks the backend (one g for the
forward and weight gradient, which share the windows, one for the input gradient). The textbook twin, im2col and
one GEMM with col2im for the input gradient, is reference.conv2d / conv2d_backward: read it first.
Conv1D is Conv2D on a (batch, 1, length, chan) view: one code path for both."""

from __future__ import annotations

from .. import arguments, backends
from ..exceptions import ArgumentError, ShapeError
from ..init import initialise
from ..input_spec import InputSpec, KernelFit
from ..module import Module, Parameter
from . import _tiled
from ._windows import length_as_width, output_size, pad, unpad, width_as_length

ALGORITHMS = ("auto", "im2col", "banded")


class Conv2D(Module):
    """2-D convolution. x: (batch, H, W, chan_in) -> (batch, Ho, Wo, chan_out),
    Ho = (H + 2 * padding - kh) // stride + 1 (likewise Wo). weight: (kh, kw, chan_in, chan_out).

    y[n, i, j, o] = b[o] + sum_{p, q, c} x_pad[n, i * sh + p, j * sw + q, c] W[p, q, c, o]. Backward: dW is the
    correlation of the input with delta, dx the transposed convolution of delta with W (reference.py).
    k_size, stride and padding are ints or (vertical, horizontal) pairs; init as for Linear.
    algorithm: how the GEMM is laid out (see _tiled.py): 'auto' (the backend picks the tile width), 'im2col'
    (tiles of one output column), 'banded' (one tile per output row), or an int g (tiles of g output columns;
    g must divide the output width). All give the same result up to float rounding."""

    def __init__(self, k_size, chan_in: int, chan_out: int, stride=1, padding=0, bias: bool = True,
                 init: str = "xavier", algorithm: str | int = "auto") -> None:
        super().__init__()
        tile = isinstance(algorithm, int) and not isinstance(algorithm, bool) and algorithm >= 1
        if not (tile or algorithm in ALGORITHMS):
            raise ValueError(f"{type(self).__name__}: algorithm must be one of {ALGORITHMS} or a tile width >= 1, "
                             f"got {algorithm!r}")
        self.algorithm = algorithm
        owner = type(self).__name__
        channels = tuple(arguments.integer(c, "channels", owner, minimum=0) for c in (chan_in, chan_out))
        if min(channels) < 1:
            raise ArgumentError(f"{owner}: channels must be positive, got {channels}")
        self.chan_in, self.chan_out = channels
        self.kernel = arguments.pair(k_size, "k_size", owner)
        self.stride = arguments.pair(stride, "stride", owner)
        self.padding = arguments.pair(padding, "padding", owner, minimum=0)
        kh, kw = self.kernel
        shape = self._weight_shape()
        self.weight = Parameter(initialise(init, shape, kh * kw * chan_in, kh * kw * chan_out), "weight")
        self.bias = Parameter(backends.xp().zeros(chan_out, dtype=backends.floatx()), "bias") if bias else None
        self.input_spec = self._spec()

    # ---- what differs between 2-D and 1-D: shapes at the boundary
    def _weight_shape(self) -> tuple:
        return (*self.kernel, self.chan_in, self.chan_out)

    def _spec(self) -> InputSpec:
        (kh, kw), (ph, pw) = self.kernel, self.padding
        return InputSpec(("batch", "H", "W", self.chan_in), dtype_of="weight",
                         fits=(KernelFit(1, "height", kh, ph), KernelFit(2, "width", kw, pw)))

    def _to_4d(self, x):
        return x

    def _from_4d(self, y4):
        return y4

    # ---- the computation, on (batch, H, W, C)
    def _geometry(self, x4) -> tuple:
        """(padded shape, Ho, Wo) of a (batch, H, W, C) input."""
        (ph, pw), (kh, kw), (sh, sw) = self.padding, self.kernel, self.stride
        b, h, w, c = x4.shape
        padded = (b, h + 2 * ph, w + 2 * pw, c)
        return padded, output_size(padded[1], kh, sh), output_size(padded[2], kw, sw)

    def _tile(self, rows: int, wo: int, input_gradient: bool = False) -> int:
        if self.algorithm == "auto":
            return backends.active().conv_tile_width(rows, wo, *self.kernel, self.stride[1], self.chan_in,
                                                     self.chan_out, input_gradient)
        g = {"im2col": 1, "banded": wo}.get(self.algorithm, self.algorithm)
        if wo % g:
            raise ShapeError(f"{self!r}: tile width {g} does not divide the output width {wo}")
        return g

    def _band_of(self, g: int):
        """The band of the weight, with the bias in its last row."""
        w = self.weight.data.reshape(*self.kernel, self.chan_in, self.chan_out)
        return _tiled.band(w, g, self.stride[1], None if self.bias is None else self.bias.data)

    def _forward(self, x):
        """State: (input shape, padded shape, output rows and columns, windows, band, g) for the backward."""
        x4 = self._to_4d(x)
        padded, ho, wo = self._geometry(x4)
        g = self._tile(x4.shape[0] * ho, wo)
        windows = backends.active().conv_windows(pad(x4, *self.padding), *self.kernel, *self.stride, g,
                                                 ones=self.bias is not None)
        band = self._band_of(g)
        y = (windows @ band).reshape(x4.shape[0], ho, wo, self.chan_out)
        return self._from_4d(y), (x.shape, padded, ho, wo, windows, band, g)

    def _backward_params(self, state, delta) -> None:
        *_, windows, _, g = state
        grad = windows.T @ delta.reshape(windows.shape[0], g * self.chan_out)
        kernel = _tiled.unband(grad, (*self.kernel, self.chan_in, self.chan_out), g, self.stride[1])
        self.weight.accumulate(kernel.reshape(self.weight.data.shape))
        if self.bias is not None:
            self.bias.accumulate(_tiled.unband_bias(grad, g))

    def _backward_input(self, state, delta):
        x_shape, padded, ho, wo, _, band, g_forward = state
        g = self._tile(padded[0] * ho, wo, input_gradient=True)  # its own tile width: it reads no windows
        band = band if g == g_forward else self._band_of(g)
        if self.bias is not None:
            band = band[:-1]
        rows = delta.reshape(-1, g * self.chan_out) @ band.T
        dx = backends.active().conv_fold(rows, padded, *self.kernel, *self.stride, g)
        return unpad(dx, *self.padding).reshape(x_shape)

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
    out_len = (length + 2 * padding - k_size) // stride + 1. weight: (k_size, chan_in, chan_out).
    algorithm as for Conv2D (tiles run along the length)."""

    def __init__(self, k_size: int, chan_in: int, chan_out: int, stride: int = 1, padding: int = 0,
                 bias: bool = True, init: str = "xavier", algorithm: str | int = "auto") -> None:
        if isinstance(k_size, (tuple, list)):
            raise ArgumentError(f"Conv1D: k_size must be an int (one length: a 1-D kernel), got {k_size!r}")
        k_size, stride = (arguments.integer(v, name, "Conv1D") for v, name in ((k_size, "k_size"), (stride, "stride")))
        padding = arguments.integer(padding, "padding", "Conv1D", minimum=0)
        super().__init__((1, k_size), chan_in, chan_out, (1, stride), (0, padding), bias, init, algorithm)

    def _weight_shape(self) -> tuple:
        return (self.kernel[1], self.chan_in, self.chan_out)

    def _spec(self) -> InputSpec:
        return InputSpec(("batch", "length", self.chan_in), dtype_of="weight",
                         fits=(KernelFit(1, "length", self.kernel[1], self.padding[1]),))

    def _to_4d(self, x):
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
