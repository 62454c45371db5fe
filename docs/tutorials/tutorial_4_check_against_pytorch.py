"""
Check your layer against PyTorch
================================

A gradient check proves a backward matches its own forward. It cannot tell whether the forward is the computation
you meant. A second, independent implementation can. When PyTorch is installed (``pip install torch``, CPU only is
enough), this tutorial compares a pyldl_gpu layer with PyTorch's autograd: the output, the input gradient and
every parameter gradient, in float64. Without PyTorch it says so and stops.
"""

# %%
# PyTorch, if it is there
# -----------------------

import importlib.util

import numpy as np

import pyldl_gpu as nn

HAVE_TORCH = importlib.util.find_spec("torch") is not None
print("PyTorch installed:", HAVE_TORCH)

# %%
# A comparison helper
# -------------------
# Both libraries get the same float64 input, the same weights and the same upstream delta. Ours runs the course
# API: ``forward``, ``backward_update_gradient`` and ``backward_delta``. PyTorch runs ``backward`` on
# :math:`\sum y \odot \delta`, whose gradients are exactly those of a backward pass with delta :math:`\delta`.
# pyldl_gpu is channels-last and PyTorch channels-first, so ``to_torch`` and ``from_torch`` convert the layouts.


def compare(ours, theirs, x, to_torch, from_torch, weights) -> dict:
    """Max abs differences of output, input gradient and each named parameter gradient."""
    import torch

    rng = np.random.default_rng(0)
    with nn.default_dtype("float64"):
        for p in ours.parameters():
            p.data = nn.asarray(nn.to_numpy(p.data).astype("float64"))
            p.grad = nn.xp().zeros_like(p.data)
        x_ours = nn.asarray(x)
        y = ours.forward(x_ours)
        delta = rng.standard_normal(tuple(y.shape))
        ours.zero_grad()
        ours.backward_update_gradient(x_ours, nn.asarray(delta))
        dx = ours.backward_delta(x_ours, nn.asarray(delta))

    theirs = theirs.double()
    for name, (ours_param, layout) in weights.items():
        getattr(theirs, name).data = torch.from_numpy(layout(nn.to_numpy(ours_param.data)).copy())
    x_torch = torch.from_numpy(to_torch(x).copy()).requires_grad_(True)
    y_torch = theirs(x_torch)
    (y_torch * torch.from_numpy(to_torch(delta).copy())).sum().backward()
    report = {"output": np.abs(from_torch(y_torch.detach().numpy()) - nn.to_numpy(y)).max(),
              "input gradient": np.abs(from_torch(x_torch.grad.numpy()) - nn.to_numpy(dx)).max()}
    for name, (ours_param, layout) in weights.items():
        theirs_grad = getattr(theirs, name).grad.numpy()
        report[f"{name} gradient"] = np.abs(layout(nn.to_numpy(ours_param.grad)) - theirs_grad).max()
    return report


# %%
# A convolution, with stride and padding
# --------------------------------------
# Our ``Conv2D`` weight is ``(kh, kw, chan_in, chan_out)``. PyTorch's is ``(chan_out, chan_in, kh, kw)``. Odd
# sizes everywhere, so that no transposition can hide.

if HAVE_TORCH:
    import torch

    nn.manual_seed(0)
    conv = nn.Conv2D((3, 5), 3, 4, stride=(2, 1), padding=(1, 2))
    x = np.random.default_rng(1).standard_normal((5, 9, 11, 3))
    report = compare(
        conv, torch.nn.Conv2d(3, 4, (3, 5), stride=(2, 1), padding=(1, 2)), x,
        to_torch=lambda a: a.transpose(0, 3, 1, 2), from_torch=lambda a: a.transpose(0, 2, 3, 1),
        weights={"weight": (conv.weight, lambda w: w.transpose(3, 2, 0, 1)), "bias": (conv.bias, lambda b: b)})
    for name, error in report.items():
        print(f"Conv2D {name}: max |ours - PyTorch| = {error:.2e}")
    assert max(report.values()) < 1e-10

# %%
# Your own layer
# --------------
# The same helper checks a layer you wrote, here the ``Scale`` layer of the first tutorial against an equivalent
# PyTorch module. An error of about 1e-15 means the same function. An error of order 1 means a different one,
# even when each library's gradient check passes.


class Scale(nn.Module):
    """y = x * a + c per feature (the first tutorial's layer)."""

    def __init__(self, features: int) -> None:
        super().__init__()
        self.a = nn.Parameter(nn.xp().linspace(0.5, 2.0, features, dtype=nn.floatx()), "a")
        self.c = nn.Parameter(nn.xp().zeros(features, dtype=nn.floatx()), "c")

    def forward(self, x):
        return x * self.a.data + self.c.data

    def backward_update_gradient(self, x, delta):
        self.a.accumulate((delta * x).sum(axis=0))
        self.c.accumulate(delta.sum(axis=0))

    def backward_delta(self, x, delta):
        return delta * self.a.data


if HAVE_TORCH:

    class TorchScale(torch.nn.Module):
        def __init__(self, features: int) -> None:
            super().__init__()
            self.a = torch.nn.Parameter(torch.ones(features))
            self.c = torch.nn.Parameter(torch.zeros(features))

        def forward(self, x):
            return x * self.a + self.c

    layer = Scale(7)
    x = np.random.default_rng(2).standard_normal((5, 7))
    report = compare(layer, TorchScale(7), x, to_torch=lambda a: a, from_torch=lambda a: a,
                     weights={"a": (layer.a, lambda a: a), "c": (layer.c, lambda c: c)})
    for name, error in report.items():
        print(f"Scale {name}: max |ours - PyTorch| = {error:.2e}")
    assert max(report.values()) < 1e-12
else:
    print("PyTorch is not installed: pip install torch, then run this tutorial again")
