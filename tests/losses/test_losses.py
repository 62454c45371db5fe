"""Loss values against hand computation (and PyTorch where installed), stability, and error messages."""

from __future__ import annotations

import math

import pytest
from cases import task_driven_inputs, task_driven_judge

import pyldl_gpu as nn
from pyldl_gpu import backends

np = backends.host()


def f(a):
    return nn.asarray(np.asarray(a, dtype=float))


def test_mse_mae_rmse_values():
    y, yhat = f([[1.0, 2.0], [3.0, 4.0]]), f([[1.5, 2.0], [2.0, 6.0]])
    assert float(nn.MSELoss()(y, yhat)) == pytest.approx((0.25 + 0 + 1 + 4) / 4)
    assert float(nn.MAELoss()(y, yhat)) == pytest.approx((0.5 + 0 + 1 + 2) / 4)
    assert float(nn.RMSELoss()(y, yhat)) == pytest.approx(math.sqrt(5.25 / 4))
    np.testing.assert_allclose(nn.to_numpy(nn.MSELoss().backward(y, yhat)), [[0.25, 0.0], [-0.5, 1.0]])


def test_rmse_gradient_is_zero_at_a_perfect_fit():
    y = f([[1.0, 2.0]])
    assert np.all(nn.to_numpy(nn.RMSELoss().backward(y, y)) == 0)


def test_bce_values_and_no_nan_at_zero_and_one():
    y, p = f([[1.0, 0.0, 1.0]]), f([[0.9, 0.2, 0.6]])
    expected = -(math.log(0.9) + math.log(0.8) + math.log(0.6)) / 3
    assert float(nn.BCELoss()(y, p)) == pytest.approx(expected, rel=1e-6)
    y, p = f([[1.0, 0.0, 1.0, 0.0]]), f([[0.0, 1.0, 1.0, 0.0]])
    value = float(nn.BCELoss()(y, p))
    grad = nn.to_numpy(nn.BCELoss().backward(y, p))
    assert math.isfinite(value) and value > 5 and np.isfinite(grad).all()
    assert grad[0, 0] < 0 < grad[0, 1]


def test_bce_with_logits_matches_bce_of_sigmoid_and_is_stable():
    y, z = f([[1.0, 0.0, 1.0, 0.0]]), f([[2.0, -1.0, 0.3, 0.7]])
    p = nn.Sigmoid()(z)
    assert float(nn.BCEWithLogitsLoss()(y, z)) == pytest.approx(float(nn.BCELoss()(y, p)), rel=1e-5)
    big = f([[1000.0, -1000.0]])
    assert float(nn.BCEWithLogitsLoss()(f([[1.0, 0.0]]), big)) == 0.0
    assert float(nn.BCEWithLogitsLoss()(f([[0.0, 1.0]]), big)) == pytest.approx(1000.0)


def test_cross_entropy_labels_equal_one_hot_and_match_formula(rng):
    z = rng.standard_normal((5, 4))
    labels = np.array([0, 3, 1, 1, 2])
    expected = -np.mean((z - np.log(np.exp(z).sum(1, keepdims=True)))[np.arange(5), labels])
    loss = nn.CrossEntropyLoss()
    by_label = float(loss(nn.asarray(labels), f(z)))
    by_onehot = float(loss(nn.one_hot(labels, 4), f(z)))
    assert by_label == pytest.approx(expected, rel=1e-6)
    assert by_onehot == pytest.approx(expected, rel=1e-6)
    np.testing.assert_allclose(nn.to_numpy(loss.backward(nn.asarray(labels), f(z))),
                               nn.to_numpy(loss.backward(nn.one_hot(labels, 4), f(z))), rtol=1e-6)


def test_cross_entropy_is_stable_for_huge_logits():
    z = f([[1000.0, -1000.0], [-1000.0, 1000.0]])
    assert float(nn.CrossEntropyLoss()(nn.asarray(np.array([0, 0])), z)) == pytest.approx(1000.0)


def test_nll_after_log_softmax_equals_cross_entropy(rng):
    z = f(rng.standard_normal((7, 3)))
    labels = nn.asarray(rng.integers(0, 3, 7))
    assert float(nn.NLLLoss()(labels, nn.LogSoftmax()(z))) == pytest.approx(float(nn.CrossEntropyLoss()(labels, z)))


def test_kl_sparsity_is_zero_at_target_and_positive_elsewhere():
    kl = nn.KLSparsity(rho=0.2, beta=3.0)
    assert float(kl.penalty(f(np.full((4, 5), 0.2)))) == pytest.approx(0.0, abs=1e-6)
    q = 0.5
    expected = 3.0 * 5 * (0.2 * math.log(0.2 / q) + 0.8 * math.log(0.8 / q))
    assert float(kl.penalty(f(np.full((4, 5), q)))) == pytest.approx(expected, rel=1e-5)
    with pytest.raises(ValueError, match="rho must lie in"):
        nn.KLSparsity(rho=1.5)


