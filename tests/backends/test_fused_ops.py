"""Every fused operation of the active backend against its array-module reference (backends/generic/): the table
a compiled kernel (Numba on the CPU, CUDA on the GPU) is checked by. Each case builds inputs, runs the backend's
operation and the generic one, and compares them (backward passes through each side's own opaque results, such as
max pooling's winners): bit for bit where both do the same arithmetic in the same order, to float rounding where
they cannot (sums over overlapping windows, the C library's exp against NumPy's). Then random configurations of
every family, in float32 and float64, and the same bits on one thread as on two. Run with PYLDL_DEVICE=cuda for
the GPU's kernels, with PYLDL_KERNELS=reference for the CPU's array code (then both sides are that code)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

import pyldl_gpu as nn
from pyldl_gpu import backends
from pyldl_gpu.backends.generic import activations, pooling, softmax, tiles, updates

np = backends.host()
ROUNDING = {"float32": 1e-6, "float64": 1e-13}  # relative: float rounding of a few operations


@dataclass(frozen=True)
class OpCase:
    covers: tuple  # the backend operations the case runs
    run: object  # (backend, inputs) -> arrays, by the backend's operation
    reference: object  # (backend, inputs) -> arrays, by the generic code
    inputs: object  # rng -> tuple of host arrays
    rtol: float = 0.0  # 0: the same arithmetic, so the same bits
    atol: float = 0.0  # where values near 0 carry the rounding of larger ones (log-probabilities near 0)


def _images(shape, dtype=np.float32):
    return lambda rng: (rng.standard_normal(shape).astype(dtype),)


def _ties(shape, dtype=np.float32):
    """Small integers: windows tie (and hold no positive value), so the winner rule is checked too."""
    return lambda rng: (rng.integers(-2, 3, shape).astype(dtype),)


def _pool_pair(kind, kernel, stride, shape, dtype=np.float32, relu_first=None):
    """Forward and backward of a pool (kind 'max', 'avg' or 'relu_max' with relu_first) with delta = y / 2 + 1."""
    overlap = stride[0] < kernel[0] or stride[1] < kernel[1]

    def run(b, x):
        if kind == "avg":
            y = b.avg_pool2d(x, kernel, stride)
            return y, b.avg_pool2d_backward(y * 0.5 + 1.0, x.shape, kernel, stride)
        if kind == "max":
            y, winners = b.max_pool2d(x, kernel, stride)
            return y, b.max_pool2d_backward(y * 0.5 + 1.0, winners, kernel, stride)
        y, winners = b.relu_max_pool2d(x, kernel, stride, relu_first)
        delta = y * 0.5 + 1.0  # the fused backward, and the pool's own backward from the same winners
        return (y, b.relu_max_pool2d_backward(delta, winners, kernel, stride, relu_first, x if relu_first else y),
                b.max_pool2d_backward(delta, winners, kernel, stride))

    def reference(b, x):
        if kind == "avg":
            y = pooling.avg_pool2d(b.xp, x, kernel, stride)
            return y, pooling.avg_pool2d_backward(b.xp, y * 0.5 + 1.0, x.shape, kernel, stride)
        if kind == "max":
            y, winners = pooling.max_pool2d(b.xp, x, kernel, stride)
            return y, pooling.max_pool2d_backward(b.xp, y * 0.5 + 1.0, winners, kernel, stride)
        y, winners = pooling.relu_max_pool2d(b.xp, x, kernel, stride, relu_first)
        delta = y * 0.5 + 1.0
        return (y, pooling.relu_max_pool2d_backward(b.xp, delta, winners, kernel, stride),
                pooling.max_pool2d_backward(b.xp, delta, winners, kernel, stride))

    covers = {"avg": ("avg_pool2d", "avg_pool2d_backward"), "max": ("max_pool2d", "max_pool2d_backward"),
              "relu_max": ("relu_max_pool2d", "relu_max_pool2d_backward", "max_pool2d_backward")}[kind]
    # avg pooling's overlapping windows add in another order; max pooling's deltas (halves of small integers) add
    # exactly in any order
    rtol = ROUNDING[np.dtype(dtype).name] if overlap and kind == "avg" else 0.0
    return OpCase(covers, run, reference, _ties(shape, dtype), rtol)


def _activation_pair(name, forward, backward, dtype=np.float32):
    """The backend's ``name`` and ``name_backward`` (with the input itself as delta) against the generic pair."""
    def run(b, x):
        y = getattr(b, name)(x)
        return y, getattr(b, f"{name}_backward")(y, x)

    def reference(b, x):
        y = forward(b, x)
        return y, backward(b.xp, y, x)

    same = name in ("relu", "tanh", "sigmoid")  # softmaxes: a sum over a row, in another order
    return OpCase((name, f"{name}_backward"), run, reference, _images((9, 10), dtype),
                  0.0 if same else ROUNDING[np.dtype(dtype).name])


