"""What fit refuses before its first update: bad targets, inputs, validation data, metrics, monitors, schedulers
and hyper-parameters; nothing in the net or the optimizer changes, no epoch is spent, no batch pays for it."""

from __future__ import annotations

import pytest

import pyldl_gpu as nn
from pyldl_gpu import backends

np = backends.host()


def blobs(rng, n=60, d=4, classes=3):
    y = rng.integers(0, classes, n)
    x = (rng.standard_normal((n, d)) + y[:, None]).astype(np.float32)
    return x, y


def small_net(d=4, classes=3):
    return nn.Sequential(nn.Linear(d, 8), nn.Tanh(), nn.Linear(8, classes))


class Untouched:
    """The weights, buffers and optimizer state of an Optim, to compare after a refused fit."""

    def __init__(self, opt):
        self.opt = opt
        self.weights = [nn.to_numpy(p.data).copy() for p in opt.net.parameters()]
        self.buffers = [nn.to_numpy(b).copy() for _, b in opt.net.named_buffers()]
        self.steps = opt.optimizer.steps

    def check(self):
        for p, w in zip(self.opt.net.parameters(), self.weights):
            np.testing.assert_array_equal(nn.to_numpy(p.data), w)
        for (_, b), saved in zip(self.opt.net.named_buffers(), self.buffers):
            np.testing.assert_array_equal(nn.to_numpy(b), saved)
        assert self.opt.optimizer.steps == self.steps
        assert self.opt.history is None or self.opt.history.epochs == 0


@pytest.mark.parametrize("bad", [3, -1], ids=["number-of-classes", "minus-one"])
@pytest.mark.parametrize("loss", [nn.CrossEntropyLoss, lambda: nn.NLLLoss()], ids=["ce", "nll"])
def test_labels_out_of_range_fail_before_the_first_update(rng, bad, loss):
    """The issue's example: label == classes raised a bare IndexError mid-epoch after earlier batches had
    updated the weights; -1 was read as the last class. The one bad label sits in the last batch."""
    x, y = blobs(rng)
    y[-1] = bad
    net = small_net() if loss is nn.CrossEntropyLoss else nn.Sequential(small_net(), nn.LogSoftmax())
    opt = nn.Optim(net, loss(), nn.SGD(net, lr=0.1))
    untouched = Untouched(opt)
    with pytest.raises(nn.ValueRangeError, match=rf"Loss\(\): label {bad} at row 59 is outside \[0, 2\] \(class "
                                                 r"indices of a 3-class prediction\)"):
        opt.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=False)
    untouched.check()


@pytest.mark.parametrize("loss, y, message", [
    (nn.CrossEntropyLoss(), [[0.5, 0.7, -0.2]], r"target -0\.2 at row 0, column 2 is outside \[0, 1\] \(class "
                                                r"probabilities"),
    (nn.BCELoss(), [[1.2, 0.0, 1.0]], r"BCELoss\(\): target 1\.2 at row 0, column 0 is outside \[0, 1\]"),
    (nn.BCEWithLogitsLoss(), [[0.0, -1.0, 1.0]], r"BCEWithLogitsLoss\(\): target -1 at row 0, column 1"),
    (nn.MSELoss(), [[0.0, float("nan"), 1.0]], r"MSELoss\(\): target nan at row 0, column 1 is outside the finite "
                                                r"values of float32"),
], ids=["negative-soft-target", "bce-target-above-one", "logits-negative-target", "nan-target"])
def test_targets_outside_the_loss_domain_fail_before_training(rng, loss, y, message):
    x = rng.standard_normal((12, 4)).astype(np.float32)
    targets = np.repeat(np.asarray(y, dtype=np.float32), 12, axis=0)
    good = np.abs(np.nan_to_num(targets[:-1])).clip(0, 1)
    targets[:-1] = good / good.sum(axis=1, keepdims=True)  # only the last row is bad (the others: distributions)
    net = nn.Sequential(nn.Linear(4, 3), nn.Sigmoid())
    opt = nn.Optim(net, loss, nn.SGD(net, lr=0.1))
    untouched = Untouched(opt)
    with pytest.raises(nn.ValueRangeError, match=message.replace("row 0", "row 11")):
        opt.fit(x, targets, epochs=1, batch_size=4, shuffle=False, verbose=False)
    untouched.check()


