"""Losses called directly refuse values outside their domain, naming the loss, the value, where it is and the
valid range; empty batches are refused by every loss; inside trusted_values() (what trainers use once they have
checked) nothing is read back."""

from __future__ import annotations

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
