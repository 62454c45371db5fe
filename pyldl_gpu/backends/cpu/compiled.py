"""The CPU backend's fused operations served by the compiled kernels (kernels/), or by the array code of
``Backend`` (backends/generic/) when PYLDL_KERNELS=reference or Numba is missing.

Each override checks what its kernel takes, C-contiguous float32 or float64 NumPy arrays, allocates the outputs,
picks the thread count and calls the kernel; anything else (another dtype, a strided view, soft targets) goes to the
array code, which is the kernels' oracle in tests/backends/test_fused_ops.py. Operations NumPy already does in one
vectorised pass (tanh, the sigmoid, softmax) are not overridden.

Max pooling's winners, here: (the input's shape, int8 offsets of each window's winner; see kernels/pooling.py),
readable only by this backend's backward passes."""

from __future__ import annotations

import math

import numpy

from ..backend import Backend
from . import kernels

FLOATS = (numpy.dtype(numpy.float32), numpy.dtype(numpy.float64))


def _fits(*arrays) -> bool:
    """Whether the kernels take these arrays: C-contiguous NumPy arrays of one float dtype."""
    dtype = arrays[0].dtype
    if dtype not in FLOATS:
        return False
    for a in arrays:  # a loop, not all(...): this runs at every fused call, and a generator costs microseconds
        if type(a) is not numpy.ndarray or a.dtype != dtype or not a.flags.c_contiguous:
            return False
    return True


def _two_wide(kernel: tuple, stride: tuple) -> bool:
    """Whether a pool is 2x2 or 1-D by 2 with the stride equal to the window (kernels/pooling.py's fast pair)."""
    return kernel == stride and kernel[1] == 2 and kernel[0] in (1, 2)


def _offset_dtype(kernel: tuple):
    """The smallest integer type for window offsets -1 - k .. k, k < kh * kw."""
    return numpy.int8 if kernel[0] * kernel[1] <= 127 else numpy.int32


