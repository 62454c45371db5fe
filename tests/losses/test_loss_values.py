"""Losses called directly refuse values outside their domain, naming the loss, the value, where it is and the
valid range; empty batches are refused by every loss; inside trusted_values() (what trainers use once they have
checked) nothing is read back, while host (CPU) arrays are still checked at every call."""

from __future__ import annotations

import re

import pytest
from cases import LOSSES, loss_inputs, task_driven_inputs, task_driven_judge

import pyldl_gpu as nn
from pyldl_gpu import backends

np = backends.host()


def f(a):
    return nn.asarray(np.asarray(a, dtype=float))


def labels(*values):
    return nn.asarray(np.asarray(values, dtype=np.int64))


LOGITS = f(np.zeros((4, 3)))


@pytest.mark.parametrize("loss", [nn.CrossEntropyLoss(), nn.NLLLoss()], ids=repr)
@pytest.mark.parametrize("bad, row", [(-1, 1), (3, 2), (99, 0)])
def test_labels_outside_the_classes_are_refused_by_name_value_and_range(loss, bad, row):
    """-1 was read as the last class; the number of classes gave a bare NumPy IndexError."""
    y = [0, 1, 2, 0]
    y[row] = bad
    with pytest.raises(nn.ValueRangeError, match=rf"^{type(loss).__name__}\(\): label {bad} at row {row} is outside "
                                                 r"\[0, 2\] \(class indices of a 3-class prediction\)$"):
        loss(labels(*y), LOGITS)
    with pytest.raises(nn.ValueRangeError, match=rf"label {bad}"):
        loss.backward(labels(*y), LOGITS)


@pytest.mark.parametrize("bad", [[0, -1], [0, 3], [2, 5]])
def test_one_hot_refuses_labels_outside_its_classes(bad):
    with pytest.raises(nn.ValueRangeError, match=rf"one_hot: label {max(bad) if max(bad) > 2 else -1} at row 1 is "
                                                 r"outside \[0, 2\] \(class indices of 3 classes\)"):
        nn.one_hot(np.array(bad), 3)
    with pytest.raises(nn.DTypeError, match="expected 1-d integer labels, got shape \\(2,\\) dtype float"):
        nn.one_hot(np.array([0.0, 1.0]), 3)
    with pytest.raises(nn.ArgumentError, match="one_hot: num_classes must be >= 1"):
        nn.one_hot(np.array([0, 1]), 2.0)


@pytest.mark.parametrize("loss, y, yhat, message", [
    (nn.CrossEntropyLoss(), [[0.5, 0.7, -0.2]], [[0.0, 0.0, 0.0]],
     r"CrossEntropyLoss\(\): target -0\.2 at row 0, column 2 is outside \[0, 1\] \(class probabilities"),
    (nn.NLLLoss(), [[0.0, 1.5, 0.0]], [[-1.0, -1.0, -1.0]], r"NLLLoss\(\): target 1\.5 at row 0, column 1"),
    (nn.BCELoss(), [[1.0, 0.0]], [[1.5, 0.5]],
     r"BCELoss\(\): prediction 1\.5 at row 0, column 0 is outside \[0, 1\] \(probabilities\)"),
    (nn.BCELoss(), [[1.0, 0.0]], [[0.5, -0.01]], r"BCELoss\(\): prediction -0\.01 at row 0, column 1"),
    (nn.BCELoss(), [[2.0, 0.0]], [[0.5, 0.5]], r"BCELoss\(\): target 2 at row 0, column 0 is outside \[0, 1\]"),
    (nn.BCEWithLogitsLoss(), [[0.0, -0.5]], [[3.0, -3.0]], r"BCEWithLogitsLoss\(\): target -0\.5 at row 0, column 1"),
    (nn.MSELoss(), [[0.0, float("inf")]], [[0.0, 0.0]], r"MSELoss\(\): target inf at row 0, column 1 is outside the "
                                                        r"finite values of float32"),
], ids=["ce-negative-soft-target", "nll-target-above-one", "bce-prediction-above-one",
        "bce-negative-prediction", "bce-target-above-one", "logits-negative-target", "mse-infinite-target"])
