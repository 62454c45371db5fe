"""Every hyper-parameter is refused when it is given, naming the optimizer (or schedule), the argument and the
value: a NaN learning rate used to train a net of NaN."""

from __future__ import annotations

import pytest

import pyldl_gpu as nn
from pyldl_gpu.exceptions import ArgumentError

BAD_LR = [float("nan"), float("inf"), -0.1, 0.0, "0.1", True, None]


@pytest.mark.parametrize("make", [nn.SGD, nn.RMSProp, nn.Adam, nn.AdamW], ids=lambda c: c.__name__)
@pytest.mark.parametrize("lr", BAD_LR, ids=repr)
def test_learning_rates_that_are_not_finite_positive_numbers_are_refused(make, lr):
    with pytest.raises(nn.ArgumentError, match=rf"^{make.__name__}: lr must be positive \(a finite number > 0\), got "):
        make(nn.Linear(2, 2), lr=lr)


@pytest.mark.parametrize("make, kwargs, message", [
    (nn.SGD, {"momentum": 1.0}, r"SGD: momentum must be a finite number in \[0, 1\), got 1\.0"),
    (nn.SGD, {"momentum": -0.5}, "SGD: momentum must be"),
    (nn.SGD, {"momentum": float("nan")}, "SGD: momentum must be"),
    (nn.SGD, {"weight_decay": -1e-4}, r"SGD: weight_decay must be a finite number >= 0, got -0\.0001"),
    (nn.SGD, {"momentum": 0.9, "nesterov": "yes"}, "SGD: nesterov must be one of False, True"),
    (nn.RMSProp, {"rho": 1.0}, r"RMSProp: rho must be a finite number in \[0, 1\)"),
    (nn.RMSProp, {"rho": -0.1}, "RMSProp: rho must be"),
    (nn.RMSProp, {"eps": 0.0}, r"RMSProp: eps must be positive"),
    (nn.Adam, {"betas": (0.9, 1.0)}, r"Adam: betas\[1\] must be a finite number in \[0, 1\), got 1\.0"),
    (nn.Adam, {"betas": (float("nan"), 0.99)}, r"Adam: betas\[0\] must be"),
    (nn.Adam, {"betas": (0.9,)}, r"Adam: betas must be a pair"),
    (nn.Adam, {"eps": -1e-8}, "Adam: eps must be positive"),
    (nn.AdamW, {"weight_decay": float("inf")}, "AdamW: weight_decay must be"),
])
def test_optimizer_hyper_parameters_outside_their_ranges_are_refused(make, kwargs, message):
    with pytest.raises(nn.ArgumentError, match=message):
        make(nn.Linear(2, 2), **kwargs)


@pytest.mark.parametrize("make, message", [
    (lambda opt: nn.StepLR(opt, step_size=1.5), r"StepLR: step_size must be >= 1 \(an integer\), got 1\.5"),
    (lambda opt: nn.StepLR(opt, step_size=2, gamma=float("nan")), "StepLR: gamma must be positive"),
    (lambda opt: nn.ExponentialLR(opt, gamma=0.0), "ExponentialLR: gamma must be positive"),
    (lambda opt: nn.CosineAnnealingLR(opt, T_max=10.0), "CosineAnnealingLR: T_max must be >= 1"),
    (lambda opt: nn.CosineAnnealingLR(opt, T_max=10, eta_min=-1e-3), "CosineAnnealingLR: eta_min must be"),
    (lambda opt: nn.StepLR("sgd", 1), "StepLR: expected an Optimizer, got str"),
])
def test_schedule_arguments_are_refused(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make(nn.SGD(nn.Linear(2, 2), lr=0.1))


@pytest.mark.parametrize("kwargs, message", [
    ({"patience": 2.5}, r"EarlyStopping: patience must be >= 0 \(an integer\), got 2\.5"),
    ({"patience": -1}, "patience must be >= 0"),
    ({"min_delta": float("nan")}, "EarlyStopping: min_delta must be a finite number"),
    ({"mode": "best"}, "EarlyStopping: mode must be one of 'auto', 'min', 'max'"),
    ({"restore_best_weights": "yes"}, "restore_best_weights must be one of False, True"),
    ({"monitor": ""}, "the monitored name must be a non-empty string"),
])
def test_early_stopping_arguments_are_refused(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        nn.EarlyStopping(**kwargs)


def test_betas_must_be_a_pair_and_params_an_iterable():
    net = nn.Sequential(nn.Linear(3, 2))
    for bad in (None, 0.9, {0.999, 0.9}, "ab"):
        with pytest.raises(ArgumentError, match="Adam: betas must be a pair"):
            nn.Adam(net, betas=bad)
    for bad in (None, 3):
        with pytest.raises(TypeError, match="SGD: params must be a Module or an iterable of Parameters"):
            nn.SGD(bad)


def test_lr_set_later_is_checked_and_may_reach_zero():
    net = nn.Sequential(nn.Linear(3, 2))
    sgd = nn.SGD(net, lr=0.1)
    for bad in (float("nan"), float("inf"), -0.1, "0.1", None):
        with pytest.raises(ArgumentError, match="SGD: lr must be"):
            sgd.lr = bad
    assert sgd.lr == 0.1
    sgd.lr = 0.0  # where a schedule may end
    assert sgd.lr == 0.0


def test_schedules_refuse_what_would_leave_the_finite_numbers():
    net = nn.Sequential(nn.Linear(3, 2))
    with pytest.raises(ArgumentError, match="CosineAnnealingLR: eta_min must be"):
        nn.CosineAnnealingLR(nn.SGD(net, lr=0.1), T_max=5, eta_min=1.0)
    with pytest.raises(ArgumentError, match="CosineAnnealingLR: eta_min must be"):
        nn.CosineAnnealingLR(nn.SGD(net, lr=0.1), T_max=5, eta_min=-0.01)
    sgd = nn.SGD(net, lr=0.1)
    schedule = nn.ExponentialLR(sgd, gamma=1e10)
    lrs = [schedule.step() for _ in range(30)]  # 0.1 * 1e300 is still finite
    assert lrs[-1] == pytest.approx(0.1 * 1e300)
    with pytest.raises(ArgumentError, match="ExponentialLR: the learning rate of epoch 31 is inf"):
        schedule.step()
    assert schedule.epoch == 30 and sgd.lr == lrs[-1]  # the refused epoch changed nothing