def _update(name, kwargs, shape=(37, 11), dtype=np.float32):
    """One update on copies of (data, grad, state...); state arrays that must be >= 0 get absolute values."""
    def inputs(rng):
        return tuple(rng.standard_normal(shape).astype(dtype) for _ in range(5))

    def apply(fn, data, grad, first, second, scratch):
        data, first, second, scratch = data.copy(), first.copy(), abs(second), scratch.copy()
        if name == "sgd":
            fn(data, grad, velocity=first, scratch=scratch, **kwargs)
            return data, first
        if name == "rmsprop":
            fn(data, grad, square_avg=second, scratch=scratch, **kwargs)
            return data, second
        fn(data, grad, exp_avg=first, exp_avg_sq=second, scratch=scratch, **kwargs)
        return data, first, second

    def run(b, *arrays):
        return apply(getattr(b, f"{name}_update"), *arrays)

    def reference(b, *arrays):
        return apply(lambda *a, **k: getattr(updates, f"{name}_update")(b, *a, **k), *arrays)

    return OpCase((f"{name}_update",), run, reference, inputs)


def _cross_entropy(batch, classes, dtype=np.float32, soft=False, scale=1.0):
    def inputs(rng):
        logits = (rng.standard_normal((batch, classes)) * scale).astype(dtype)
        if soft:
            p = rng.uniform(0.1, 1.0, (batch, classes))
            return logits, (p / p.sum(axis=1, keepdims=True)).astype(dtype)
        return logits, rng.integers(0, classes, batch)

    def run(b, z, y):
        loss, log_p = b.softmax_cross_entropy(z, y)
        return loss, log_p, b.softmax_cross_entropy_backward(log_p, y)

    def reference(b, z, y):
        loss, log_p = softmax.softmax_cross_entropy(b, z, y)
        return loss, log_p, softmax.softmax_cross_entropy_backward(b, log_p, y)

    # a log-probability near 0 is x - max - log(sum): the log of a sum near 1, rounded to that sum's last place
    return OpCase(("softmax_cross_entropy", "softmax_cross_entropy_backward"), run, reference, inputs,
                  ROUNDING[np.dtype(dtype).name], atol=2.0 * float(np.finfo(dtype).eps))