@pytest.mark.parametrize("loss", [nn.MSELoss(), nn.BCELoss(), nn.MAELoss()], ids=repr)
def test_shape_mismatch_names_loss_and_both_shapes(loss):
    with pytest.raises(nn.ShapeError, match=r"\(4, 10\) and yhat \(4, 1\)") as info:
        loss(f(np.zeros((4, 10))), f(np.zeros((4, 1))))
    assert type(loss).__name__ in str(info.value)


def test_classification_target_errors():
    with pytest.raises(nn.ShapeError, match=r"CrossEntropyLoss\(\): expected labels \(4,\).*got \(3,\)"):
        nn.CrossEntropyLoss()(nn.asarray(np.array([0, 1, 2])), f(np.zeros((4, 3))))
    with pytest.raises(nn.DTypeError, match="integer labels"):
        nn.CrossEntropyLoss()(f(np.zeros(4)), f(np.zeros((4, 3))))
    with pytest.raises(nn.ShapeError, match=r"expected prediction \(batch, classes\)"):
        nn.NLLLoss()(nn.asarray(np.array([0])), f(np.zeros(3)))


def test_loss_rejects_targets_of_another_dtype():
    with pytest.raises(nn.DTypeError, match="target dtype float64 differs from prediction dtype float32"):
        nn.MSELoss()(nn.asarray(np.zeros((2, 2)), dtype="float64"), f(np.zeros((2, 2))))


def test_losses_match_pytorch(rng):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    z = rng.standard_normal((6, 5)).astype(np.float32)
    p = rng.uniform(0.01, 0.99, (6, 5)).astype(np.float32)
    y = rng.integers(0, 2, (6, 5)).astype(np.float32)
    labels = rng.integers(0, 5, 6)
    cases = [
        (nn.MSELoss(), tf.mse_loss, y, z),
        (nn.MAELoss(), tf.l1_loss, y, z),
        (nn.BCELoss(), tf.binary_cross_entropy, y, p),
        (nn.BCEWithLogitsLoss(), tf.binary_cross_entropy_with_logits, y, z),
        (nn.CrossEntropyLoss(), tf.cross_entropy, labels, z),
    ]
    for loss, reference, target, pred in cases:
        pred_t = torch.tensor(pred, requires_grad=True)
        expected = reference(pred_t, torch.tensor(target))
        expected.backward()
        assert float(loss(nn.asarray(target), nn.asarray(pred))) == pytest.approx(expected.item(), rel=1e-5)
        np.testing.assert_allclose(nn.to_numpy(loss.backward(nn.asarray(target), nn.asarray(pred))),
                                   pred_t.grad.numpy(), rtol=1e-4, atol=1e-7, err_msg=repr(loss))


def test_cross_entropy_backward_is_right_for_a_new_prediction_after_forward(rng):
    loss = nn.CrossEntropyLoss()
    labels = nn.asarray(np.array([0, 2]))
    a, b = f(rng.standard_normal((2, 3))), f(rng.standard_normal((2, 3)))
    loss.forward(labels, a)
    fresh = nn.CrossEntropyLoss().backward(labels, b)
    np.testing.assert_allclose(nn.to_numpy(loss.backward(labels, b)), nn.to_numpy(fresh), rtol=1e-6)
    np.testing.assert_allclose(nn.to_numpy(loss.backward(labels, a)),
                               nn.to_numpy(nn.CrossEntropyLoss().backward(labels, a)), rtol=1e-6)


def test_one_hot_rows_and_errors():
    out = nn.one_hot(np.array([2, 0, 1]), 4)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(nn.to_numpy(out), np.eye(4)[[2, 0, 1]])
    assert nn.one_hot(np.array([0, 5])).shape == (2, 6)
    with pytest.raises(ValueError, match=r"expected 1-d integer labels, got shape \(2, 2\)"):
        nn.one_hot(np.zeros((2, 2), dtype=int), 3)


def test_confident_predictions_give_no_denormal_gradients():
    """exp(-95) is a float32 denormal: without the floor, CPU GEMMs reading such gradients ran up to 80x slower."""
    labels = np.arange(7) % 5
    logits = np.full((7, 5), -95.0, dtype=np.float32)
    logits[np.arange(7), labels] = 0.0
    y, z = nn.asarray(labels), nn.asarray(logits)
    tiny = np.finfo(np.float32).tiny

    def denormals(a):
        a = np.abs(nn.to_numpy(a))
        return int(((a > 0) & (a < tiny)).sum())

    ce = nn.CrossEntropyLoss()
    ce.forward(y, z)
    gradient = ce.backward(y, z)
    assert denormals(gradient) == 0 and denormals(nn.softmax(z)) == 0
    log_softmax = nn.LogSoftmax()
    log_softmax(z)
    assert denormals(log_softmax.backward(nn.asarray(np.ones((7, 5), dtype=np.float32)))) == 0
    assert float(ce.forward(y, z)) < 1e-6  # the loss itself is unchanged: confident and right
    np.testing.assert_allclose(nn.to_numpy(gradient), 0.0, atol=1e-28)


