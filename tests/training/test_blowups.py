"""Blow-ups behind a finite loss: non-finite weights, gradients and optimizer state are caught in both check
modes, what comes back is finite and is the documented snapshot, and a run that diverges gets a clear error."""

from __future__ import annotations

import re

import pytest

import pyldl_gpu as nn
from pyldl_gpu import backends

np = backends.host()


def _one_weight(value: float = 1.0) -> nn.Linear:
    net = nn.Linear(1, 1, bias=False)
    net.weight.data[...] = value
    return net


def _weights(net) -> list:
    return [nn.to_numpy(p.data).copy() for p in net.parameters()]


@pytest.mark.parametrize("check_finite", ["epoch", "batch"])
def test_overflowing_gradient_behind_a_finite_loss_restores_the_finite_start(check_finite):
    """The issue's example: loss (1.5e19)^2 is finite in float32, its gradient is not: the weight became -inf
    while fit reported it 'restored to the end of epoch 1'."""
    net = _one_weight()
    opt = nn.Optim(net, nn.MSELoss(), nn.SGD(net, lr=1.0))
    with pytest.raises(nn.NonFiniteLossError, match=r"'weight'.* epoch 1\b") as info:
        opt.fit([[1.5e19]], [[0.0]], epochs=3, batch_size=1, check_finite=check_finite, verbose=False)
    assert nn.to_numpy(net.weight.data).tolist() == [[1.0]]  # finite: the weight fit started from
    assert opt.optimizer.steps == 0
    assert "restored to the end of epoch 0" in str(info.value) or "keeps the weights it had" in str(info.value)


def test_overflowing_optimizer_state_behind_finite_weights_is_caught():
    """Adam's second moment overflows (g^2 > float32's max) while the weight stays finite and the loss too: the
    parameter silently stopped learning. The optimizer state is part of the check."""
    net = _one_weight()
    opt = nn.Optim(net, nn.MSELoss(), nn.Adam(net, lr=0.1))
    with pytest.raises(nn.NonFiniteLossError, match=r"optimizer state 'state\.0\.exp_avg_sq' became NaN or infinite "
                                                    r"during epoch 1 although every batch's loss was finite"):
        opt.fit([[1e10]], [[0.0]], epochs=3, batch_size=1, verbose=False)
    assert nn.to_numpy(net.weight.data).tolist() == [[1.0]]
    assert opt.optimizer.steps == 0 and opt.optimizer.state == [{}]  # as before fit's first step


def _geometric_run(divergence):
    """w -> -9 w each step on one sample: the loss 1e30 w^2 grows 81x per epoch and overflows at epoch 6."""
    net = _one_weight()
    opt = nn.Optim(net, nn.MSELoss(), nn.SGD(net, lr=5e-30))
    return net, opt


def test_weights_that_already_give_an_infinite_loss_are_not_restored():
    """The end of epoch 5 is finite (w = -59049) but its loss overflows at epoch 6's first batch: the weights fit
    goes back to are the last ones known to give a finite loss, the start of epoch 5."""
    net, opt = _geometric_run(None)
    with pytest.raises(nn.NonFiniteLossError, match=r"non-finite loss inf at epoch 6, batch 1 of 1.*restored to the "
                                                    r"end of epoch 4, the last good ones; the epoch's first batch "
                                                    r"already failed") as info:
        opt.fit([[1e15]], [[0.0]], epochs=10, batch_size=1, divergence=None, verbose=False)
    w = float(nn.to_numpy(net.weight.data)[0, 0])
    assert w == pytest.approx((-9.0) ** 4, rel=1e-5)
    loss = float(nn.MSELoss()(nn.asarray([[0.0]]), net(nn.asarray([[1e15]]))))
    assert np.isfinite(loss)
    assert info.value.history.epochs == 5