def _tiles(shape, kh, kw, sh, sw, g, ones, dtype=np.float32):
    """conv_windows, and conv_fold of rows shaped like those windows (without the ones column)."""
    b, hp, wp, c = shape
    ho, wo = (hp - kh) // sh + 1, (wp - kw) // sw + 1
    rows = (b * ho * (wo // g), kh * ((g - 1) * sw + kw) * c)
    overlap = sh < kh or g * sw < (g - 1) * sw + kw

    def inputs(rng):
        return rng.standard_normal(shape).astype(dtype), rng.standard_normal(rows).astype(dtype)

    def run(be, x, r):
        return be.conv_windows(x, kh, kw, sh, sw, g, ones), be.conv_fold(r, shape, kh, kw, sh, sw, g)

    def reference(be, x, r):
        return tiles.conv_windows(be, x, kh, kw, sh, sw, g, ones), tiles.conv_fold(be, r, shape, kh, kw, sh, sw, g)

    return OpCase(("conv_windows", "conv_fold"), run, reference, inputs,
                  ROUNDING[np.dtype(dtype).name] if overlap else 0.0)


OPS = {
    "relu": OpCase(("relu",), lambda b, x: b.relu(x), lambda b, x: activations.relu(b.xp, x), _images((5, 7, 9, 3))),
    "relu_backward": OpCase(("relu_backward",), lambda b, y, d: b.relu_backward(y, d),
                            lambda b, y, d: activations.relu_backward(b.xp, y, d),
                            lambda rng: tuple(rng.standard_normal((5, 7, 9, 3)).astype(np.float32) for _ in "yd")),
    "tanh_pair": _activation_pair("tanh", lambda b, x: b.xp.tanh(x), activations.tanh_backward),
    "sigmoid_pair": _activation_pair("sigmoid", lambda b, x: activations.sigmoid(b.xp, x),
                                     activations.sigmoid_backward),
    "softmax_pair": _activation_pair("softmax", softmax.softmax, softmax.softmax_backward),
    "log_softmax_pair": _activation_pair("log_softmax", softmax.log_softmax, softmax.log_softmax_backward),
    "softmax_cross_entropy_labels": _cross_entropy(33, 10),
    "softmax_cross_entropy_soft": _cross_entropy(7, 5, soft=True),
    "softmax_cross_entropy_confident": _cross_entropy(9, 6, scale=60.0),  # exp below the denormal floor: exact 0
    "max_pool2d_2x2": _pool_pair("max", (2, 2), (2, 2), (3, 8, 9, 5)),
    "max_pool2d_overlap": _pool_pair("max", (3, 3), (2, 2), (2, 9, 7, 3)),
    "max_pool1d": _pool_pair("max", (1, 2), (1, 2), (4, 1, 13, 6)),
    "relu_max_pool2d_relu_first": _pool_pair("relu_max", (2, 2), (2, 2), (3, 9, 8, 5), relu_first=True),
    "relu_max_pool2d_pool_first_overlap": _pool_pair("relu_max", (3, 2), (2, 1), (2, 9, 7, 3), relu_first=False),
    "avg_pool2d": _pool_pair("avg", (2, 3), (2, 1), (2, 7, 8, 3)),
    "avg_pool2d_disjoint": _pool_pair("avg", (2, 2), (2, 3), (2, 7, 8, 3)),
    "tiles_overlapping": _tiles((2, 7, 13, 3), 3, 2, 1, 2, 3, True),
    "tiles_im2col_disjoint": _tiles((3, 6, 8, 2), 2, 2, 2, 2, 1, False),
    "sgd_update": _update("sgd", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3)),
    "rmsprop_update": _update("rmsprop", dict(lr=0.01, rho=0.9, eps=1e-8, weight_decay=1e-3)),
    "adam_update": _update("adam", dict(lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01,
                                        decoupled=True, step=3)),
}


def _random_case(family: str, seed: int, dtype) -> OpCase:
    """A random configuration of one family: sizes, windows, strides, tiles, flags, hyper-parameters."""
    r = np.random.default_rng(1000 + seed)
    if family in ("max", "avg", "relu_max"):
        kernel = (int(r.integers(1, 4)), int(r.integers(1, 4)))
        stride = (int(r.integers(1, 4)), int(r.integers(1, 4)))
        shape = (int(r.integers(1, 4)), kernel[0] + int(r.integers(0, 6)), kernel[1] + int(r.integers(0, 6)),
                 int(r.integers(1, 6)))
        return _pool_pair(family, kernel, stride, shape, dtype, relu_first=bool(r.integers(0, 2)))
    if family == "tiles":
        kh, kw, sh, sw = (int(v) for v in r.integers(1, 4, 4))
        wo = int(r.integers(1, 7))
        g = int(r.choice([d for d in range(1, wo + 1) if wo % d == 0]))
        shape = (int(r.integers(1, 4)), kh + sh * int(r.integers(0, 4)), kw + sw * (wo - 1), int(r.integers(1, 5)))
        return _tiles(shape, kh, kw, sh, sw, g, bool(r.integers(0, 2)), dtype)
    if family == "cross_entropy":
        return _cross_entropy(int(r.integers(1, 70)), int(r.integers(2, 40)), dtype, scale=float(r.uniform(1, 30)))
    if family == "activations":
        name = str(r.choice(["relu", "tanh", "sigmoid"]))
        forward = {"relu": lambda b, x: activations.relu(b.xp, x), "tanh": lambda b, x: b.xp.tanh(x),
                   "sigmoid": lambda b, x: activations.sigmoid(b.xp, x)}[name]
        case = _activation_pair(name, forward, getattr(activations, f"{name}_backward"), dtype)
        shape = tuple(int(v) for v in r.integers(1, 40, int(r.integers(1, 4))))
        return OpCase(case.covers, case.run, case.reference, _images(shape, dtype), case.rtol)
    shape = tuple(int(v) for v in r.integers(1, 300, int(r.integers(1, 3))))
    wd = float(r.choice([0.0, 0.01]))
    if family == "sgd":
        momentum = float(r.choice([0.0, 0.9]))
        kwargs = dict(lr=float(r.uniform(0.001, 0.5)), momentum=momentum, nesterov=bool(momentum and r.integers(2)),
                      weight_decay=wd)
    elif family == "rmsprop":
        kwargs = dict(lr=float(r.uniform(0.001, 0.1)), rho=float(r.uniform(0.8, 0.99)), eps=1e-8, weight_decay=wd)
    else:
        kwargs = dict(lr=float(r.uniform(0.001, 0.1)), beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=wd,
                      decoupled=bool(r.integers(2)), step=int(r.integers(1, 1000)))
    return _update(family, kwargs, shape, dtype)


FAMILIES = ("max", "avg", "relu_max", "tiles", "cross_entropy", "activations", "sgd", "rmsprop", "adam")


def _outputs(case: OpCase, backend, host, by_reference: bool = False):
    arrays = tuple(nn.asarray(a) for a in host)
    out = (case.reference if by_reference else case.run)(backend, *arrays)
    return [nn.to_numpy(a) for a in (out if isinstance(out, tuple) else (out,))]


def _compare(case: OpCase, rng) -> None:
    backend = backends.active()
    host = case.inputs(rng)
    ours, theirs = _outputs(case, backend, host), _outputs(case, backend, host, by_reference=True)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert a.dtype == b.dtype and a.shape == b.shape
        if case.rtol:
            np.testing.assert_allclose(a, b, rtol=case.rtol, atol=case.atol or case.rtol * 0.1)
        else:
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", list(OPS))
def test_backend_operation_equals_its_array_reference(name, rng):
    _compare(OPS[name], rng)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("family", FAMILIES)
def test_random_configurations_equal_the_array_reference(family, dtype):
    with backends.default_dtype(dtype):  # nn.asarray keeps float64 host data float64 only then
        for seed in range(6):
            case = _random_case(family, seed, np.dtype(dtype).type)
            _compare(case, np.random.default_rng(seed))


def test_the_table_covers_every_fused_operation():
    """A new fused operation of the interface needs a case here (and its reference in generic/)."""
    covered = {op for case in OPS.values() for op in case.covers}
    assert covered == set(backends.Backend.FUSED_OPERATIONS)
    assert all(callable(getattr(backends.Backend, op)) for op in covered)


def test_max_pool_winner_rule_on_ties():
    """Every entry of a window ties: the winner is the window's first column, and in it the first row (on the CPU
    kernels an offset k = column * kh + row, here 0); with one larger entry in the second column, that one."""
    backend = backends.active()
    x = np.zeros((1, 3, 3, 1), dtype=np.float32)
    x[0, 2, 1, 0] = 1.0  # row 2, column 1 of the 3x3 window
    for data, where in ((np.zeros_like(x), (0, 0)), (x, (2, 1))):
        _, winners = backend.max_pool2d(nn.asarray(data), (3, 3), (3, 3))
        dx = nn.to_numpy(backend.max_pool2d_backward(nn.asarray(np.ones((1, 1, 1, 1), np.float32)), winners, (3, 3),
                                                     (3, 3)))
        assert dx.sum() == 1.0 and dx[0, where[0], where[1], 0] == 1.0


def test_fused_relu_pool_backward_sends_nothing_where_the_relu_zeroed():
    backend = backends.active()
    x = nn.asarray(np.array([-3.0, -1.0, 0.0, 2.0], np.float32).reshape(1, 2, 2, 1))
    for relu_first in (True, False):
        y, winners = backend.relu_max_pool2d(x, (2, 2), (2, 2), relu_first)
        assert nn.to_numpy(y).item() == 2.0
        one = nn.asarray(np.ones((1, 1, 1, 1), np.float32))
        dx = backend.relu_max_pool2d_backward(one, winners, (2, 2), (2, 2), relu_first, x if relu_first else y)
        np.testing.assert_array_equal(nn.to_numpy(dx).ravel(), [0, 0, 0, 1])
        negative = x * 0.0 - 1.0
        y, winners = backend.relu_max_pool2d(negative, (2, 2), (2, 2), relu_first)  # all negative
        assert nn.to_numpy(y).item() == 0.0
        dx = backend.relu_max_pool2d_backward(one, winners, (2, 2), (2, 2), relu_first, negative if relu_first else y)
        assert not nn.to_numpy(dx).any()


@pytest.mark.parametrize("kernel", [(2, 2), (1, 2), (3, 2)])
def test_max_pool_keeps_a_nan_as_numpy_does(kernel):
    backend = backends.active()
    x = np.arange(2 * 6 * 4 * 3, dtype=np.float32).reshape(2, 6, 4, 3)
    x[1, 1, 2, 0] = np.nan
    for relu_first in (True, False):
        y, _ = backend.relu_max_pool2d(nn.asarray(x), kernel, kernel, relu_first)
        expected, _ = pooling.relu_max_pool2d(np, x, kernel, kernel, relu_first)
        np.testing.assert_array_equal(nn.to_numpy(y), expected)  # NaN where NumPy has one
    y, _ = backend.max_pool2d(nn.asarray(x), kernel, kernel)
    np.testing.assert_array_equal(nn.to_numpy(y), pooling.max_pool2d(np, x, kernel, kernel)[0])
