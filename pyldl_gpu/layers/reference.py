"""Textbook twins: each optimised computation of the layers, written the plain way, to be read first.

They run on the active backend like everything else (``backends.xp()``), take and return channels-last device
arrays, and are the oracle of the fast layers in the tests (tests/layers/test_reference.py compares forward,
input and weight gradients in float64 over random configurations). Nothing here is tuned: a window view and one
GEMM per convolution, one argmax per pooling window, every formula spelled out. The fast versions, and what they
change, are named in each docstring.

    conv2d, conv2d_backward              im2col + one GEMM; the input gradient by col2im     (fast: layers/conv.py)
    conv1d, conv1d_backward              conv2d on a (batch, 1, length, C) view
    max_pool2d, max_pool2d_backward      windows + argmax                                    (fast: layers/pooling.py)
    avg_pool2d, avg_pool2d_backward      windows + mean
    cross_entropy, cross_entropy_backward    softmax, then -log of the target's probability (fast: losses/)
    batch_norm, batch_norm_backward      the normalisation and its chain rule, term by term (fast: normalization.py)
"""

from __future__ import annotations

from .. import backends
from ._windows import output_size


def _pad(x, ph: int, pw: int):
    xp = backends.xp()
    return xp.pad(x, ((0, 0), (ph, ph), (pw, pw), (0, 0)))


def im2col(xpad, kh: int, kw: int, sh: int, sw: int):
    """(batch, Hp, Wp, C) -> (batch * Ho * Wo, kh * kw * C): row (n, i, j) holds the window the output pixel
    (i, j) of image n reads, in (kernel row, kernel column, channel) order."""
    b, hp, wp, c = xpad.shape
    ho, wo = output_size(hp, kh, sh), output_size(wp, kw, sw)
    windows = backends.active().sliding_window_view(xpad, (kh, kw), axis=(1, 2))  # (b, Hp-kh+1, Wp-kw+1, C, kh, kw)
    windows = windows[:, ::sh, ::sw][:, :ho, :wo]  # (b, Ho, Wo, C, kh, kw)
    return windows.transpose(0, 1, 2, 4, 5, 3).reshape(b * ho * wo, kh * kw * c)


