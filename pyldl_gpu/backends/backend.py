"""The backend interface: every operation a backend provides, each with its array-module default.

A backend wraps one array module (``xp``: NumPy, CuPy) on one device. ``Backend`` implements every operation
with that module alone, so a new backend subclasses it, sets ``name``, ``xp`` and ``ndarray``, and overrides only
what it does differently or faster (see ``cpu/`` and ``cuda/``), then registers itself (``registry.py``).

Fused operations (the second half) are the home of compiled kernels: one call a layer makes, which a backend may
serve with a kernel (Numba on the CPU, CUDA on the GPU) and which otherwise falls back to the array-module code in
``generic/``. That code is also each kernel's oracle in the tests. Opaque results (``winners`` of max pooling)
belong to the backend that made them: pass them back only to the same backend's backward.

Shapes are channels-last: images (batch, H, W, C). Constants are Python floats."""

from __future__ import annotations

from .generic import activations, pooling, softmax, tiles, updates


class Backend:
    """Base class and default of every backend operation. Subclasses set name, xp and ndarray."""

    name: str = "?"
    xp = None  # the array module
    ndarray: type = object  # the array type of this backend's device
    FUSED_OPERATIONS = (  # the operations a kernel may serve (the second half of this class)
        "relu", "relu_backward", "tanh", "tanh_backward", "sigmoid", "sigmoid_backward", "softmax", "softmax_backward",
        "log_softmax", "log_softmax_backward", "softmax_cross_entropy", "softmax_cross_entropy_backward",
        "max_pool2d", "max_pool2d_backward", "relu_max_pool2d", "relu_max_pool2d_backward", "avg_pool2d",
        "avg_pool2d_backward", "conv_windows", "conv_fold",
        "sgd_update", "rmsprop_update", "adam_update")

    def __init__(self, seed: int | None = None) -> None:
        self.rng = self.new_rng(seed)

    # ---------------------------------------------------------------- device
    def activate(self) -> None:
        """Make this backend's device current (called when it becomes the active backend)."""

    def synchronize(self) -> None:
        """Wait until queued device work has finished (benchmarks); arrays computed eagerly need nothing."""

    def memory_reserved(self) -> int:
        """Bytes of device memory this backend's pool holds; 0 where memory is the host's."""
        return 0

    def release_memory(self) -> None:
        """Give cached, unused device memory back to the driver; nothing to do for host memory."""

    def describe(self) -> str:
        """One line naming the device and the array library."""
        return f"{self.name} ({self.xp.__name__} {self.xp.__version__})"

    # ---------------------------------------------------------------- arrays, transfers, randomness
    def asarray(self, a, dtype=None):
        """Host or device data -> an array of this device (no copy when it already is one of that dtype)."""
        return self.xp.asarray(a, dtype=dtype)

    def to_numpy(self, a):
        """An array of this device -> a host NumPy array."""
        return self.xp.asnumpy(a)

    def new_rng(self, seed: int | None):
        """A fresh random generator of this device, seeded (None: from the operating system)."""
        return self.xp.random.default_rng(seed)

    def seed(self, seed: int) -> None:
        """Reseed this backend's own generator (dropout masks drawn outside a seeded context)."""
        self.rng = self.new_rng(seed)

    def as_strided(self, x, shape: tuple, strides: tuple, writeable: bool = False):
        """A view of x with the given shape and strides (in bytes); read-only unless asked, where the array
        library can enforce it. Write only where no two view elements share memory."""
        return self.xp.lib.stride_tricks.as_strided(x, shape=shape, strides=strides)

    def sliding_window_view(self, x, window_shape, axis=None):
        """Read-only sliding windows of x along ``axis``, appended as trailing axes (the reference twins)."""
        return self.xp.lib.stride_tricks.sliding_window_view(x, window_shape, axis=axis)

    # ---------------------------------------------------------------- small helpers
    def axpy(self, alpha: float, x, y) -> None:
        """y += alpha * x, in place."""
        y += alpha * x

    def max_last_axis(self, x):
        """x.max(axis=-1, keepdims=True)."""
        return x.max(axis=-1, keepdims=True)

    def clip_probabilities(self, p):
        """p clamped to [eps, 1 - eps] of its dtype: logs of it stay finite."""
        eps = float(self.xp.finfo(p.dtype).eps)
        return self.xp.clip(p, eps, 1.0 - eps)

    # ---------------------------------------------------------------- fused operations: activations
    def relu(self, x):
        """max(x, 0), elementwise."""
        return activations.relu(self.xp, x)

    def relu_backward(self, y, delta):
        """dL/dx of ReLU from its output y = relu(x): delta where y > 0, else 0."""
        return activations.relu_backward(self.xp, y, delta)

    def tanh(self, x):
        """tanh(x), elementwise."""
        return self.xp.tanh(x)

    def tanh_backward(self, y, delta):
        """dL/dx of tanh from its output y: delta * (1 - y^2)."""
        return activations.tanh_backward(self.xp, y, delta)

    def sigmoid(self, x):
        """1 / (1 + exp(-x)), elementwise, finite for any x."""
        return activations.sigmoid(self.xp, x)

    def sigmoid_backward(self, y, delta):
        """dL/dx of the sigmoid from its output y: delta * y * (1 - y)."""
        return activations.sigmoid_backward(self.xp, y, delta)

    # ---------------------------------------------------------------- fused operations: softmax and its loss
    def softmax(self, x):
        """Softmax along the last axis; probabilities below 6e-30 (float32) are exactly 0."""
        return softmax.softmax(self, x)

    def softmax_backward(self, s, delta):
        """dL/dx of softmax from its output s: s * (delta - sum_j delta_j s_j)."""
        return softmax.softmax_backward(self.xp, s, delta)

    def log_softmax(self, x):
        """log(softmax(x)) along the last axis, stable for any x."""
        return softmax.log_softmax(self, x)

    def log_softmax_backward(self, y, delta):
        """dL/dx of log_softmax from its output y: delta - exp(y) * sum_j delta_j."""
        return softmax.log_softmax_backward(self.xp, y, delta)

    def softmax_cross_entropy(self, logits, y):
        """(mean cross-entropy as a device scalar, log-probabilities) of logits (batch, classes) against labels
        (batch,) or soft targets (batch, classes)."""
        return softmax.softmax_cross_entropy(self, logits, y)

    def softmax_cross_entropy_backward(self, log_p, y):
        """d mean cross-entropy / d logits, (batch, classes), from the forward's log-probabilities."""
        return softmax.softmax_cross_entropy_backward(self, log_p, y)

    # ---------------------------------------------------------------- fused operations: pooling
    def max_pool2d(self, x, kernel: tuple, stride: tuple):
        """Max over (kh, kw) windows at (sh, sw) strides: x (batch, H, W, C) -> (y (batch, Ho, Wo, C), winners).
        Ties: the first column of the window holding the maximum, and within it the first row."""
        return pooling.max_pool2d(self.xp, x, kernel, stride)

    def max_pool2d_backward(self, delta, winners, kernel: tuple, stride: tuple):
        """dL/dx (batch, H, W, C) of max_pool2d: each window's delta goes to its winner."""
        return pooling.max_pool2d_backward(self.xp, delta, winners, kernel, stride)

    def relu_max_pool2d(self, x, kernel: tuple, stride: tuple, relu_first: bool):
        """A ReLU and a max pool as one operation (they commute exactly): x (batch, H, W, C) -> (y (batch, Ho, Wo,
        C), winners), y = relu(max_pool2d(x)). winners are this backend's max_pool2d winners, of the pool of relu(x)
        (relu_first: a ReLU then the pool) or of x (the pool then a ReLU), so max_pool2d_backward reads them as the
        pool's own. The default runs this backend's own relu and max_pool2d (so a pool kernel serves the pair)."""
        if relu_first:
            return self.max_pool2d(self.relu(x), kernel, stride)
        y, winners = self.max_pool2d(x, kernel, stride)
        return self.relu(y), winners

    def relu_max_pool2d_backward(self, delta, winners, kernel: tuple, stride: tuple, relu_first: bool, relu_state):
        """dL/dx (batch, H, W, C) of relu_max_pool2d, through both: each window's delta to its winner where the
        output is positive, else nothing. relu_state is what the ReLU's own backward reads: the pair's input x
        (relu_first) or its output y; the default runs this backend's relu_backward and max_pool2d_backward."""
        if relu_first:
            return self.relu_backward(relu_state, self.max_pool2d_backward(delta, winners, kernel, stride))
        return self.max_pool2d_backward(self.relu_backward(relu_state, delta), winners, kernel, stride)

    def avg_pool2d(self, x, kernel: tuple, stride: tuple):
        """Mean over (kh, kw) windows: x (batch, H, W, C) -> (batch, Ho, Wo, C)."""
        return pooling.avg_pool2d(self.xp, x, kernel, stride)

    def avg_pool2d_backward(self, delta, x_shape: tuple, kernel: tuple, stride: tuple):
        """dL/dx of avg_pool2d: each window's delta / (kh * kw) to each of its entries."""
        return pooling.avg_pool2d_backward(self.xp, delta, x_shape, kernel, stride)

    # ---------------------------------------------------------------- fused operations: tiled convolution
    def conv_tile_width(self, rows: int, wo: int, kh: int, kw: int, sw: int, c: int, cout: int,
                        input_gradient: bool = False) -> int:
        """The tile width g (a divisor of the output width wo) for a convolution's GEMMs; rows = batch * Ho. A
        layout choice, not a result: every g gives the same numbers. Default 1 (im2col: the least memory)."""
        return 1

    def conv_windows(self, xpad, kh: int, kw: int, sh: int, sw: int, g: int, ones: bool = False):
        """Tile windows of a padded input: (batch, Hp, Wp, C) -> (batch * Ho * Wo / g, kh * Wt * C [+ 1]),
        Wt = (g - 1) * sw + kw; with ``ones`` a last column of ones (the bias)."""
        return tiles.conv_windows(self, xpad, kh, kw, sh, sw, g, ones)

    def conv_fold(self, rows, padded_shape: tuple, kh: int, kw: int, sh: int, sw: int, g: int):
        """Adjoint of conv_windows (col2im): rows (batch * Ho * Wo / g, kh * Wt * C) -> (batch, Hp, Wp, C)."""
        return tiles.conv_fold(self, rows, padded_shape, kh, kw, sh, sw, g)

    # ---------------------------------------------------------------- fused operations: optimizer updates
    def sgd_update(self, data, grad, lr: float, momentum: float, nesterov: bool, weight_decay: float,
                   velocity=None, scratch=None) -> None:
        """One SGD step on data in place (velocity and scratch: state arrays shaped like data, where needed)."""
        updates.sgd_update(self, data, grad, lr, momentum, nesterov, weight_decay, velocity, scratch)

    def rmsprop_update(self, data, grad, lr: float, rho: float, eps: float, weight_decay: float, square_avg,
                       scratch) -> None:
        """One RMSProp step on data in place."""
        updates.rmsprop_update(self, data, grad, lr, rho, eps, weight_decay, square_avg, scratch)

    def adam_update(self, data, grad, lr: float, beta1: float, beta2: float, eps: float, weight_decay: float,
                    decoupled: bool, step: int, exp_avg, exp_avg_sq, scratch) -> None:
        """One Adam (AdamW when decoupled) step number ``step`` (from 1) on data in place."""
        updates.adam_update(self, data, grad, lr, beta1, beta2, eps, weight_decay, decoupled, step, exp_avg,
                            exp_avg_sq, scratch)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"
