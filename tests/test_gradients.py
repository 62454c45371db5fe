"""Finite-difference gradient checks in float64 for every module and loss, on random odd-sized inputs."""

from __future__ import annotations

import pytest

import pyldl_gpu as nn
from pyldl_gpu import backends

np = backends.host()


def _tied_autoencoder():
    encoder = nn.Linear(9, 4)
    return nn.Sequential(encoder, nn.Sigmoid(), nn.TiedLinear(encoder), nn.Sigmoid())


def _modules():
    return {
        "linear": (lambda: nn.Linear(7, 5), (3, 7)),
        "linear_no_bias_he": (lambda: nn.Linear(5, 3, bias=False, init="he"), (5, 5)),
        "linear_uniform_batch1": (lambda: nn.Linear(9, 11, init="uniform"), (1, 9)),
        "linear_normal": (lambda: nn.Linear(3, 1, init="normal"), (7, 3)),
        "identity": (nn.Identity, (3, 5)),
        "relu": (nn.ReLU, (5, 7)),
        "leaky_relu": (lambda: nn.LeakyReLU(0.2), (5, 7)),
        "tanh": (nn.Tanh, (3, 9)),
        "sigmoid": (nn.Sigmoid, (7, 3)),
        "softmax": (nn.Softmax, (5, 7)),
        "log_softmax": (nn.LogSoftmax, (3, 11)),
        "sequential": (lambda: nn.Sequential(nn.Linear(7, 9), nn.Tanh(), nn.Linear(9, 5), nn.ReLU(),
                                              nn.Linear(5, 3), nn.Softmax()), (5, 7)),
        "autoencoder": (lambda: nn.AutoEncoder(nn.Sequential(nn.Linear(9, 5), nn.Sigmoid()),
                                               nn.Sequential(nn.Linear(5, 9), nn.Sigmoid())), (3, 9)),
        "tied_autoencoder": (_tied_autoencoder, (5, 9)),
        "siamese_with_aux": (lambda: nn.Siamese(nn.Sequential(nn.Linear(4, 3), nn.Tanh()), nn.Linear(6, 2),
                                                nn.Linear(3, 2)), (3, 2, 4)),
        "sparse_hidden": (lambda: nn.Sequential(nn.Linear(7, 5), nn.Sigmoid(), nn.KLSparsity(0.05, 0.5),
                                                nn.Linear(5, 3)), (9, 7)),
    }


@pytest.mark.parametrize("name", list(_modules()))
def test_module_gradients(name, rng):
    make, shape = _modules()[name]
    module = make()
    x = rng.standard_normal(shape) * 2.0
    report = nn.gradcheck(module, nn.asarray(x))
    assert any("input" in key for key in report)
    assert len(report) == 1 + len(module.parameters())
    assert all(p.data.dtype == np.float32 for p in module.parameters()), "gradcheck must restore float32 params"


def test_kl_sparsity_alone(rng):
    h = rng.uniform(0.05, 0.95, size=(7, 5))
    nn.gradcheck(nn.KLSparsity(rho=0.1, beta=2.0), nn.asarray(h))


def test_large_module_is_checked_along_random_directions(rng):
    module = nn.Sequential(nn.Linear(61, 47), nn.Tanh())  # weight has 2867 entries > max_elements
    report = nn.gradcheck(module, nn.asarray(rng.standard_normal((5, 61))), max_elements=500)
    assert len(report) == 3


def _targets(kind, shape, rng):
    if kind == "real":
        return rng.standard_normal(shape)
    if kind == "binary":
        return rng.integers(0, 2, size=shape).astype(float)
    if kind == "labels":
        return rng.integers(0, shape[1], size=shape[0])
    if kind == "onehot":
        return np.eye(shape[1])[rng.integers(0, shape[1], size=shape[0])]
    if kind == "soft":
        p = rng.uniform(0.1, 1.0, size=shape)
        return p / p.sum(axis=1, keepdims=True)
    raise AssertionError(kind)


LOSSES = [
    ("mse", nn.MSELoss, "real", "real"), ("mae", nn.MAELoss, "real", "real"), ("rmse", nn.RMSELoss, "real", "real"),
    ("bce", nn.BCELoss, "binary", "prob"), ("bce_soft_target", nn.BCELoss, "prob", "prob"),
    ("bce_logits", nn.BCEWithLogitsLoss, "binary", "real"),
    ("ce_labels", nn.CrossEntropyLoss, "labels", "real"), ("ce_onehot", nn.CrossEntropyLoss, "onehot", "real"),
    ("ce_soft", nn.CrossEntropyLoss, "soft", "real"),
    ("nll_labels", nn.NLLLoss, "labels", "logprob"), ("nll_onehot", nn.NLLLoss, "onehot", "logprob"),
]


LOSS_CASES = [
    pytest.param(make, target, pred, shape, id=f"{name}-{shape[0]}x{shape[1]}")
    for name, make, target, pred in LOSSES
    for shape in [(1, 3), (5, 7), (9, 1)]
    if not (target in ("labels", "onehot", "soft") and shape[1] == 1)  # classification needs two classes
]


def loss_inputs(target_kind, pred_kind, shape, rng):
    """(y, yhat) host arrays of the kinds a loss expects (see LOSSES)."""
    y = rng.uniform(0.05, 0.95, size=shape) if target_kind == "prob" else _targets(target_kind, shape, rng)
    if pred_kind == "prob":
        yhat = rng.uniform(0.05, 0.95, size=shape)
    elif pred_kind == "logprob":
        z = rng.standard_normal(shape)
        yhat = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    else:
        yhat = rng.standard_normal(shape) * 2.0
    return y, yhat


@pytest.mark.parametrize("make, target_kind, pred_kind, shape", LOSS_CASES)
def test_loss_gradients(make, target_kind, pred_kind, shape, rng):
    y, yhat = loss_inputs(target_kind, pred_kind, shape, rng)
    nn.gradcheck(make(), nn.asarray(yhat), nn.asarray(y))


class _WrongTanh(nn.Tanh):
    def backward_delta(self, x, delta):
        return delta * (1.0 - self.forward(x))  # forgot the square


class _WrongLinear(nn.Linear):
    def backward_update_gradient(self, x, delta):
        self.weight.grad += x.T @ delta * 1.001


def test_gradcheck_catches_a_wrong_input_gradient(rng):
    with pytest.raises(nn.GradcheckError, match=r"_WrongTanh\(\) input: gradient mismatch, worst at \("):
        nn.gradcheck(_WrongTanh(), nn.asarray(rng.standard_normal((3, 5))))


def test_gradcheck_catches_a_slightly_wrong_parameter_gradient(rng):
    with pytest.raises(nn.GradcheckError, match="parameter 'weight'"):
        nn.gradcheck(_WrongLinear(5, 3), nn.asarray(rng.standard_normal((7, 5))))


def test_gradcheck_catches_wrong_gradient_along_random_directions(rng):
    with pytest.raises(nn.GradcheckError, match="random direction"):
        nn.gradcheck(_WrongLinear(50, 50), nn.asarray(rng.standard_normal((3, 50))), max_elements=100)


def test_gradcheck_of_a_loss_needs_targets():
    with pytest.raises(ValueError, match="needs targets"):
        nn.gradcheck(nn.MSELoss(), nn.asarray(np.zeros((2, 2))))