def test_float_labels_and_predictions_outside_the_loss_domain(rng):
    x, y = blobs(rng)
    opt = nn.Optim(small_net(), nn.CrossEntropyLoss(), 0.1)
    with pytest.raises(nn.DTypeError, match="1-d targets must be integer labels"):
        opt.fit(x, y.astype(np.float32), epochs=1, verbose=False)
    # BCELoss on a net without a sigmoid: its predictions are not probabilities (BCELoss returned -0.0 at 1.5)
    net = nn.Sequential(nn.Linear(4, 1))
    net[0].bias.data[...] = 1.5
    net[0].weight.data[...] = 0.0
    opt = nn.Optim(net, nn.BCELoss(), nn.SGD(net, lr=0.1))
    untouched = Untouched(opt)
    with pytest.raises(nn.ValueRangeError, match=r"BCELoss\(\): prediction 1\.5 at row 0, column 0 is outside "
                                                 r"\[0, 1\] \(probabilities\)"):
        opt.fit(x, (y[:, None] > 0).astype(np.float32), epochs=1, verbose=False)
    untouched.check()


def test_inputs_with_nan_or_beyond_float32_fail_before_training(rng):
    x, y = blobs(rng)
    opt = nn.Optim(small_net(), nn.CrossEntropyLoss(), 0.1)
    untouched = Untouched(opt)
    bad = x.astype(np.float64)
    bad[7, 2] = 1e39  # finite in float64, inf once moved to the float32 device
    with pytest.raises(nn.ValueRangeError, match=r"fit: input 1e\+39 at row 7, column 2 is outside the finite values"
                                                 r" of float32"):
        opt.fit(bad, y, epochs=1, verbose=False)
    bad[7, 2] = np.nan
    with pytest.raises(nn.ValueRangeError, match=r"fit: input nan at row 7, column 2"):
        opt.fit(bad, y, epochs=1, verbose=False)
    with pytest.raises(nn.ValueRangeError, match=r"fit: x\(0\): input nan"):
        opt.fit(lambda epoch: bad, y, epochs=1, verbose=False)
    untouched.check()


def test_early_stopping_monitor_no_one_records_fails_before_the_first_epoch(rng):
    """The monitor was looked up after epoch 1, once an epoch had been spent."""
    x, y = blobs(rng)
    opt = nn.Optim(small_net(), nn.CrossEntropyLoss(), 0.1)
    untouched = Untouched(opt)
    with pytest.raises(KeyError, match=r"monitors 'val_accuracy' but fit records \['loss', 'lr', 'time', "
                                       r"'val_loss'\]"):
        opt.fit(x, y, epochs=3, validation_data=(x, y), early_stopping=nn.EarlyStopping("val_accuracy"),
                verbose=False)
    with pytest.raises(KeyError, match="pass validation_data"):
        opt.fit(x, y, epochs=3, metrics=["accuracy"], early_stopping=nn.EarlyStopping("val_accuracy"), verbose=False)
    untouched.check()


@pytest.mark.parametrize("make_validation, error, message", [
    (lambda x, y: (x[:, :3], y), nn.ShapeError, r"Linear\(4, 8\): expected input \(batch, 4\), got \(\d+, 3\)"),
    (lambda x, y: (x, np.where(y == 0, 3, y)), nn.ValueRangeError, "label 3 at row"),
    (lambda x, y: (x, y[:-1]), ValueError, "validation_data: x has 60 rows but y has 59"),
    (lambda x, y: (x, np.eye(3, dtype=np.float32)[y][:, :2]), nn.ShapeError, "same shape"),
], ids=["wrong-feature-count", "label-out-of-range", "row-mismatch", "one-hot-of-two-classes"])
def test_bad_validation_data_fails_before_the_first_epoch(rng, make_validation, error, message):
    x, y = blobs(rng)
    opt = nn.Optim(small_net(), nn.CrossEntropyLoss(), 0.1)
    untouched = Untouched(opt)
    with pytest.raises(error, match=message):
        opt.fit(x, y, epochs=2, validation_data=make_validation(x, y), verbose=False)
    untouched.check()


