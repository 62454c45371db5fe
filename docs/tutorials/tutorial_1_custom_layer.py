"""
Write your own layer
====================

A layer is a :class:`pyldl_gpu.Module` with a forward and a hand-written backward. This tutorial writes one the
course way, checks its gradients against finite differences with :func:`pyldl_gpu.gradcheck`, shows the check
catching a wrong backward, trains a network that uses the layer, and makes it run on the GPU through the backend.
"""

# %%
# The layer: a learned per-feature scale and shift
# ------------------------------------------------
# ``y = x * a + c`` for ``x`` of shape ``(batch, features)``, with ``a`` and ``c`` of shape ``(features,)``.
# From :math:`y_{bj} = x_{bj} a_j + c_j`, the chain rule gives
# :math:`\partial L/\partial a_j = \sum_b \delta_{bj} x_{bj}`, :math:`\partial L/\partial c_j = \sum_b \delta_{bj}`
# and :math:`\partial L/\partial x_{bj} = \delta_{bj} a_j`.
#
# Every array operation goes through ``nn.xp()``, the active array module: NumPy on the CPU, CuPy on the GPU.
# Parameters are created with ``nn.xp()`` too, in the default float dtype ``nn.floatx()``. That is all it takes
# for the same class to run on either device.

import pyldl_gpu as nn


def add_scale_parameters(module: nn.Module, features: int) -> None:
    """a = 1, c = 0 on the active device, in the default dtype; assigning a Parameter registers it."""
    xp = nn.xp()
    module.a = nn.Parameter(xp.ones(features, dtype=nn.floatx()), "a")
    module.c = nn.Parameter(xp.zeros(features, dtype=nn.floatx()), "c")


class Scale(nn.Module):
    """y = x * a + c per feature. x: (batch, features) -> (batch, features)."""

    def __init__(self, features: int) -> None:
        super().__init__()  # first: it sets up the registries of parameters and children
        add_scale_parameters(self, features)

    def forward(self, x):
        return x * self.a.data + self.c.data

    def backward_update_gradient(self, x, delta):
        self.a.accumulate((delta * x).sum(axis=0))  # gradients ADD up (+=) until zero_grad
        self.c.accumulate(delta.sum(axis=0))

    def backward_delta(self, x, delta):
        return delta * self.a.data


nn.manual_seed(0)
layer = Scale(5)
x = nn.asarray(nn.xp().linspace(-1.0, 1.0, 35, dtype=nn.floatx()).reshape(7, 5))
print(layer(x).shape, layer.parameters())

# %%
# Check the gradients
# -------------------
# :func:`pyldl_gpu.gradcheck` copies the inputs and parameters to float64 and compares the analytic gradients
# with central finite differences of :math:`f(x) = \sum \text{forward}(x) \odot R` for a fixed random :math:`R`.
# Use odd, unequal sizes so that a transposed index cannot hide. It returns the largest gradient entry of each
# variable, and raises :class:`pyldl_gpu.GradcheckError` at the first mismatch.

layer.a.data[...] = nn.asarray([0.5, -1.0, 2.0, 1.5, 0.25])  # not all ones: a stricter test
report = nn.gradcheck(layer, x)
for name, largest in report.items():
    print(f"{name}: ok (largest |gradient| {largest:.3f})")

# %%
# A wrong backward is caught
# --------------------------
# Forget the ``x`` in the scale's gradient, a typical slip, and the check names the variable, the worst entry,
# and both values:


class BrokenScale(Scale):
    def backward_update_gradient(self, x, delta):
        self.a.accumulate(delta.sum(axis=0))  # wrong: dL/da needs x
        self.c.accumulate(delta.sum(axis=0))


try:
    nn.gradcheck(BrokenScale(5), x)
except nn.GradcheckError as error:
    print("caught:", error)

# %%
# Train a network that uses it
# ----------------------------
# The layer composes with the built-in ones. Here it learns to undo a known scaling of the inputs in front of a
# classifier on scikit-learn's digits. ``fit`` drives the course API: ``net(x)``, the loss's backward, then
# ``net.backward(delta)``, which calls our ``backward_update_gradient`` and ``backward_delta`` with the x the base
# class kept.

from pyldl_gpu import datasets  # noqa: E402

images, labels = datasets.load_digits()
inputs = images.reshape(len(images), -1) * 3.0 - 1.0  # badly scaled on purpose
net = nn.Sequential(Scale(64), nn.Linear(64, 64, init="he"), nn.ReLU(), nn.Linear(64, 10))
history = nn.Optim(net, nn.CrossEntropyLoss(), nn.Adam(net, lr=3e-3)).fit(
    inputs[:1400], labels[:1400], epochs=15, batch_size=32, metrics=["accuracy"],
    validation_data=(inputs[1400:], labels[1400:]), verbose=False)
print(f"validation accuracy after {history.epochs} epochs: {history['val_accuracy'][-1]:.3f}")
assert history["val_accuracy"][-1] > 0.9

# %%
# Run it on the GPU
# -----------------
# Nothing in ``Scale`` names NumPy, so it runs on whichever device is active: ``PYLDL_DEVICE=cuda python
# tutorial_1_custom_layer.py``, ``nn.set_device("cuda")``, or a ``with nn.device("cuda"):`` block. Arrays must be
# on the active device: :func:`pyldl_gpu.asarray` moves host data there, and :func:`pyldl_gpu.to_numpy` brings
# results back. Mixing devices raises :class:`pyldl_gpu.DeviceError` with the fix in its message. On a machine
# without a usable GPU, this cell runs the same check on the CPU and says why.

device = "cuda" if nn.cuda_is_available() else "cpu"
with nn.device(device):
    nn.manual_seed(0)
    on_device = Scale(5)
    y = on_device(nn.asarray([[1.0, 2.0, 3.0, 4.0, 5.0]]))
    dx = on_device.backward(nn.xp().ones_like(y))
    print(f"ran on {nn.get_device()}: y = {nn.to_numpy(y)}, dx = {nn.to_numpy(dx)}")
if device == "cpu":
    print("no usable CUDA device here (python -m pyldl_gpu says why); the same code runs there unchanged")

# %%
# The saved-state way
# -------------------
# The built-in layers avoid recomputing: ``_forward(x)`` returns the output *and* the state the backward needs,
# and ``_backward_params(state, delta)`` and ``_backward_input(state, delta)`` read it. For ``Scale`` the state is
# just ``x``. Both forms pass the same gradient check. Setting ``self.input_spec =
# pyldl_gpu.input_spec.InputSpec(("batch", features))`` in ``__init__`` has wrong shapes refused with the module's
# name, before any array is touched, as the built-in layers do.


class FastScale(nn.Module):
    """Scale, keeping x as the forward's state."""

    def __init__(self, features: int) -> None:
        super().__init__()
        add_scale_parameters(self, features)

    def _forward(self, x):
        return x * self.a.data + self.c.data, x

    def _backward_params(self, x, delta):
        self.a.accumulate((delta * x).sum(axis=0))
        self.c.accumulate(delta.sum(axis=0))

    def _backward_input(self, x, delta):
        return delta * self.a.data


print(nn.gradcheck(FastScale(5), x))
