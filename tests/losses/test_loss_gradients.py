"""Finite-difference gradient checks in float64 for every loss, on random odd-sized inputs."""

from __future__ import annotations

import pytest
from cases import LOSSES, loss_inputs

import pyldl_gpu as nn
from pyldl_gpu import backends

np = backends.host()

LOSS_CASES = [
    pytest.param(make, target, pred, shape, id=f"{name}-{shape[0]}x{shape[1]}")
    for name, make, target, pred in LOSSES
    for shape in [(1, 3), (5, 7), (9, 1)]
    if not (target in ("labels", "onehot", "soft") and shape[1] == 1)  # classification needs two classes
]


@pytest.mark.parametrize("make, target_kind, pred_kind, shape", LOSS_CASES)
def test_loss_gradients(make, target_kind, pred_kind, shape, rng):
    y, yhat = loss_inputs(target_kind, pred_kind, shape, rng)
    nn.gradcheck(make(), nn.asarray(yhat), nn.asarray(y))
