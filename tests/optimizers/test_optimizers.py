"""Optimizer steps against values computed by hand in scalar Python, schedules, and state round trips."""

from __future__ import annotations

import math

import pytest

import pyldl_gpu as nn
from pyldl_gpu import backends
from pyldl_gpu.module import Parameter

np = backends.host()
W0 = [1.0, -2.0, 0.5]
G1 = [0.5, 0.25, -1.0]
G2 = [-0.3, 0.75, 0.1]


def run(optimizer_cls, grads, **kwargs):
    p = Parameter(nn.asarray(np.array(W0)), "w")
    opt = optimizer_cls([p], **kwargs)
    for g in grads:
        p.grad[...] = nn.asarray(np.array(g))
        opt.step()
    return nn.to_numpy(p.data).astype(float)


def test_sgd_plain():
    expected = [w - 0.1 * g1 - 0.1 * g2 for w, g1, g2 in zip(W0, G1, G2)]
    np.testing.assert_allclose(run(nn.SGD, [G1, G2], lr=0.1), expected, rtol=1e-6)


def test_sgd_momentum():
    out = []
    for w, g1, g2 in zip(W0, G1, G2):
        v = g1
        w -= 0.1 * v
        v = 0.9 * v + g2
        w -= 0.1 * v
        out.append(w)
    np.testing.assert_allclose(run(nn.SGD, [G1, G2], lr=0.1, momentum=0.9), out, rtol=1e-6)


def test_sgd_nesterov_with_weight_decay():
    out = []
    for w, g1, g2 in zip(W0, G1, G2):
        v = 0.0
        for g in (g1, g2):
            g = g + 0.01 * w
            v = 0.9 * v + g
            w -= 0.1 * (g + 0.9 * v)
        out.append(w)
    np.testing.assert_allclose(run(nn.SGD, [G1, G2], lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01), out,
                               rtol=1e-6)


def test_rmsprop():
    out = []
    for w, g1, g2 in zip(W0, G1, G2):
        s = 0.0
        for g in (g1, g2):
            s = 0.9 * s + 0.1 * g * g
            w -= 0.01 * g / (math.sqrt(s) + 1e-6)
        out.append(w)
    np.testing.assert_allclose(run(nn.RMSProp, [G1, G2], lr=0.01, rho=0.9, eps=1e-6), out, rtol=1e-6)


def _adam_by_hand(decoupled: bool, wd: float):
    out = []
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    for w, g1, g2 in zip(W0, G1, G2):
        m = v = 0.0
        for t, g in enumerate((g1, g2), start=1):
            if decoupled:
                w *= 1 - lr * wd
            else:
                g = g + wd * w
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            w -= lr * (m / (1 - b1**t)) / (math.sqrt(v / (1 - b2**t)) + eps)
        out.append(w)
    return out


def test_adam_first_step_is_lr_times_sign():
    np.testing.assert_allclose(run(nn.Adam, [G1], lr=0.01), [w - 0.01 * math.copysign(1, g) for w, g in zip(W0, G1)],
                               rtol=1e-6)


@pytest.mark.parametrize("cls, wd, decoupled", [(nn.Adam, 0.0, False), (nn.Adam, 0.1, False), (nn.AdamW, 0.1, True)])
def test_adam_and_adamw(cls, wd, decoupled):
    np.testing.assert_allclose(run(cls, [G1, G2], lr=0.01, weight_decay=wd), _adam_by_hand(decoupled, wd), rtol=1e-6)