def test_a_diverging_run_stops_with_a_clear_error_and_the_bound_is_the_users():
    """Momentum SGD at lr 0.3 on an MLP: the loss grows without overflowing for many epochs."""
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((256, 8)) * 3).astype(np.float32)
    y = (x @ rng.standard_normal((8, 1))).astype(np.float32)

    def run(epochs, **kwargs):
        nn.manual_seed(0)
        net = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 1))
        opt = nn.Optim(net, nn.MSELoss(), nn.SGD(net, lr=0.3, momentum=0.9))
        return net, opt, opt.fit(x, y, epochs=epochs, batch_size=32, verbose=False, **kwargs)

    with pytest.raises(nn.DivergenceError, match=r"training diverged at epoch \d+: its loss .* is more than 1000 "
                                                 r"times the first epoch's") as info:
        run(40)
    assert isinstance(info.value, nn.NonFiniteLossError)  # one except clause catches every blow-up
    target = int(re.search(r"restored to the end of epoch (\d+)", str(info.value)).group(1))
    net_k, _, _ = run(target)  # the same run, stopped by hand at that epoch: the documented snapshot
    restored = _weights_of_error_run(x, y)
    for a, b in zip(restored, _weights(net_k)):
        np.testing.assert_array_equal(a, b)
    _, _, history = run(40, divergence=None)  # the user's bound: none
    assert history.epochs == 40 and history["loss"][-1] > 1e6 * history["loss"][0]
    with pytest.raises(nn.DivergenceError):
        run(40, divergence=10.0)


def _weights_of_error_run(x, y):
    nn.manual_seed(0)
    net = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 1))
    opt = nn.Optim(net, nn.MSELoss(), nn.SGD(net, lr=0.3, momentum=0.9))
    with pytest.raises(nn.DivergenceError):
        opt.fit(x, y, epochs=40, batch_size=32, verbose=False)
    return _weights(net)


def test_nan_in_a_gradient_alone_stops_batch_mode_before_the_update(rng):
    """A module whose backward (not its forward) produces NaN: the loss is finite, the gradient is not."""

    class NanBackward(nn.Module):
        def forward(self, x):
            return x

        def backward_delta(self, x, delta):
            return delta * float("nan")

    net = nn.Sequential(nn.Linear(3, 2), NanBackward())
    before = _weights(net)
    opt = nn.Optim(net, nn.MSELoss(), nn.SGD(net, lr=0.1))
    x, y = rng.standard_normal((8, 3)).astype(np.float32), rng.standard_normal((8, 2)).astype(np.float32)
    with pytest.raises(nn.NonFiniteLossError, match=r"non-finite gradient of '0\.weight' at epoch 1, batch 1 of 2 "
                                                    r"\(its loss was .*\); training stopped before that update"):
        opt.fit(x, y, epochs=2, batch_size=4, check_finite="batch", verbose=False)
    for a, b in zip(before, _weights(net)):
        np.testing.assert_array_equal(a, b)
    # epoch mode, one batch per epoch: every loss is finite; the epoch's read-back carries the weights' flag
    with pytest.raises(nn.NonFiniteLossError, match=r"parameter '0\.weight' became NaN or infinite during epoch 1 "
                                                    r"although every batch's loss was finite"):
        opt.fit(x, y, epochs=2, batch_size=8, verbose=False)
    for a, b in zip(before, _weights(net)):
        np.testing.assert_array_equal(a, b)


def test_batch_mode_puts_back_the_buffers_a_bad_batch_changed(rng):
    """BatchNorm's running statistics move in the forward of the batch that then fails: they come back too."""
    net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1D(4), nn.Linear(4, 2))
    opt = nn.Optim(net, nn.MSELoss(), nn.SGD(net, lr=1.0))
    x = rng.standard_normal((8, 3)).astype(np.float32)
    y = np.full((8, 2), 1e19, dtype=np.float32)  # finite targets whose squared error overflows
    before = [nn.to_numpy(a).copy() for _, a in net.named_buffers()]
    with pytest.raises(nn.NonFiniteLossError, match="non-finite loss inf at epoch 1, batch 1"):
        opt.fit(x, y, epochs=1, batch_size=4, check_finite="batch", verbose=False)
    for (_, a), b in zip(net.named_buffers(), before):
        np.testing.assert_array_equal(nn.to_numpy(a), b)