def test_a_failing_metric_or_foreign_scheduler_fails_before_any_update(rng):
    x, y = blobs(rng)
    net = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1D(3))  # its running statistics must not move either

    def broken_metric(y_true, y_pred):
        raise RuntimeError("this metric is broken")

    opt = nn.Optim(net, nn.CrossEntropyLoss(), nn.SGD(net, lr=0.1))
    untouched = Untouched(opt)
    with pytest.raises(RuntimeError, match="this metric is broken"):
        opt.fit(x, y, epochs=2, metrics=[broken_metric], verbose=False)
    with pytest.raises(nn.ArgumentError, match="scheduler must be an LRScheduler of this Optim's optimizer"):
        opt.fit(x, y, epochs=2, scheduler=nn.StepLR(nn.SGD(small_net(), lr=0.1), 1), verbose=False)
    untouched.check()


@pytest.mark.parametrize("kwargs, message", [
    ({"batch_size": 2.5}, r"fit: batch_size must be >= 1 \(an integer\), got 2\.5"),
    ({"batch_size": True}, "batch_size must be >= 1"),
    ({"batch_size": "32"}, "batch_size must be >= 1"),
    ({"epochs": 2.0}, r"fit: epochs must be >= 1 \(an integer\), got 2\.0"),
    ({"epochs": 0}, "epochs must be >= 1"),
    ({"epochs": -1}, "epochs must be >= 1"),
    ({"verbose": 3}, "verbose must be one of"),
    ({"shuffle": "yes"}, "shuffle must be one of"),
    ({"check_finite": None}, "check_finite must be one of 'epoch', 'batch'"),
    ({"label": 7}, "label must be a string"),
])
def test_fit_refuses_bad_arguments_naming_them(rng, kwargs, message):
    x, y = blobs(rng)
    opt = nn.Optim(small_net(), nn.CrossEntropyLoss(), 0.1)
    untouched = Untouched(opt)
    with pytest.raises((ValueError, TypeError), match=message) as info:
        opt.fit(x, y, **({"verbose": False} | kwargs))
    assert isinstance(info.value, ValueError) and isinstance(info.value, TypeError)  # either except catches it
    untouched.check()


def test_targets_are_checked_once_per_fit_on_the_host_not_per_batch(rng, monkeypatch):
    from pyldl_gpu.losses import values

    x, y = blobs(rng, n=200)
    checked = []
    real = values.Range.check

    def counting(self, a, owner, what, prediction_shape=None, *options):
        checked.append((what, isinstance(a, np.ndarray), a.shape[0]))
        return real(self, a, owner, what, prediction_shape, *options)

    monkeypatch.setattr(values.Range, "check", counting)
    opt = nn.Optim(small_net(), nn.CrossEntropyLoss(), 0.1)
    opt.fit(x, y, epochs=4, batch_size=10, verbose=False)  # 80 steps
    assert checked == [("input", True, 200), ("target", True, 200)]
    checked.clear()
    xd, yd = nn.asarray(x[:10]), nn.asarray(y[:10])
    for _ in range(5):
        opt.step(xd, yd)  # a step's own batch: checked at every call where that is free (host arrays)
    on_cpu = backends.active().name == "cpu"
    assert [what for what, _, _ in checked] == ["target"] * (5 if on_cpu else 1)


def test_optim_refuses_what_is_not_a_module_loss_or_learning_rate():
    net = small_net()
    with pytest.raises(TypeError, match="net must be a Module"):
        nn.Optim(lambda x: x, nn.MSELoss())
    with pytest.raises(TypeError, match="loss must be a Loss"):
        nn.Optim(net, lambda y, yhat: 0.0)
    for lr in (float("nan"), float("inf"), -0.1, 0.0, "0.1"):
        with pytest.raises(nn.ArgumentError, match=r"SGD: lr must be positive \(a finite number > 0\)"):
            nn.Optim(net, nn.MSELoss(), lr)


def test_an_optimizer_of_another_net_is_refused_naming_both():
    """Optim(net, loss, SGD(other_net)) trained nothing, silently. A subset of the net's own parameters is fine
    (the rest stay frozen)."""
    net, other = small_net(), small_net()
    with pytest.raises(nn.ArgumentError, match=r"Optim: the optimizer SGD holds 0 of the 4 parameters of net "
                                               r"Sequential and 4 of another model"):
        nn.Optim(net, nn.CrossEntropyLoss(), nn.SGD(other, lr=0.1))
    with pytest.raises(nn.ArgumentError, match=r"holds 2 of the 4 parameters of net Sequential and 2 of another"):
        nn.Optim(net, nn.CrossEntropyLoss(), nn.Adam(net.parameters()[:2] + other.parameters()[:2], lr=0.1))
    nn.Optim(net, nn.CrossEntropyLoss(), nn.SGD(net.parameters(), lr=0.1))  # all of them, as a list: fine
    frozen_first = nn.Optim(net, nn.CrossEntropyLoss(), nn.SGD(net.parameters()[2:], lr=0.1))
    before = [p.data.copy() for p in net.parameters()]
    x = nn.asarray(np.random.default_rng(0).standard_normal((8, net[0].in_features)).astype("float32"))
    frozen_first.step(x, nn.asarray(np.arange(8) % net[2].out_features))
    after = [p.data for p in net.parameters()]
    assert all((a == b).all() for a, b in zip(after[:2], before[:2]))  # frozen
    assert not (after[2] == before[2]).all()  # trained