@pytest.mark.parametrize("reconstruction", [nn.BCELoss, nn.MSELoss])
def test_task_driven_loss_gradient(reconstruction, rng):
    with nn.default_dtype("float64"):
        loss = nn.TaskDrivenLoss(reconstruction(), task_driven_judge(), nn.CrossEntropyLoss(), weight=0.7)
        y, yhat = task_driven_inputs(rng)
        nn.gradcheck(loss, nn.asarray(yhat), nn.asarray(y))


def test_task_driven_loss_is_the_weighted_sum_and_leaves_the_judge_alone(rng):
    with nn.default_dtype("float64"):
        judge = task_driven_judge()
        loss = nn.TaskDrivenLoss(nn.BCELoss(), judge, nn.CrossEntropyLoss(), weight=0.7)
        y, yhat = (nn.asarray(a) for a in task_driven_inputs(rng, 9))
        before = [nn.to_numpy(p.data).copy() for p in judge.parameters()]
        judge.zero_grad()
        value = float(loss(y, yhat))
        expected = float(nn.BCELoss()(y[:, :7], yhat)) + 0.7 * float(nn.CrossEntropyLoss()(y[:, 7:], judge(yhat)))
        assert value == pytest.approx(expected, rel=1e-12)
        after_forward = nn.to_numpy(loss.backward(y, yhat))
        fresh = nn.TaskDrivenLoss(nn.BCELoss(), judge, nn.CrossEntropyLoss(), weight=0.7)
        np.testing.assert_allclose(after_forward, nn.to_numpy(fresh.backward(y, yhat)), rtol=1e-12)
        plain = nn.to_numpy(nn.BCELoss().backward(y[:, :7], yhat))
        assert np.abs(after_forward - plain).max() > 1e-3, "the judge's gradient must reach yhat"
        np.testing.assert_allclose(
            nn.to_numpy(nn.TaskDrivenLoss(nn.BCELoss(), judge, nn.CrossEntropyLoss(), weight=0.0).backward(y, yhat)),
            plain, rtol=1e-12)
        for p, old in zip(judge.parameters(), before):
            np.testing.assert_array_equal(nn.to_numpy(p.data), old)
            assert not np.any(nn.to_numpy(p.grad)), "the judge's parameter gradients stay untouched"


def test_task_driven_loss_shape_error_names_the_layout(rng):
    loss = nn.TaskDrivenLoss(nn.BCELoss(), task_driven_judge(), nn.CrossEntropyLoss())
    with pytest.raises(nn.ShapeError, match=r"TaskDrivenLoss\(.*expected prediction \(batch, d\) and target "
                                            r"\(batch, d \+ k\).*got \(4, 7\) and \(4, 7\)"):
        loss(nn.asarray(np.zeros((4, 7), np.float32)), nn.asarray(np.zeros((4, 7), np.float32)))


def test_multitask_parts_must_be_five_tuples():
    for bad in (None, "ce", 3):
        with pytest.raises(TypeError, match="MultiTaskLoss: parts must be a list"):
            nn.MultiTaskLoss(bad)
    for bad in ([(nn.CrossEntropyLoss(), 0, 2)], [nn.CrossEntropyLoss()], [(nn.CrossEntropyLoss(), 0, 2, 0, 1, 9)]):
        with pytest.raises(TypeError, match="MultiTaskLoss: part 0 must be a \\(loss, first, stop, target, weight\\)"):
            nn.MultiTaskLoss(bad)


@pytest.mark.parametrize("make", [nn.MSELoss, nn.MAELoss, nn.RMSELoss, nn.NLLLoss, nn.BCELoss],
                         ids=lambda c: c.__name__)
@pytest.mark.parametrize("dtype", ["int64", "bool"])
def test_predictions_that_are_not_floating_point_are_refused(make, dtype):
    from pyldl_gpu.exceptions import DTypeError

    yhat = nn.asarray(np.zeros((3, 2), dtype=dtype))
    y = nn.asarray(np.zeros(3, dtype="int64")) if make is nn.NLLLoss else yhat
    expected = f"{make.__name__}\\(.*\\): predictions must be floating point \\(a network.s output\\), got {dtype}"
    with pytest.raises(DTypeError, match=expected):
        make()(y, yhat)
