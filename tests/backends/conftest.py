"""The backend tests check the CPU kernels at every size: the CPU backend sends activations under
``kernels.ELEMENTWISE_WORK`` elements to the array code, so without this small test arrays would check that code
against itself."""

from __future__ import annotations

import pytest

from pyldl_gpu.backends.cpu import kernels


@pytest.fixture(autouse=True)
def _kernels_at_every_size(monkeypatch):
    monkeypatch.setattr(kernels, "ELEMENTWISE_WORK", 0)