@pytest.mark.parametrize("returned, described", [
    (lambda y, yhat: yhat[:, 0], r"an array of shape \(\d+,\) and dtype float32"),
    (lambda y, yhat: "x", "str 'x'"),
    (lambda y, yhat: None, "NoneType None"),
])
def test_a_metric_that_does_not_return_one_number_fails_before_any_update(rng, returned, described):
    x, y = blobs(rng)
    net = small_net()
    opt = nn.Optim(net, nn.CrossEntropyLoss(), 0.1)
    untouched = Untouched(opt)
    with pytest.raises(nn.ArgumentError, match=rf"fit: metric '<lambda>' must return one number .*got {described}"):
        opt.fit(x, y, epochs=2, batch_size=10, metrics=[returned], verbose=False)
    untouched.check()
    with pytest.raises(nn.ArgumentError, match=rf"fit: validation_data: metric '<lambda>' .*got {described}"):
        opt.fit(x, y, epochs=1, metrics=[returned], validation_data=(x, y), verbose=False)
    with pytest.raises(nn.ArgumentError, match=rf"evaluate: metric '<lambda>' must return one number .*{described}"):
        nn.evaluate(net, x, y, metrics=[returned])


def test_metrics_may_be_one_name_or_none(rng):
    """metrics='accuracy' said "unknown metric 'a'"; metrics=None failed too."""
    x, y = blobs(rng)
    history = nn.Optim(small_net(), nn.CrossEntropyLoss(), 0.1).fit(x, y, epochs=1, metrics="accuracy",
                                                                    verbose=False)
    assert 0.0 <= history["accuracy"][0] <= 1.0
    history = nn.Optim(small_net(), nn.CrossEntropyLoss(), 0.1).fit(x, y, epochs=1, metrics=None, verbose=False)
    assert sorted(history.keys()) == ["loss", "lr", "time"]
    assert set(nn.evaluate(small_net(), x, y, nn.CrossEntropyLoss(), metrics="accuracy")) == {"loss", "accuracy"}
    assert set(nn.evaluate(small_net(), x, y, nn.CrossEntropyLoss(), metrics=None)) == {"loss"}
    with pytest.raises(ValueError, match="unknown metric 'acuracy'"):
        nn.evaluate(small_net(), x, y, metrics="acuracy")
    with pytest.raises(nn.ArgumentError, match="evaluate: metrics must be a metric name, a callable or a list"):
        nn.evaluate(small_net(), x, y, metrics=3)


def test_fit_checks_bce_probabilities_of_every_batch_on_the_cpu(rng):
    """BCELoss's predictions depend on the weights, so fit cannot check them up front: on the CPU every batch's
    are checked (free: host arrays). A Linear head without a Sigmoid reaches p > 1 in the second batch."""
    if backends.active().name != "cpu":
        pytest.skip("on a GPU the predictions are checked at the first batch only (a read-back)")
    net = nn.Linear(1, 1, bias=False)
    net.weight.data[...] = 0.1
    x = np.array([[1.0], [2.0], [50.0], [60.0]], dtype=np.float32)  # 0.1 * 50 = 5: not a probability
    y = np.array([[1.0], [1.0], [1.0], [0.0]], dtype=np.float32)
    opt = nn.Optim(net, nn.BCELoss(), nn.SGD(net, lr=1e-4))
    with pytest.raises(nn.ValueRangeError, match=r"BCELoss\(\): prediction 5\.\d* at row 0, column 0 is outside "
                                                 r"\[0, 1\]"):
        opt.fit(x, y, epochs=1, batch_size=2, shuffle=False, verbose=False)
