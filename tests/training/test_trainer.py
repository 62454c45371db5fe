"""Optim.step / fit, History, EarlyStopping, NaN handling, determinism, transfers, dtypes, predict/evaluate."""

from __future__ import annotations

import pytest

import pyldl_gpu as nn
from pyldl_gpu import backends
from pyldl_gpu.training import trainer as optim_module

np = backends.host()


def blobs(rng, n=200, d=4):
    x = np.concatenate([rng.normal(-1.5, 1.0, (n // 2, d)), rng.normal(1.5, 1.0, (n // 2, d))]).astype(np.float32)
    y = np.repeat([0, 1], n // 2)
    return x, y


def small_net(d=4, classes=2):
    return nn.Sequential(nn.Linear(d, 8), nn.Tanh(), nn.Linear(8, classes))


def test_step_returns_device_scalar_and_reduces_loss(rng):
    x, y = blobs(rng)
    net = small_net()
    opt = nn.Optim(net, nn.CrossEntropyLoss(), nn.SGD(net, lr=0.5))
    xd, yd = nn.asarray(x), nn.asarray(y)
    first = opt.step(xd, yd)
    for _ in range(20):
        last = opt.step(xd, yd)
    assert not isinstance(first, float) and float(last) < float(first)


def test_float_optimizer_means_plain_sgd():
    net = small_net()
    opt = nn.Optim(net, nn.MSELoss(), 0.05)
    assert isinstance(opt.optimizer, nn.SGD) and opt.optimizer.lr == 0.05


def test_fit_records_history_with_validation_and_metrics(rng):
    x, y = blobs(rng)
    net = small_net()
    history = nn.Optim(net, nn.CrossEntropyLoss(), nn.Adam(net, lr=0.05)).fit(
        x, y, epochs=5, batch_size=32, validation_data=(x[:50], y[:50]), metrics=["accuracy"], verbose=False)
    assert set(history.keys()) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr", "time"}
    assert history.epochs == 5 and history["loss"][-1] < history["loss"][0]
    assert history["accuracy"][-1] > 0.9 and history["val_accuracy"][-1] > 0.9
    epoch, best = history.best("val_loss")
    assert best == min(history["val_loss"]) and 0 <= epoch < 5
    with pytest.raises(KeyError, match="recorded"):
        history["val_f1"]


def test_epoch_loss_is_the_sample_weighted_mean(rng):
    x, y = blobs(rng, n=10)
    net = small_net()
    opt = nn.Optim(net, nn.CrossEntropyLoss(), nn.SGD(net, lr=1e-9))  # weights barely move
    before = nn.evaluate(net, x, y, nn.CrossEntropyLoss(), metrics=())["loss"]
    h = opt.fit(x, y, epochs=1, batch_size=4, shuffle=False, verbose=False)  # batches of 4, 4, 2
    assert h["loss"][0] == pytest.approx(before, rel=1e-5)


def test_fit_argument_errors(rng):
    x, y = blobs(rng)
    opt = nn.Optim(small_net(), nn.CrossEntropyLoss(), 0.1)
    with pytest.raises(ValueError, match="x has 200 rows but y has 199"):
        opt.fit(x, y[:-1], verbose=False)
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        opt.fit(x, y, batch_size=0, verbose=False)
    with pytest.raises(ValueError, match="check_finite"):
        opt.fit(x, y, check_finite="never", verbose=False)
    with pytest.raises(ValueError, match="pair"):
        opt.fit(x, y, validation_data=(x,), verbose=False)
    with pytest.raises(ValueError, match="validation_data is empty"):
        opt.fit(x, y, validation_data=(x[:0], y[:0]), verbose=False)
    with pytest.raises(ValueError, match="no samples to evaluate"):
        nn.evaluate(small_net(), x[:0], y[:0])


def test_early_stopping_stops_and_restores_best_weights(rng):
    x, y = blobs(rng)
    net = small_net()
    opt = nn.Optim(net, nn.CrossEntropyLoss(), nn.SGD(net, lr=0.5))
    # A monitor that can only get worse after epoch 0: "loss" under mode max.
    stopper = nn.EarlyStopping(monitor="loss", mode="max", patience=2)
    h = opt.fit(x, y, epochs=50, batch_size=20, early_stopping=stopper, verbose=False)
    assert h.epochs == 3 and stopper.stopped_epoch == 2 and stopper.best_epoch == 0
    # The restored weights are those after epoch 0: evaluating gives back a loss near epoch 0's end.
    restored = [nn.to_numpy(p.data).copy() for p in net.parameters()]
    assert all(np.isfinite(r).all() for r in restored)
    assert stopper._best_weights is not None
    for r, b in zip(restored, stopper._best_weights):
        np.testing.assert_array_equal(r, nn.to_numpy(b))


def test_early_stopping_min_delta_and_patience_counting():
    stopper = nn.EarlyStopping(monitor="val_loss", patience=1, min_delta=0.1, restore_best_weights=False)
    net = small_net()
    assert not stopper.update(0, {"val_loss": 1.0}, net)
    assert not stopper.update(1, {"val_loss": 0.85}, net)  # better by more than min_delta
    assert stopper.update(2, {"val_loss": 0.80}, net)  # not better by min_delta: patience (1) exhausted
    assert stopper.best == 0.85 and stopper.best_epoch == 1 and stopper.mode == "min"
    patient = nn.EarlyStopping(monitor="loss", patience=2, restore_best_weights=False)
    assert [patient.update(e, {"loss": v}, net) for e, v in enumerate([1.0, 1.1, 1.2])] == [False, False, True]
    assert nn.EarlyStopping(monitor="val_accuracy").mode == "max"


def test_early_stopping_on_missing_monitor_explains(rng):
    x, y = blobs(rng)
    opt = nn.Optim(small_net(), nn.CrossEntropyLoss(), 0.1)
    with pytest.raises(KeyError, match="pass validation_data"):
        opt.fit(x, y, epochs=2, early_stopping=nn.EarlyStopping("val_loss"), verbose=False)


def test_scheduler_is_stepped_each_epoch(rng):
    x, y = blobs(rng)
    net = small_net()
    sgd = nn.SGD(net, lr=0.1)
    h = nn.Optim(net, nn.CrossEntropyLoss(), sgd).fit(x, y, epochs=3, scheduler=nn.StepLR(sgd, 1, 0.5), verbose=False)
    assert h["lr"] == [0.1, 0.05, 0.025] and sgd.lr == 0.0125


class _Exploding(nn.Module):
    """Multiplies its input by a factor that becomes inf from call `at` on (a stand-in for divergence)."""

    def __init__(self, at: int):
        super().__init__()
        self.calls, self.at = 0, at

    def forward(self, x):
        self.calls += 1
        return x * (float("inf") if self.calls >= self.at else 1.0)

    def backward_delta(self, x, delta):
        return delta


def test_nan_loss_stops_with_epoch_and_batch_and_keeps_last_good_weights(rng):
    x, y = blobs(rng, n=100)
    net = nn.Sequential(nn.Linear(4, 2), _Exploding(at=13))  # 5 batches per epoch: epoch 3, batch 3
    opt = nn.Optim(net, nn.MSELoss(), nn.SGD(net, lr=0.01, momentum=0.9))
    y_onehot = np.eye(2, dtype=np.float32)[y]
    h = opt.fit(x, y_onehot, epochs=2, batch_size=20, verbose=False)
    good = [nn.to_numpy(p.data).copy() for p in net.parameters()]
    velocity = nn.to_numpy(opt.optimizer.state[0]["velocity"]).copy()
    steps = opt.optimizer.steps
    with pytest.raises(nn.NonFiniteLossError, match=r"at epoch 1, batch 3 of 5.*restored to the end of epoch 0"):
        opt.fit(x, y_onehot, epochs=2, batch_size=20, verbose=False)
    for p, g in zip(net.parameters(), good):
        np.testing.assert_array_equal(nn.to_numpy(p.data), g)
    np.testing.assert_array_equal(nn.to_numpy(opt.optimizer.state[0]["velocity"]), velocity)
    assert opt.optimizer.steps == steps and h.epochs == 2


def test_nan_check_per_batch_stops_before_the_update(rng):
    x, y = blobs(rng, n=100)
    net = nn.Sequential(nn.Linear(4, 2), _Exploding(at=3))
    opt = nn.Optim(net, nn.MSELoss(), nn.SGD(net, lr=0.01))
    y_onehot = np.eye(2, dtype=np.float32)[y]
    xd, yd = nn.asarray(x), nn.asarray(y_onehot)
    with pytest.raises(nn.NonFiniteLossError, match="at epoch 1, batch 3 of 5; training stopped before that update"):
        opt.fit(xd, yd, epochs=1, batch_size=20, shuffle=False, check_finite="batch", verbose=False)
    # Replaying the two good batches by hand on a fresh copy gives the same weights.
    nn.manual_seed(0)
    ref = nn.Sequential(nn.Linear(4, 2), _Exploding(at=99))
    ref_opt = nn.Optim(ref, nn.MSELoss(), nn.SGD(ref, lr=0.01))
    ref_opt.step(xd[:20], yd[:20])
    ref_opt.step(xd[20:40], yd[20:40])
    np.testing.assert_array_equal(nn.to_numpy(net[0].weight.data), nn.to_numpy(ref[0].weight.data))


def _train_once(seed, x, y):
    nn.manual_seed(seed)
    net = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))
    nn.Optim(net, nn.CrossEntropyLoss(), nn.Adam(net, lr=0.01)).fit(x, y, epochs=3, batch_size=16, verbose=False)
    return [nn.to_numpy(p.data).copy() for p in net.parameters()]


def test_same_seed_gives_identical_weights_after_training(rng):
    x, y = blobs(rng)
    a, b, c = _train_once(5, x, y), _train_once(5, x, y), _train_once(6, x, y)
    for wa, wb in zip(a, b):
        np.testing.assert_array_equal(wa, wb)
    assert not all(np.array_equal(wa, wc) for wa, wc in zip(a, c))


def test_data_moves_once_and_loss_is_read_once_per_epoch(rng, monkeypatch):
    x, y = blobs(rng)
    moved, read = [], []
    real_asarray, real_to_numpy = backends.asarray, backends.to_numpy

    def counting_asarray(a, dtype=None):
        moved.append(getattr(a, "shape", None))
        return real_asarray(a, dtype)

    def counting_to_numpy(a):
        read.append(getattr(a, "shape", None))
        return real_to_numpy(a)

    net = small_net()
    monkeypatch.setattr(backends, "asarray", counting_asarray)
    monkeypatch.setattr(backends, "to_numpy", counting_to_numpy)
    nn.Optim(net, nn.CrossEntropyLoss(), 0.1).fit(x, y, epochs=4, batch_size=10, metrics=["accuracy"], verbose=False)
    big = [s for s in moved if s and s[0] == 200]
    assert big.count((200, 4)) == 1 and big.count((200,)) == 1 + 4  # x, y once; one index permutation per epoch
    assert len(moved) == 2 + 4, moved  # nothing per batch (20 batches per epoch)
    assert read == [(2, 20)] * 4  # loss + accuracy records, once per epoch


def test_training_step_is_free_of_float64(rng):
    x, y = blobs(rng)
    for make_opt in (lambda n: nn.SGD(n, 0.1, momentum=0.9, weight_decay=1e-3), lambda n: nn.RMSProp(n),
                     lambda n: nn.Adam(n), lambda n: nn.AdamW(n)):
        net = nn.Sequential(nn.Linear(4, 9), nn.Sigmoid(), nn.KLSparsity(), nn.Linear(9, 5), nn.LeakyReLU(),
                            nn.Linear(5, 2), nn.Softmax())
        opt = nn.Optim(net, nn.BCELoss(), make_opt(net))
        yb = np.eye(2, dtype=np.float32)[y]
        loss = opt.step(nn.asarray(x), nn.asarray(yb))
        arrays = [loss, opt.last_output] + [a for p in net.parameters() for a in (p.data, p.grad)]
        arrays += [v for state in opt.optimizer.state for v in state.values()]
        assert all(a.dtype == np.float32 for a in arrays), [a.dtype for a in arrays]


def test_every_loss_keeps_float32(rng):
    z = nn.asarray(rng.standard_normal((5, 3)))
    p = nn.Sigmoid()(z)
    labels = nn.asarray(rng.integers(0, 3, 5))
    for loss, y, yhat in [(nn.MSELoss(), p, z), (nn.MAELoss(), p, z), (nn.RMSELoss(), p, z), (nn.BCELoss(), p, p),
                          (nn.BCEWithLogitsLoss(), p, z), (nn.CrossEntropyLoss(), labels, z),
                          (nn.NLLLoss(), labels, z),
                          (nn.TaskDrivenLoss(nn.MSELoss(), nn.Linear(3, 2), nn.CrossEntropyLoss()),
                           backends.xp().concatenate([p, p[:, :2] / p[:, :2].sum(axis=1, keepdims=True)], axis=1),
                           z)]:  # the task's soft targets: distributions
        assert loss(y, yhat).dtype == np.float32 and loss.backward(y, yhat).dtype == np.float32, repr(loss)


def test_predict_and_evaluate_use_eval_mode_and_restore_it(rng):
    x, y = blobs(rng)
    net = small_net()
    out = nn.predict(net, x, batch_size=64)
    assert out.shape == (200, 2) and net.training
    np.testing.assert_allclose(nn.to_numpy(out), nn.to_numpy(net(nn.asarray(x))), rtol=1e-6)
    result = nn.evaluate(net, x, y, nn.CrossEntropyLoss(), batch_size=64)
    full = float(nn.CrossEntropyLoss()(nn.asarray(y), net(nn.asarray(x))))
    assert result["loss"] == pytest.approx(full, rel=1e-5) and 0 <= result["accuracy"] <= 1
    with pytest.raises(ValueError, match="rows"):
        nn.evaluate(net, x, y[:3])


def test_quiet_when_not_verbose(rng, capsys):
    x, y = blobs(rng)
    nn.Optim(small_net(), nn.CrossEntropyLoss(), 0.1).fit(x, y, epochs=2, verbose=False)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_progress_bar_counts_every_batch(rng, monkeypatch):
    bars = []

    class Recorder:
        def __init__(self, total, **kwargs):
            self.total, self.n = total, 0
            bars.append(self)

        def update(self, n=1):
            self.n += n

        def set_postfix(self, *a, **k):
            self.postfix = a[0] if a else k

        def set_description(self, *a, **k): ...
        def close(self): ...

    import tqdm.auto

    monkeypatch.setattr(tqdm.auto, "tqdm", Recorder)
    x, y = blobs(rng)
    nn.Optim(small_net(), nn.CrossEntropyLoss(), 0.1).fit(x, y, epochs=3, batch_size=50, verbose=True)
    assert bars[0].total == 12 and bars[0].n == 12 and "loss" in bars[0].postfix
    assert optim_module._progress_bar(1, verbose=False).__class__.__name__ == "_NoBar"


def test_fit_takes_fresh_inputs_each_epoch_from_a_callable(rng):
    x, y = blobs(rng)
    noise = [rng.standard_normal(x.shape).astype(np.float32) * 0.3 for _ in range(3)]
    calls = []

    def noisy(epoch):
        calls.append(epoch)
        return x + noise[epoch]

    nn.manual_seed(3)
    net = small_net()
    nn.Optim(net, nn.CrossEntropyLoss(), nn.SGD(net, lr=0.1)).fit(noisy, y, epochs=3, batch_size=32, verbose=False)
    assert calls == [0, 1, 2]
    nn.manual_seed(3)
    by_hand = small_net()
    trainer = nn.Optim(by_hand, nn.CrossEntropyLoss(), nn.SGD(by_hand, lr=0.1))
    for epoch in range(3):  # the same epochs, one fit per epoch on that epoch's inputs
        trainer.fit(x + noise[epoch], y, epochs=1, batch_size=32, verbose=False)
    for p, q in zip(net.parameters(), by_hand.parameters()):
        np.testing.assert_array_equal(nn.to_numpy(p.data), nn.to_numpy(q.data))
    clean = small_net()
    nn.Optim(clean, nn.CrossEntropyLoss(), nn.SGD(clean, lr=0.1)).fit(x, y, epochs=3, batch_size=32, verbose=False)
    assert not np.array_equal(nn.to_numpy(clean[0].weight.data), nn.to_numpy(net[0].weight.data))


def test_fit_callable_inputs_must_match_the_targets(rng):
    x, y = blobs(rng)
    opt = nn.Optim(small_net(), nn.CrossEntropyLoss(), 0.1)
    with pytest.raises(ValueError, match=r"x\(1\) returned inputs of shape \(199, 4\); expected 200 rows"):
        opt.fit(lambda e: x if e == 0 else x[:-1], y, epochs=2, verbose=False)