def col2im(cols, padded_shape: tuple, kh: int, kw: int, sh: int, sw: int):
    """Adjoint of im2col: (batch * Ho * Wo, kh * kw * C) -> (batch, Hp, Wp, C). Every window entry is added back
    where it was read from, one kernel tap at a time (overlapping windows add up)."""
    xp = backends.xp()
    b, hp, wp, c = padded_shape
    ho, wo = output_size(hp, kh, sh), output_size(wp, kw, sw)
    cols = cols.reshape(b, ho, wo, kh, kw, c)
    out = xp.zeros(padded_shape, dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            out[:, i:i + sh * (ho - 1) + 1:sh, j:j + sw * (wo - 1) + 1:sw, :] += cols[:, :, :, i, j, :]
    return out


def conv2d(x, weight, bias=None, stride=(1, 1), padding=(0, 0)):
    """y[n, i, j, o] = b[o] + sum_{p, q, c} x_pad[n, i * sh + p, j * sw + q, c] W[p, q, c, o].
    x (batch, H, W, C), weight (kh, kw, C, cout), bias (cout,) or None -> (batch, Ho, Wo, cout)."""
    kh, kw, c, cout = weight.shape
    xpad = _pad(x, *padding)
    b, hp, wp, _ = xpad.shape
    ho, wo = output_size(hp, kh, stride[0]), output_size(wp, kw, stride[1])
    y = im2col(xpad, kh, kw, *stride) @ weight.reshape(kh * kw * c, cout)
    if bias is not None:
        y = y + bias
    return y.reshape(b, ho, wo, cout)


def conv2d_backward(x, weight, delta, stride=(1, 1), padding=(0, 0)):
    """(dL/dx, dL/dW, dL/db) of conv2d for delta = dL/dy (batch, Ho, Wo, cout). With X = im2col(x_pad):
    y = X @ W, so dW = X.T @ delta, db = the sum of delta over batch and positions, and dL/dX = delta @ W.T,
    which col2im adds back into the padded input (the padding is then cut off)."""
    kh, kw, c, cout = weight.shape
    ph, pw = padding
    xpad = _pad(x, ph, pw)
    d2 = delta.reshape(-1, cout)
    d_weight = (im2col(xpad, kh, kw, *stride).T @ d2).reshape(weight.shape)
    d_bias = d2.sum(axis=0)
    d_pad = col2im(d2 @ weight.reshape(kh * kw * c, cout).T, xpad.shape, kh, kw, *stride)
    d_x = d_pad[:, ph:d_pad.shape[1] - ph, pw:d_pad.shape[2] - pw, :]
    return d_x, d_weight, d_bias


def conv1d(x, weight, bias=None, stride: int = 1, padding: int = 0):
    """x (batch, length, C), weight (k, C, cout) -> (batch, out_len, cout): conv2d with a kernel one row high."""
    y = conv2d(x[:, None], weight[None], bias, (1, stride), (0, padding))
    return y[:, 0]


def conv1d_backward(x, weight, delta, stride: int = 1, padding: int = 0):
    """(dL/dx, dL/dW, dL/db) of conv1d."""
    d_x, d_weight, d_bias = conv2d_backward(x[:, None], weight[None], delta[:, None], (1, stride), (0, padding))
    return d_x[:, 0], d_weight[0], d_bias


def _pool_windows(x, kernel: tuple, stride: tuple):
    """(batch, Ho, Wo, C, kw * kh): each window flattened column by column (the order ties are broken in)."""
    kh, kw = kernel
    b, h, w, c = x.shape
    ho, wo = output_size(h, kh, stride[0]), output_size(w, kw, stride[1])
    windows = backends.active().sliding_window_view(x, (kh, kw), axis=(1, 2))[:, ::stride[0], ::stride[1]]
    return windows[:, :ho, :wo].swapaxes(-1, -2).reshape(b, ho, wo, c, kw * kh)


def max_pool2d(x, kernel=(2, 2), stride=(2, 2)):
    """y[n, i, j, c] = the maximum of the (kh, kw) window at (i * sh, j * sw). x (batch, H, W, C)."""
    return _pool_windows(x, kernel, stride).max(axis=-1)


def max_pool2d_backward(x, delta, kernel=(2, 2), stride=(2, 2)):
    """dL/dx of max_pool2d: each window's delta goes to the entry that holds its maximum (on ties the first of
    them, reading the window column by column), all other entries get 0; overlapping windows add up."""
    xp = backends.xp()
    kh, kw = kernel
    ho, wo = delta.shape[1:3]
    winner = _pool_windows(x, kernel, stride).argmax(axis=-1)  # (batch, Ho, Wo, C): index j * kh + i
    dx = xp.zeros(x.shape, dtype=delta.dtype)
    for i in range(kh):
        for j in range(kw):
            rows, cols = slice(i, i + stride[0] * (ho - 1) + 1, stride[0]), slice(j, j + stride[1] * (wo - 1) + 1,
                                                                                 stride[1])
            dx[:, rows, cols, :] += delta * (winner == j * kh + i)
    return dx


def avg_pool2d(x, kernel=(2, 2), stride=(2, 2)):
    """y[n, i, j, c] = the mean of the (kh, kw) window at (i * sh, j * sw)."""
    return _pool_windows(x, kernel, stride).mean(axis=-1)


def avg_pool2d_backward(x, delta, kernel=(2, 2), stride=(2, 2)):
    """dL/dx of avg_pool2d: each window's delta / (kh * kw) to every entry of the window."""
    xp = backends.xp()
    kh, kw = kernel
    ho, wo = delta.shape[1:3]
    dx = xp.zeros(x.shape, dtype=delta.dtype)
    for i in range(kh):
        for j in range(kw):
            dx[:, i:i + stride[0] * (ho - 1) + 1:stride[0], j:j + stride[1] * (wo - 1) + 1:stride[1], :] += (
                delta / (kh * kw))
    return dx


def _softmax(z):
    xp = backends.xp()
    e = xp.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _targets(y, classes: int):
    """Integer labels (batch,) as one-hot rows; soft targets (batch, classes) as they are."""
    if y.ndim == 2:
        return y
    xp = backends.xp()
    return (y[:, None] == xp.arange(classes)[None, :]).astype(backends.floatx())


def cross_entropy(logits, y):
    """L = -(1 / n) sum_i sum_j t_ij log p_ij, p = softmax(logits) row by row, t the one-hot (or soft) targets."""
    xp = backends.xp()
    t = _targets(y, logits.shape[1])
    return -(t * xp.log(_softmax(logits))).sum() / logits.shape[0]


def cross_entropy_backward(logits, y):
    """dL/dlogits = (p * sum_j t_ij - t) / n: for one-hot targets the familiar (p - t) / n."""
    t = _targets(y, logits.shape[1])
    return (_softmax(logits) * t.sum(axis=1, keepdims=True) - t) / logits.shape[0]


def batch_norm(x, gamma=None, beta=None, eps: float = 1e-5):
    """Training-mode batch norm over every axis but the last: y = gamma * (x - mean) / sqrt(var + eps) + beta, with
    the batch's mean and biased variance per feature."""
    xp = backends.xp()
    axes = tuple(range(x.ndim - 1))
    xhat = (x - x.mean(axis=axes)) / xp.sqrt(x.var(axis=axes) + eps)
    return xhat if gamma is None else gamma * xhat + beta


def batch_norm_backward(x, delta, gamma=None, eps: float = 1e-5):
    """(dL/dx, dL/dgamma, dL/dbeta) of batch_norm, by the chain rule through mean and variance, term by term
    (m values per feature)::

        dxhat = delta * gamma
        dvar  = sum(dxhat * (x - mean)) * -1/2 * (var + eps)^(-3/2)
        dmean = -sum(dxhat) / sqrt(var + eps) + dvar * mean(-2 (x - mean))
        dx    = dxhat / sqrt(var + eps) + dvar * 2 (x - mean) / m + dmean / m"""
    xp = backends.xp()
    axes = tuple(range(x.ndim - 1))
    m = x.size // x.shape[-1]
    mean, var = x.mean(axis=axes), x.var(axis=axes)
    centred = x - mean
    xhat = centred / xp.sqrt(var + eps)
    dxhat = delta if gamma is None else delta * gamma
    dvar = (dxhat * centred).sum(axis=axes) * -0.5 * (var + eps) ** -1.5
    dmean = -dxhat.sum(axis=axes) / xp.sqrt(var + eps) + dvar * (-2.0 * centred).mean(axis=axes)
    dx = dxhat / xp.sqrt(var + eps) + dvar * 2.0 * centred / m + dmean / m
    return dx, (delta * xhat).sum(axis=axes), delta.sum(axis=axes)
