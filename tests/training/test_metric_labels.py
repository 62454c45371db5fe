"""Label metrics refuse labels they would misread (-1 read as the last class, a class past the end, 2.7 read as a
class), naming the metric, the value and the valid range; fit and evaluate check them once, before any update.
predict on no rows gives the net's empty output."""

from __future__ import annotations

import pytest

import pyldl_gpu as nn
from pyldl_gpu import backends, metrics

np = backends.host()

SCORES = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)


@pytest.mark.parametrize("labels, message", [
    ([0, 1, -1], r"accuracy: label -1 at row 2 is invalid; expected class indices: whole numbers in \[0, 3\] for 4"),
    ([0, 4, 1], r"accuracy: label 4 at row 1 is invalid; expected class indices: whole numbers in \[0, 3\]"),
    ([0.0, 2.7, 1.0], r"accuracy: label 2.7 at row 1 is invalid; expected class indices: whole numbers"),
])
def test_accuracy_refuses_labels_outside_the_classes(labels, message):
    with pytest.raises(nn.ValueRangeError, match=message):
        nn.accuracy(nn.asarray(np.asarray(labels)), nn.asarray(SCORES))


def test_accuracy_reads_whole_number_float_labels_as_classes():
    """Float labels 2.0 were thresholded at 0.5 (read as class 1) for a multi-class prediction."""
    predicted = SCORES.argmax(axis=1)
    assert float(nn.accuracy(nn.asarray(predicted.astype(np.float32)), nn.asarray(SCORES))) == 1.0
    assert float(nn.accuracy(nn.asarray(predicted), nn.asarray(SCORES))) == 1.0


def test_accuracy_binary_targets():
    probabilities = nn.asarray(np.array([[0.9], [0.2], [0.7]], np.float32))
    assert float(nn.accuracy(nn.asarray(np.array([1, 0, 0])), probabilities)) == pytest.approx(2 / 3)
    with pytest.raises(nn.ValueRangeError, match=r"accuracy: label 2 at row 1 is invalid; expected binary labels"):
        nn.accuracy(nn.asarray(np.array([1, 2, 0])), probabilities)
    with pytest.raises(nn.ValueRangeError, match=r"accuracy: label -0.5 at row 0 .*binary targets in \[0, 1\]"):
        nn.accuracy(nn.asarray(np.array([[-0.5], [0.0], [1.0]], np.float32)), probabilities)


@pytest.mark.parametrize("bad", [-1, 99])
def test_evaluate_without_a_loss_checks_the_labels_for_its_metrics(bad):
    net = nn.Linear(3, 4)
    with pytest.raises(nn.ValueRangeError, match=rf"accuracy: label {bad} at row 1 is invalid"):
        nn.evaluate(net, np.ones((2, 3), np.float32), np.array([0, bad]), loss=None)


def test_fit_checks_metric_labels_before_the_first_update():
    """MSELoss takes any (n, 1) target; accuracy over a 1-column output needs binary ones: refused up front."""
    net = nn.Linear(3, 1)
    opt = nn.Optim(net, nn.MSELoss(), 0.1)
    before = nn.to_numpy(net.weight.data).copy()
    with pytest.raises(nn.ValueRangeError, match=r"accuracy: label 3 at row 5 is invalid; expected binary targets"):
        opt.fit(np.ones((8, 3), np.float32), np.array([[0], [1]] * 2 + [[1], [3], [0], [1]], np.float32),
                epochs=1,
                batch_size=2, metrics=["accuracy"], verbose=False)
    np.testing.assert_array_equal(nn.to_numpy(net.weight.data), before)
    assert opt.optimizer.steps == 0


def test_confusion_matrix_and_purity_refuse_bad_labels():
    """-1 was counted in the last class (NumPy wrap-around); 2.5 was truncated to 2."""
    with pytest.raises(nn.ValueRangeError, match=r"confusion_matrix: true label -1 at row 1 is invalid"):
        metrics.confusion_matrix(np.array([0, -1]), np.array([0, 1]), classes=3)
    with pytest.raises(nn.ValueRangeError, match=r"confusion_matrix: predicted label 3 at row 0 .*\[0, 2\] for 3"):
        metrics.confusion_matrix(np.array([0, 1]), np.array([3, 1]), classes=3)
    with pytest.raises(nn.ValueRangeError, match=r"confusion_matrix: true label 2.5 at row 0 is invalid"):
        metrics.confusion_matrix(np.array([2.5, 1.0]), np.array([1, 1]))
    with pytest.raises(nn.ValueRangeError, match=r"cluster_purity: label -1 at row 2 is invalid"):
        metrics.cluster_purity(np.zeros((3, 2)), np.array([0, 1, -1]))


def test_predict_on_no_rows_gives_an_empty_output_of_the_right_width():
    """predict(net, zeros((0, 3))) returned shape (0,)."""
    out = nn.predict(nn.Sequential(nn.Linear(3, 5), nn.ReLU()), np.zeros((0, 3), np.float32))
    assert tuple(out.shape) == (0, 5)
