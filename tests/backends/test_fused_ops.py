"""Every fused operation of the active backend against its array-module reference (backends/generic/): the table
a compiled kernel (Numba on the CPU, CUDA on the GPU) is checked by. Each case builds float32 inputs, runs the
backend's operation and the generic one, and compares them (backward passes through each side's own opaque
results, such as max pooling's winners). Run with PYLDL_DEVICE=cuda for the GPU's kernels."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

import pyldl_gpu as nn
from pyldl_gpu import backends
from pyldl_gpu.backends.generic import activations, pooling, softmax, tiles, updates

np = backends.host()


@dataclass(frozen=True)
class OpCase:
    covers: tuple  # the backend operations the case runs
    run: object  # (backend, inputs) -> arrays, by the backend's operation
    reference: object  # (backend, inputs) -> arrays, by the generic code
    inputs: object  # rng -> tuple of host arrays
    rtol: float = 0.0  # 0: the same arithmetic, so the same bits


def _images(shape):
    return lambda rng: (rng.standard_normal(shape).astype(np.float32),)


def _pool_pair(kind, kernel, stride, shape):
    def run(b, x):
        if kind == "max":
            y, winners = b.max_pool2d(x, kernel, stride)
            return y, b.max_pool2d_backward(y * 0.5 + 1.0, winners, kernel, stride)
        y = b.avg_pool2d(x, kernel, stride)
        return y, b.avg_pool2d_backward(y * 0.5 + 1.0, x.shape, kernel, stride)

    def reference(b, x):
        if kind == "max":
            y, winners = pooling.max_pool2d(b.xp, x, kernel, stride)
            return y, pooling.max_pool2d_backward(b.xp, y * 0.5 + 1.0, winners, kernel, stride)
        y = pooling.avg_pool2d(b.xp, x, kernel, stride)
        return y, pooling.avg_pool2d_backward(b.xp, y * 0.5 + 1.0, x.shape, kernel, stride)

    def ties(rng):  # small integers: windows tie, so the winner rule is checked too
        return (rng.integers(-2, 3, shape).astype(np.float32),)

    return OpCase((f"{kind}_pool2d", f"{kind}_pool2d_backward"), run, reference, ties)


def _activation_pair(name, forward, backward):
    """The backend's ``name`` and ``name_backward`` (with the input itself as delta) against the generic pair."""
    def run(b, x):
        return getattr(b, f"{name}_backward")(getattr(b, name)(x), x)

    def reference(b, x):
        return backward(b.xp, forward(b, x), x)

    return OpCase((name, f"{name}_backward"), run, reference, _images((9, 10)), rtol=1e-6)


def _update(name, kwargs):
    """One update on copies of (data, grad, state...); state arrays that must be >= 0 get absolute values."""
    def inputs(rng):
        return tuple(rng.standard_normal((37, 11)).astype(np.float32) for _ in range(5))

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
    "softmax_cross_entropy_labels": OpCase(
        ("softmax_cross_entropy", "softmax_cross_entropy_backward"),
        lambda b, z, y: (lambda loss, log_p: (loss, b.softmax_cross_entropy_backward(log_p, y)))(
            *b.softmax_cross_entropy(z, y)),
        lambda b, z, y: (lambda loss, log_p: (loss, softmax.softmax_cross_entropy_backward(b, log_p, y)))(
            *softmax.softmax_cross_entropy(b, z, y)),
        lambda rng: (rng.standard_normal((33, 10)).astype(np.float32), rng.integers(0, 10, 33)), rtol=1e-6),
    "max_pool2d_2x2": _pool_pair("max", (2, 2), (2, 2), (3, 8, 9, 5)),
    "max_pool2d_overlap": _pool_pair("max", (3, 3), (2, 2), (2, 9, 7, 3)),
    "max_pool1d": _pool_pair("max", (1, 2), (1, 2), (4, 1, 13, 6)),
    "avg_pool2d": _pool_pair("avg", (2, 3), (2, 1), (2, 7, 8, 3)),
    "conv_windows": OpCase(("conv_windows",), lambda b, x: b.conv_windows(x, 3, 2, 1, 2, 3, ones=True),
                           lambda b, x: tiles.conv_windows(b, x, 3, 2, 1, 2, 3, ones=True), _images((2, 7, 13, 3))),
    "conv_fold": OpCase(("conv_fold",), lambda b, r: b.conv_fold(r, (2, 7, 13, 3), 3, 2, 1, 2, 3),
                        lambda b, r: tiles.conv_fold(b, r, (2, 7, 13, 3), 3, 2, 1, 2, 3),
                        lambda rng: (rng.standard_normal((2 * 5 * 2, 3 * 6 * 3)).astype(np.float32),), rtol=1e-6),
    "sgd_update": _update("sgd", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3)),
    "rmsprop_update": _update("rmsprop", dict(lr=0.01, rho=0.9, eps=1e-8, weight_decay=1e-3)),
    "adam_update": _update("adam", dict(lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01,
                                        decoupled=True, step=3)),
}


@pytest.mark.parametrize("name", list(OPS))
def test_backend_operation_equals_its_array_reference(name, rng):
    case = OPS[name]
    backend = backends.active()
    host = case.inputs(rng)
    ours = case.run(backend, *(nn.asarray(a) for a in host))
    theirs = case.reference(backend, *(nn.asarray(a) for a in host))
    ours, theirs = (out if isinstance(out, tuple) else (out,) for out in (ours, theirs))
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        a, b = nn.to_numpy(a), nn.to_numpy(b)
        assert a.dtype == b.dtype and a.shape == b.shape
        if case.rtol:
            np.testing.assert_allclose(a, b, rtol=case.rtol, atol=1e-7)
        else:
            np.testing.assert_array_equal(a, b)


def test_the_table_covers_every_fused_operation():
    """A new fused operation of the interface needs a case here (and its reference in generic/)."""
    covered = {op for case in OPS.values() for op in case.covers}
    assert covered == set(backends.Backend.FUSED_OPERATIONS)
    assert all(callable(getattr(backends.Backend, op)) for op in covered)