class CompiledOps(Backend):
    """Backend operations served by Numba kernels when they are on (``self.compiled``)."""

    def __init__(self, seed: int | None = None) -> None:
        super().__init__(seed)
        self.kernel_choice, self.kernel_reason = kernels.choice()
        self.compiled = self.kernel_choice == "numba"

    def _launch(self, fn, work: int, *args):
        """Run parallel kernel fn over ``work`` elements on the threads kernels.threads_for allows."""
        k = kernels.load()
        k.jit.use_threads(kernels.threads_for(work))
        if k.lock is None:
            return fn(*args)
        with k.lock:
            return fn(*args)

    @staticmethod
    def _run_serial(fn, *args):
        """Run a one-thread kernel (kernels._jit.serial_kernel): no thread count to set, no pool to lock."""
        return fn(*args)

    # ---------------------------------------------------------------- activations
    def relu(self, x):
        if not (self.compiled and x.size >= kernels.ELEMENTWISE_WORK and _fits(x)):
            return super().relu(x)
        out = numpy.empty_like(x)
        self._launch(kernels.load().activations.relu, x.size, x.reshape(-1), x.dtype.type(0), out.reshape(-1))
        return out

    def relu_backward(self, y, delta):
        return self._elementwise_backward("relu_backward", y, delta, 0)

    def tanh_backward(self, y, delta):
        return self._elementwise_backward("tanh_backward", y, delta, 1)

    def sigmoid_backward(self, y, delta):
        return self._elementwise_backward("sigmoid_backward", y, delta, 1)

    def _elementwise_backward(self, name: str, y, delta, constant: int):
        if not (self.compiled and y.size >= kernels.ELEMENTWISE_WORK and _fits(y, delta) and y.shape == delta.shape):
            return getattr(super(), name)(y, delta)
        out = numpy.empty_like(delta)
        self._launch(getattr(kernels.load().activations, name), y.size, y.reshape(-1), delta.reshape(-1),
                     y.dtype.type(constant), out.reshape(-1))
        return out

    # ---------------------------------------------------------------- softmax cross-entropy (integer labels)
    def softmax_cross_entropy(self, logits, y):
        if not (self.compiled and y.ndim == 1 and y.dtype.kind in "iu" and _fits(logits)
                and y.flags.c_contiguous and logits.ndim == 2):
            return super().softmax_cross_entropy(logits, y)
        t = logits.dtype.type
        log_p = numpy.empty_like(logits)
        loss = numpy.empty(1, dtype=logits.dtype)
        bad = self._run_serial(kernels.load().softmax.softmax_cross_entropy, logits, y, t(_floor(t)),
                               t(1.0 / logits.shape[0]), log_p, loss)
        if bad:
            raise IndexError(f"{bad} label(s) out of range for {logits.shape[1]} classes (labels are 0 .. "
                             f"{logits.shape[1] - 1})")
        return loss[0], log_p

    def softmax_cross_entropy_backward(self, log_p, y):
        if not (self.compiled and y.ndim == 1 and y.dtype.kind in "iu" and _fits(log_p) and y.flags.c_contiguous):
            return super().softmax_cross_entropy_backward(log_p, y)
        t = log_p.dtype.type
        grad = numpy.empty_like(log_p)
        self._run_serial(kernels.load().softmax.softmax_cross_entropy_backward, log_p, y, t(_floor(t)),
                         t(1.0 / log_p.shape[0]), t(1), grad)
        return grad

    # ---------------------------------------------------------------- pooling
    def max_pool2d(self, x, kernel, stride):
        if not (self.compiled and _fits(x)):
            return super().max_pool2d(x, kernel, stride)
        return self._max_pool(x, kernel, stride, False, False)

    def relu_max_pool2d(self, x, kernel, stride, relu_first):
        if not (self.compiled and _fits(x)):
            return super().relu_max_pool2d(x, kernel, stride, relu_first)
        return self._max_pool(x, kernel, stride, relu_first, True)

    def _max_pool(self, x, kernel, stride, relu_first: bool, relu_after: bool):
        b, h, w, c = x.shape
        ho, wo = (h - kernel[0]) // stride[0] + 1, (w - kernel[1]) // stride[1] + 1
        y = numpy.empty((b, ho, wo, c), dtype=x.dtype)
        offsets = numpy.empty(y.shape, dtype=_offset_dtype(kernel))
        pooling, zero = kernels.load().pooling, x.dtype.type(0)
        if _two_wide(kernel, stride):
            self._launch(pooling.max_pool_2wide, x.size, x, kernel[0], relu_first, relu_after, zero, y, offsets)
        else:
            self._launch(pooling.max_pool2d, x.size, x, *kernel, *stride, relu_first, relu_after, zero, y, offsets)
        return y, (x.shape, offsets)

    def max_pool2d_backward(self, delta, winners, kernel, stride):
        return self._max_pool_backward(delta, winners, kernel, stride, False)

    def relu_max_pool2d_backward(self, delta, winners, kernel, stride, relu_first, relu_state):
        if not self._own(winners):  # the array code's winners: the array code's pair
            return Backend.relu_max_pool2d_backward(self, delta, winners, kernel, stride, relu_first, relu_state)
        return self._max_pool_backward(delta, winners, kernel, stride, True)  # the winners carry the ReLU's mask

    def _own(self, winners) -> bool:
        """Whether max-pool winners are this backend's kernels' (shape, offsets), not the array code's."""
        return self.compiled and isinstance(winners[1], numpy.ndarray)

    def _max_pool_backward(self, delta, winners, kernel, stride, masked: bool):
        if not masked and not self._own(winners):
            return Backend.max_pool2d_backward(self, delta, winners, kernel, stride)
        x_shape, offsets = winners
        delta = numpy.ascontiguousarray(delta)
        dx = numpy.empty(x_shape, dtype=delta.dtype)
        pooling = kernels.load().pooling
        if _two_wide(kernel, stride):
            self._launch(pooling.max_pool_2wide_backward, dx.size, delta, offsets, kernel[0], masked,
                         delta.dtype.type(0), dx)
        else:
            self._launch(pooling.max_pool2d_backward, dx.size, delta, offsets, kernel[0], *stride, masked, dx)
        return dx

    def avg_pool2d(self, x, kernel, stride):
        if not (self.compiled and _fits(x)):
            return super().avg_pool2d(x, kernel, stride)
        b, h, w, c = x.shape
        y = numpy.empty((b, (h - kernel[0]) // stride[0] + 1, (w - kernel[1]) // stride[1] + 1, c), dtype=x.dtype)
        t = x.dtype.type
        self._launch(kernels.load().pooling.avg_pool2d, x.size, x, *kernel, *stride, t(1.0 / kernel[0]),
                     t(1.0 / kernel[1]), y)
        return y

    def avg_pool2d_backward(self, delta, x_shape, kernel, stride):
        if not (self.compiled and _fits(delta)):
            return super().avg_pool2d_backward(delta, x_shape, kernel, stride)
        dx = numpy.empty(x_shape, dtype=delta.dtype)
        t = delta.dtype.type
        self._launch(kernels.load().pooling.avg_pool2d_backward, dx.size, delta, *kernel, *stride,
                     t(1.0 / kernel[0]), t(1.0 / kernel[1]), dx)
        return dx

    # ---------------------------------------------------------------- tiled convolution
    def conv_windows(self, xpad, kh, kw, sh, sw, g, ones=False):
        xpad = numpy.ascontiguousarray(xpad)
        if not (self.compiled and _fits(xpad)):
            return super().conv_windows(xpad, kh, kw, sh, sw, g, ones)
        b, hp, wp, c = xpad.shape
        ho, wo = (hp - kh) // sh + 1, (wp - kw) // sw + 1
        tiles, run = wo // g, ((g - 1) * sw + kw) * c
        out = numpy.empty((b * ho * tiles, kh * run + ones), dtype=xpad.dtype)
        self._launch(kernels.load().tiles.conv_windows, out.size, xpad.reshape(b, hp, wp * c), kh, sh, g * sw * c,
                     tiles, run, ones, out)
        return out

    def conv_fold(self, rows, padded_shape, kh, kw, sh, sw, g):
        if not (self.compiled and _fits(rows)):
            return super().conv_fold(rows, padded_shape, kh, kw, sh, sw, g)
        b, hp, wp, c = padded_shape
        tiles = ((wp - kw) // sw + 1) // g
        out = numpy.empty(padded_shape, dtype=rows.dtype)
        self._launch(kernels.load().tiles.conv_fold, rows.size, rows, kh, sh, g * sw * c, tiles,
                     ((g - 1) * sw + kw) * c, out.reshape(b, hp, wp * c))
        return out

    # ---------------------------------------------------------------- optimizer updates
    def sgd_update(self, data, grad, lr, momentum, nesterov, weight_decay, velocity=None, scratch=None):
        state = (velocity,) if momentum else ()
        if not (self.compiled and _fits(data, grad, *state) and data.shape == grad.shape):
            return super().sgd_update(data, grad, lr, momentum, nesterov, weight_decay, velocity, scratch)
        t = data.dtype.type
        flat = data.reshape(-1)
        self._run_serial(kernels.load().updates.sgd, flat, grad.reshape(-1), t(lr), t(momentum),
                         bool(nesterov), t(weight_decay), velocity.reshape(-1) if momentum else flat)
        return None

    def rmsprop_update(self, data, grad, lr, rho, eps, weight_decay, square_avg, scratch):
        if not (self.compiled and _fits(data, grad, square_avg) and data.shape == grad.shape):
            return super().rmsprop_update(data, grad, lr, rho, eps, weight_decay, square_avg, scratch)
        t = data.dtype.type
        self._run_serial(kernels.load().updates.rmsprop, data.reshape(-1), grad.reshape(-1), t(lr), t(rho),
                         t(1.0 - rho), t(eps), t(weight_decay), square_avg.reshape(-1))
        return None

    def adam_update(self, data, grad, lr, beta1, beta2, eps, weight_decay, decoupled, step, exp_avg, exp_avg_sq,
                    scratch):
        if not (self.compiled and _fits(data, grad, exp_avg, exp_avg_sq) and data.shape == grad.shape):
            return super().adam_update(data, grad, lr, beta1, beta2, eps, weight_decay, decoupled, step, exp_avg,
                                       exp_avg_sq, scratch)
        t = data.dtype.type
        shrink = 1.0 - lr * weight_decay if weight_decay and decoupled else 1.0
        l2 = 0.0 if decoupled else weight_decay
        self._run_serial(kernels.load().updates.adam, data.reshape(-1), grad.reshape(-1),
                         t(lr / (1.0 - beta1**step)), t(beta1), t(1.0 - beta1), t(beta2), t(1.0 - beta2), t(eps), t(l2),
                         t(shrink), t(1.0 / math.sqrt(1.0 - beta2**step)), exp_avg.reshape(-1), exp_avg_sq.reshape(-1))
        return None


def _floor(t) -> float:
    """log of the dtype's smallest normal number + 20: exp of anything below is taken as 0 (generic/softmax.py)."""
    return math.log(float(numpy.finfo(t).tiny)) + 20.0
