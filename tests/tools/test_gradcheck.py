"""gradcheck itself: it checks large modules along random directions and catches wrong gradients."""

from __future__ import annotations

import pytest

import pyldl_gpu as nn
from pyldl_gpu import backends

np = backends.host()


def test_large_module_is_checked_along_random_directions(rng):
    module = nn.Sequential(nn.Linear(61, 47), nn.Tanh())  # weight has 2867 entries > max_elements
    report = nn.gradcheck(module, nn.asarray(rng.standard_normal((5, 61))), max_elements=500)
    assert len(report) == 3


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
