"""The fast layers against their textbook twins (layers/reference.py) over random configurations, in float64:
forward, input gradient and weight gradients. (tests/layers/test_layer_cases.py does the same on the table's
hand-picked cases.)"""

from __future__ import annotations

import pytest
from cases import CONV_TWIN, against_twin

import pyldl_gpu as nn
from pyldl_gpu import backends
from pyldl_gpu.layers import reference

np = backends.host()
TIGHT = {"rtol": 1e-11, "atol": 1e-12}


def _backward(module, x, rng):
    """(y, dx, {parameter: gradient}) of the fast module at x for a random delta, and that delta."""
    y = module(x)
    delta = nn.asarray(rng.standard_normal(tuple(y.shape)))
    module.zero_grad()
    dx = module.backward(delta)
    return y, dx, {name: p.grad for name, p in module.named_parameters()}, delta


def _close(ours, theirs, what=""):
    np.testing.assert_allclose(nn.to_numpy(ours), nn.to_numpy(theirs), **TIGHT, err_msg=what)


def _conv_config(seed: int, one_d: bool):
    rng = np.random.default_rng(seed)
    k = (1, int(rng.integers(1, 6))) if one_d else tuple(int(v) for v in rng.integers(1, 6, 2))
    stride = (1, int(rng.integers(1, 4))) if one_d else tuple(int(v) for v in rng.integers(1, 4, 2))
    padding = (0, int(rng.integers(0, 3))) if one_d else tuple(int(v) for v in rng.integers(0, 3, 2))
    h = 1 if one_d else int(rng.integers(max(k[0] - 2 * padding[0], 1), 12)) | 1
    w = int(rng.integers(max(k[1] - 2 * padding[1], 1), 14)) | 1
    return dict(rng=rng, k=k, stride=stride, padding=padding, shape=(int(rng.integers(1, 4)), h, w,
                int(rng.integers(1, 5))), cout=int(rng.integers(1, 6)), bias=bool(rng.integers(0, 2)))


@pytest.mark.parametrize("seed", range(24))
def test_convolutions_at_every_algorithm_equal_im2col_and_col2im(seed):
    """Conv2D at auto, im2col, banded and tile widths, and Conv1D (every fourth seed)."""
    one_d = seed % 4 == 3
    c = _conv_config(seed, one_d)
    rng = c["rng"]
    wo = (c["shape"][2] + 2 * c["padding"][1] - c["k"][1]) // c["stride"][1] + 1
    choices = ["auto", "im2col", "banded", *[g for g in range(2, wo) if wo % g == 0]]  # the last: a tile width
    with nn.default_dtype("float64"):
        if one_d:
            b, _, length, cin = c["shape"]
            conv = nn.Conv1D(c["k"][1], cin, c["cout"], c["stride"][1], c["padding"][1], bias=c["bias"])
            x = nn.asarray(rng.standard_normal((b, length, cin)))
        else:
            conv = nn.Conv2D(c["k"], c["shape"][3], c["cout"], c["stride"], c["padding"], bias=c["bias"],
                             algorithm=choices[seed % len(choices)])
            x = nn.asarray(rng.standard_normal(c["shape"]))
        if conv.bias is not None:
            conv.bias.data[...] = nn.asarray(rng.standard_normal(c["cout"]))
        for what, ours, theirs in against_twin(conv, x, CONV_TWIN, rng):
            _close(ours, theirs, what)


@pytest.mark.parametrize("seed", range(16))
def test_pooling_equals_windows_and_argmax(seed):
    rng = np.random.default_rng(200 + seed)
    k = tuple(int(v) for v in rng.integers(1, 4, 2))
    stride = tuple(int(v) for v in rng.integers(1, 4, 2))
    shape = (int(rng.integers(1, 4)), int(rng.integers(k[0], 10)), int(rng.integers(k[1], 10)), int(rng.integers(1, 4)))
    kind = ("max", "avg")[seed % 2]
    with nn.default_dtype("float64"):
        pool = (nn.MaxPool2D if kind == "max" else nn.AvgPool2D)(k, stride)
        x = nn.asarray(rng.integers(-3, 4, shape).astype("float64") if seed % 4 == 0 else rng.standard_normal(shape))
        y, dx, _, delta = _backward(pool, x, rng)  # seed % 4 == 0: small integers, so windows tie
        forward, backward = {"max": (reference.max_pool2d, reference.max_pool2d_backward),
                             "avg": (reference.avg_pool2d, reference.avg_pool2d_backward)}[kind]
        _close(y, forward(x, k, stride))
        _close(dx, backward(x, delta, k, stride))


@pytest.mark.parametrize("seed", range(6))
def test_batch_norm_equals_its_formula(seed):
    rng = np.random.default_rng(300 + seed)
    n = int(rng.integers(2, 7))
    shape = [(n + 2, 5), (3, n, 4), (2, 3, n, 3)][seed % 3]
    with nn.default_dtype("float64"):
        bn = (nn.BatchNorm2D if len(shape) == 4 else nn.BatchNorm1D)(shape[-1], affine=seed % 2 == 0)
        if bn.weight is not None:
            bn.weight.data[...] = nn.asarray(rng.uniform(0.5, 2.0, shape[-1]))
            bn.bias.data[...] = nn.asarray(rng.standard_normal(shape[-1]))
        x = nn.asarray(rng.standard_normal(shape) * 3 + 1)
        y, dx, grads, delta = _backward(bn, x, rng)
        gamma = None if bn.weight is None else bn.weight.data
        _close(y, reference.batch_norm(x, gamma, None if gamma is None else bn.bias.data, bn.eps))
        d_x, d_gamma, d_beta = reference.batch_norm_backward(x, delta, gamma, bn.eps)
    _close(dx, d_x)
    if gamma is not None:
        _close(grads["weight"], d_gamma)
        _close(grads["bias"], d_beta)


@pytest.mark.parametrize("seed", range(6))
def test_fused_cross_entropy_equals_softmax_then_log(seed):
    rng = np.random.default_rng(400 + seed)
    n, classes = int(rng.integers(1, 9)), int(rng.integers(2, 8))
    with nn.default_dtype("float64"):
        logits = nn.asarray(rng.standard_normal((n, classes)) * 3)
        if seed % 2:
            soft = rng.uniform(0.1, 1.0, (n, classes))
            y = nn.asarray(soft / soft.sum(axis=1, keepdims=True))
        else:
            y = nn.asarray(rng.integers(0, classes, n))
        loss = nn.CrossEntropyLoss()
        _close(loss.forward(y, logits), reference.cross_entropy(logits, y))
        _close(loss.backward(y, logits), reference.cross_entropy_backward(logits, y))