def test_optimizers_match_pytorch(rng):
    torch = pytest.importorskip("torch")
    configs = [
        (nn.SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3), {}),
        (nn.RMSProp, torch.optim.RMSprop, dict(lr=0.01, rho=0.9, eps=1e-6), dict(alpha=0.9)),
        (nn.Adam, torch.optim.Adam, dict(lr=0.01, weight_decay=1e-2), {}),
        (nn.AdamW, torch.optim.AdamW, dict(lr=0.01, weight_decay=0.1), {}),
    ]
    w0 = rng.standard_normal((4, 3)).astype(np.float32)
    grads = rng.standard_normal((6, 4, 3)).astype(np.float32)
    for ours_cls, torch_cls, kwargs, rename in configs:
        p = Parameter(nn.asarray(w0.copy()), "w")
        ours = ours_cls([p], **kwargs)
        t = torch.tensor(w0.copy(), requires_grad=True)
        torch_kwargs = {k: v for k, v in kwargs.items() if k != "rho"} | rename
        theirs = torch_cls([t], **torch_kwargs)
        for g in grads:
            p.grad[...] = nn.asarray(g)
            ours.step()
            t.grad = torch.tensor(g)
            theirs.step()
        np.testing.assert_allclose(nn.to_numpy(p.data), t.detach().numpy(), rtol=1e-5, atol=1e-6,
                                   err_msg=ours_cls.__name__)


def test_updates_are_in_place_and_state_lives_on_param_device():
    p = Parameter(nn.asarray(np.array(W0)), "w")
    data = p.data
    opt = nn.Adam([p], lr=0.1)
    p.grad[...] = nn.asarray(np.array(G1))
    opt.step()
    assert p.data is data
    assert all(type(v) is type(data) and v.dtype == data.dtype for v in opt.state[0].values())


def test_optimizer_argument_errors():
    with pytest.raises(ValueError, match="lr must be positive"):
        nn.SGD(nn.Linear(2, 2), lr=0)
    with pytest.raises(ValueError, match="nesterov momentum needs momentum > 0"):
        nn.SGD(nn.Linear(2, 2), nesterov=True)
    with pytest.raises(ValueError, match="no parameters"):
        nn.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="take a Module or Parameters"):
        nn.SGD([1.0], lr=0.1)
    with pytest.raises(ValueError, match="betas"):
        nn.Adam(nn.Linear(2, 2), betas=(1.0, 0.9))


def test_optimizer_state_dict_round_trip():
    p = Parameter(nn.asarray(np.array(W0)), "w")
    opt = nn.Adam([p], lr=0.01)
    p.grad[...] = nn.asarray(np.array(G1))
    opt.step()
    saved = opt.state_dict()
    assert set(saved) == {"steps", "lr", "state.0.exp_avg", "state.0.exp_avg_sq"}
    q = Parameter(nn.asarray(np.array(W0)), "w")
    other = nn.Adam([q], lr=0.5)
    other.load_state_dict(saved)
    assert other.steps == 1 and other.lr == 0.01
    np.testing.assert_array_equal(nn.to_numpy(other.state[0]["exp_avg"]), nn.to_numpy(opt.state[0]["exp_avg"]))
    with pytest.raises(nn.CheckpointError, match="has shape"):
        nn.Adam([Parameter(nn.asarray(np.zeros(2)), "v")]).load_state_dict(saved)


def _lrs(scheduler, n):
    return [scheduler.step() for _ in range(n)]


def test_step_lr():
    opt = nn.SGD(nn.Linear(2, 2), lr=1.0)
    assert _lrs(nn.StepLR(opt, step_size=2, gamma=0.5), 5) == [1.0, 0.5, 0.5, 0.25, 0.25]
    assert opt.lr == 0.25


def test_exponential_lr():
    opt = nn.SGD(nn.Linear(2, 2), lr=2.0)
    np.testing.assert_allclose(_lrs(nn.ExponentialLR(opt, gamma=0.9), 3), [1.8, 1.62, 1.458])


def test_cosine_lr():
    opt = nn.SGD(nn.Linear(2, 2), lr=1.0)
    lrs = _lrs(nn.CosineAnnealingLR(opt, T_max=4, eta_min=0.1), 6)
    expected = [0.1 + 0.9 * (1 + math.cos(math.pi * t / 4)) / 2 for t in (1, 2, 3, 4, 4, 4)]
    np.testing.assert_allclose(lrs, expected)
    assert lrs[1] == pytest.approx(0.55)