def test_divergence_argument_is_checked():
    opt = nn.Optim(_one_weight(), nn.MSELoss(), 0.1)
    for bad in (0.5, 1.0, float("nan"), "big", -3):
        with pytest.raises(nn.ArgumentError, match="fit: divergence must be a finite number > 1"):
            opt.fit([[1.0]], [[0.0]], divergence=bad, verbose=False)


def test_a_tiny_loss_that_rises_a_little_is_not_divergence():
    """First epoch 3.4e-9, then 3e-4 (noisy inputs): 1e5 times the first epoch but far below the floor of 1.0 that
    the bound multiplies; it stopped with DivergenceError and restored the start."""
    x = np.linspace(-1, 1, 64, dtype=np.float32)[:, None]
    net = _one_weight(2.0 + 1e-4)
    opt = nn.Optim(net, nn.MSELoss(), nn.SGD(net, lr=0.5))

    def inputs(epoch):
        noise = np.random.default_rng(epoch).standard_normal(x.shape).astype(np.float32)
        return x if epoch == 0 else x + np.float32(0.01) * noise

    history = opt.fit(inputs, 2 * x, epochs=3, batch_size=64, verbose=False)
    assert history.epochs == 3 and history["loss"][0] < 1e-8 < 1e-4 < history["loss"][1] < 1e-3


def test_the_floor_still_bounds_a_small_loss_that_explodes():
    """First loss below the floor: the bound is divergence x 1.0, and the message says so."""
    net = _one_weight(1e-3)
    opt = nn.Optim(net, nn.MSELoss(), nn.SGD(net, lr=0.1))
    inputs = lambda epoch: np.array([[1.0 if epoch == 0 else 1e3]], np.float32)  # noqa: E731
    with pytest.raises(nn.DivergenceError, match=r"more than 10 times the first epoch's \(1e-06, counted as the "
                                                 r"floor 1\)"):
        opt.fit(inputs, [[0.0]], epochs=3, batch_size=1, divergence=10.0, verbose=False)


def test_a_stop_restores_the_learning_rate_and_the_schedule_with_the_weights():
    """The weights went back to the end of epoch 2 but sgd.lr stayed at the failing epoch's and the scheduler
    stayed advanced: the next fit would have resumed with another schedule than the weights'."""
    net = _one_weight()
    sgd = nn.SGD(net, lr=0.1)
    schedule = nn.ExponentialLR(sgd, gamma=2.0)
    opt = nn.Optim(net, nn.MSELoss(), sgd)
    inputs = lambda epoch: np.array([[1.0 if epoch < 3 else 1e30]], np.float32)  # noqa: E731
    with pytest.raises(nn.NonFiniteLossError, match="restored to the end of epoch 2") as info:
        opt.fit(inputs, [[0.0]], epochs=5, batch_size=1, divergence=None, scheduler=schedule, verbose=False)
    assert info.value.history["lr"] == [0.1, 0.2, 0.4]
    assert sgd.lr == 0.4 and schedule.epoch == 2  # as epoch 3 (index 2) started
    assert sgd.steps == 2


def test_a_net_that_is_already_non_finite_is_refused_before_training():
    net = _one_weight(float("nan"))
    opt = nn.Optim(net, nn.MSELoss(), nn.SGD(net, lr=0.1, momentum=0.9))
    with pytest.raises(nn.NonFiniteLossError, match=r"fit: parameter 'weight' is NaN or infinite before training "
                                                    r"started.*nothing was trained"):
        opt.fit(np.ones((4, 1), np.float32), np.ones((4, 1), np.float32), epochs=2, batch_size=2, verbose=False)
    assert opt.history is None and opt.optimizer.steps == 0
    bn = nn.Sequential(nn.BatchNorm1D(1), nn.Linear(1, 1))
    dict(bn.named_buffers())["0.running_var"][...] = float("inf")
    with pytest.raises(nn.NonFiniteLossError, match=r"buffer '0.running_var' is NaN or infinite before training"):
        nn.Optim(bn, nn.MSELoss(), 0.1).fit(np.ones((4, 1), np.float32), np.ones((4, 1), np.float32), verbose=False)