def test_values_outside_the_loss_domain_are_refused(loss, y, yhat, message):
    """BCELoss on a prediction of 1.5 returned -0.0; negative soft targets were taken."""
    with pytest.raises(nn.ValueRangeError, match=message):
        loss(f(y), f(yhat))


def test_bce_accepts_the_ends_of_its_domain():
    y, p = f([[1.0, 0.0, 1.0, 0.0]]), f([[0.0, 1.0, 1.0, 0.0]])
    assert np.isfinite(float(nn.BCELoss()(y, p)))


def _empty_cases():
    for name, make, target, pred in LOSSES:
        y, yhat = loss_inputs(target, pred, (4, 3), np.random.default_rng(0))
        yield pytest.param(make(), y[:0], yhat[:0], id=name)
    y, yhat = task_driven_inputs(np.random.default_rng(0))
    yield pytest.param(nn.TaskDrivenLoss(nn.BCELoss(), task_driven_judge(), nn.CrossEntropyLoss()), y[:0],
                       yhat[:0], id="task-driven")
    yield pytest.param(nn.MultiTaskLoss([(nn.CrossEntropyLoss(), 0, 3, 0, 1.0)]), np.zeros((0, 1), np.int64),
                       np.zeros((0, 3)), id="multi-task")
    yield pytest.param(nn.MSELoss(), np.zeros((5, 0)), np.zeros((5, 0)), id="mse-no-columns")


@pytest.mark.parametrize("loss, y, yhat", list(_empty_cases()))
def test_every_loss_refuses_an_empty_batch(loss, y, yhat):
    """ZeroDivisionError or a NaN, depending on the loss."""
    y = nn.asarray(y) if y.dtype.kind in "iu" else f(y)
    with pytest.raises(nn.ShapeError, match=rf"{type(loss).__name__}\(.*\): empty batch .*a mean over no values is "
                                            "not a loss"):
        loss(y, f(yhat))
    with pytest.raises(nn.ShapeError, match="empty batch"):
        loss.backward(y, f(yhat))


def test_composite_losses_check_their_parts_values():
    multi = nn.MultiTaskLoss([(nn.CrossEntropyLoss(), 0, 2, 0, 1.0), (nn.CrossEntropyLoss(), 2, 5, 1, 0.5)])
    y = nn.asarray(np.array([[0, 2], [1, 3]]))
    with pytest.raises(nn.ValueRangeError, match=r"CrossEntropyLoss\(\): label 3 at row 1 is outside \[0, 2\]"):
        multi(y, f(np.zeros((2, 5))))
    with nn.default_dtype("float64"):
        task = nn.TaskDrivenLoss(nn.BCELoss(), task_driven_judge(), nn.CrossEntropyLoss())
        y, yhat = task_driven_inputs(np.random.default_rng(0))
        y[2, 1] = 1.3  # a clean pixel above 1: BCELoss's target
        with pytest.raises(nn.ValueRangeError, match=r"BCELoss\(\): target 1\.3 at row 2, column 1"):
            task(nn.asarray(y), nn.asarray(yhat))
        y[2, 1], y[3, 8] = 0.5, -1.0  # a negative class probability: CrossEntropyLoss's
        with pytest.raises(nn.ValueRangeError, match=r"CrossEntropyLoss\(\): target -1 at row 3, column 1"):
            task(nn.asarray(y), nn.asarray(yhat))


def test_trusted_values_skip_the_value_checks_but_not_the_shapes(monkeypatch):
    """What trainers run their steps in: no read-back per batch, every structural check still made."""
    from pyldl_gpu.losses.base import trusted_values

    reads = []
    real = backends.to_numpy
    monkeypatch.setattr(backends, "to_numpy", lambda a: reads.append(1) or real(a))
    y, z = labels(0, 1, 2, 0), LOGITS
    with trusted_values():
        nn.CrossEntropyLoss()(y, z)
        nn.CrossEntropyLoss().backward(y, z)
        nn.BCELoss()(f([[0.5]]), f([[0.25]]))
        assert reads == []  # on a GPU each would have been a synchronisation
        with pytest.raises(nn.ShapeError, match=r"expected labels \(4,\)"):
            nn.CrossEntropyLoss()(labels(0, 1), z)
        with pytest.raises(nn.ShapeError, match="empty batch"):
            nn.MSELoss()(f(np.zeros((0, 2))), f(np.zeros((0, 2))))
        with trusted_values(False):
            with pytest.raises(nn.ValueRangeError):
                nn.CrossEntropyLoss()(labels(0, 1, 3, 0), z)
    with pytest.raises(nn.ValueRangeError):  # outside, checked again
        nn.CrossEntropyLoss()(labels(0, 1, 3, 0), z)


@pytest.mark.parametrize("make, message", [
    (lambda: nn.MultiTaskLoss([(nn.MSELoss(), 0, 2, 0, float("nan"))]), "part 0's weight must be"),
    (lambda: nn.MultiTaskLoss([(nn.MSELoss(), 2, 1, 0, 1.0)]), "part 0's stop column must be >= 3"),
    (lambda: nn.MultiTaskLoss([("mse", 0, 2, 0, 1.0)]), "part 0 must start with a Loss"),
    (lambda: nn.TaskDrivenLoss(nn.MSELoss(), nn.Linear(2, 2), nn.CrossEntropyLoss(), weight=-1.0),
     "TaskDrivenLoss: weight must be a finite number >= 0"),
    (lambda: nn.KLSparsity(rho=0.05, beta=float("nan")), "KLSparsity: beta must be a finite number >= 0"),
])
def test_composite_loss_arguments_are_checked(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make()


@pytest.mark.parametrize("loss, y, message", [
    (nn.CrossEntropyLoss(), [[1.0, 1.0, 0.0]] * 4, r"CrossEntropyLoss\(\): target row 0 sums to 2, not 1 \(class "
                                                   r"probabilities of one-hot or soft targets: each row sums to 1 "
                                                   r"within 0\.00035\)"),
    (nn.CrossEntropyLoss(), [[1.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
     r"CrossEntropyLoss\(\): target row 1 sums to 0, not 1"),
    (nn.NLLLoss(), [[0.5, 0.0, 0.0]] * 4, r"NLLLoss\(\): target row 0 sums to 0\.5, not 1"),
    (nn.NLLLoss(), [[0.3, 0.3, 0.3]] * 3 + [[0.25, 0.25, 0.25]], r"NLLLoss\(\): target row 3 sums to 0\.75, not 1"),
], ids=["ce-rows-sum-to-two", "ce-all-zero-one-hot-row", "nll-rows-sum-to-half", "nll-one-short-row"])
def test_soft_targets_must_be_distributions(loss, y, message):
    """Rows summing to 2 or 0.5 and all-zero one-hot rows were taken as targets."""
    with pytest.raises(nn.ValueRangeError, match=message):
        loss(f(y), LOGITS)
    with pytest.raises(nn.ValueRangeError, match=message):
        loss.backward(f(y), LOGITS)


def test_soft_targets_summing_to_one_within_float32_rounding_are_taken():
    p = np.random.default_rng(0).uniform(0.1, 1.0, size=(4, 3))
    soft = (p / p.sum(axis=1, keepdims=True)).astype(np.float32)  # off 1 by float32 rounding
    with nn.default_dtype("float64"):
        assert np.isfinite(float(nn.CrossEntropyLoss()(nn.asarray(soft.astype(np.float64)), f(np.zeros((4, 3))))))


def _sgd_step(loss, net, first, second):
    """Optim.step on good targets, then on ``second``: (the error of the second, whether weights changed)."""
    optim = nn.Optim(net, loss, nn.SGD(net, lr=0.1))
    x = f(np.ones((3, 3)))
    optim.step(x, first)
    before = [nn.to_numpy(p.data).copy() for p in net.parameters()]
    with pytest.raises(nn.ValueRangeError) as error:
        optim.step(x, second)
    assert all(np.array_equal(b, nn.to_numpy(p.data)) for b, p in zip(before, net.parameters()))
    return str(error.value)


@pytest.mark.parametrize("bad", [-1, 4, 1000])
@pytest.mark.parametrize("loss, head", [(nn.CrossEntropyLoss, None), (nn.NLLLoss, nn.LogSoftmax)], ids=["ce", "nll"])
def test_every_optim_step_on_the_cpu_checks_its_labels(loss, head, bad):
    """Only the first step checked the values: a later NLLLoss step took -1 as the last class, a label of 4
    gave a bare NumPy IndexError, CrossEntropyLoss the kernel's IndexError naming neither loss nor value."""
    nn.manual_seed(0)
    net = nn.Linear(3, 4) if head is None else nn.Sequential(nn.Linear(3, 4), head())
    message = _sgd_step(loss(), net, labels(0, 1, 2), labels(0, 1, bad))
    assert message == (f"{loss.__name__}(): label {bad} at row 2 is outside [0, 3] (class indices of a 4-class "
                       "prediction)")


@pytest.mark.parametrize("loss, width, first, second, message", [
    (nn.BCEWithLogitsLoss, 1, [[0.0], [1.0], [1.0]], [[0.0], [1.0], [3.0]],
     r"BCEWithLogitsLoss\(\): target 3 at row 2, column 0 is outside \[0, 1\]"),
    (nn.CrossEntropyLoss, 4, np.eye(4)[:3], [[1, 0, 0, 0], [0, 1, 0, 0], [-1, 2, 0, 0]],
     r"CrossEntropyLoss\(\): target -1 at row 2, column 0 is outside \[0, 1\]"),
    (nn.CrossEntropyLoss, 4, np.eye(4)[:3], [[1, 0, 0, 0], [0, 1, 0, 0], [1, 1, 0, 0]],
     r"CrossEntropyLoss\(\): target row 2 sums to 2, not 1"),
], ids=["bce-logits-target-three", "ce-negative-soft-target", "ce-row-sums-to-two"])
def test_every_optim_step_on_the_cpu_checks_its_targets(loss, width, first, second, message):
    nn.manual_seed(0)
    assert re.match(message, _sgd_step(loss(), nn.Linear(3, width), f(first), f(second)))


def test_trusted_host_predictions_are_checked_but_non_finite_ones_go_to_the_guard():
    """Under a trainer's trust (Optim.step: "host", fit: "predictions") a CPU BCELoss still refuses a prediction
    of 1.5; a NaN one passes, so the trainer's guard reports it and restores good weights instead of an error
    leaving NaN weights. Full trust (a backward after its checked forward) checks no values."""
    from pyldl_gpu.losses.base import trusted_values

    for level in ("host", "predictions"):
        with trusted_values(level):
            with pytest.raises(nn.ValueRangeError, match=r"BCELoss\(\): prediction 1\.5 at row 0, column 0"):
                nn.BCELoss()(f([[1.0, 0.0]]), f([[1.5, 0.5]]))
            assert np.isnan(float(nn.BCELoss()(f([[1.0, 0.0]]), f([[float("nan"), 0.5]]))))
    with trusted_values("predictions"):  # fit checked its targets before the first step
        nn.BCELoss()(f([[1.5, 0.0]]), f([[0.5, 0.5]]))
    with trusted_values("host"):
        with pytest.raises(nn.ValueRangeError, match=r"BCELoss\(\): target 1\.5 at row 0, column 0"):
            nn.BCELoss()(f([[1.5, 0.0]]), f([[0.5, 0.5]]))
    with trusted_values():
        nn.BCELoss()(f([[1.5, 0.0]]), f([[1.5, 0.5]]))
    with pytest.raises(nn.ValueRangeError, match=r"BCELoss\(\): prediction nan at row 0, column 0"):
        nn.BCELoss()(f([[1.0, 0.0]]), f([[float("nan"), 0.5]]))


def test_one_hot_of_no_labels():
    assert nn.one_hot(np.array([], dtype=np.int64), 3).shape == (0, 3)
    assert nn.one_hot([], 4).shape == (0, 4)
    with pytest.raises(nn.ShapeError, match="one_hot: no labels to count the classes by; give num_classes"):
        nn.one_hot(np.array([], dtype=np.int64))
