"""Fused activation pairs (kernels/activations.cu): relu, sigmoid and their backward passes, tanh's backward; one
pass over memory each instead of up to three. tanh's forward stays CuPy's own (already one kernel)."""

from __future__ import annotations

from ..backend import Backend
from .launch import KernelOps
from .sources import Family, Kernel

UNARY = ("const T*", "T*", "long long")  # x, y, n
BACKWARD = ("const T*", "const T*", "T*", "long long")  # y, delta, dx, n
FAMILY = Family("activations", "activations.cu", (
    Kernel("relu_forward", UNARY), Kernel("relu_backward", BACKWARD), Kernel("tanh_backward", BACKWARD),
    Kernel("sigmoid_forward", UNARY), Kernel("sigmoid_backward", BACKWARD)))


class ActivationKernels(KernelOps):
    family = FAMILY
    operations = ("relu", "relu_backward", "tanh_backward", "sigmoid", "sigmoid_backward")

    def _unary(self, kernel: str, fallback, x):
        t = self.floats(x)
        if t is None:
            return fallback(self.backend, x)
        y = self.xp.empty_like(x)
        self.run(kernel, (t,), x.size, x, y, x.size)
        return y

    def _backward(self, kernel: str, fallback, y, delta):
        t = self.floats(y, delta)
        if t is None or y.shape != delta.shape:
            return fallback(self.backend, y, delta)
        dx = self.xp.empty_like(delta)
        self.run(kernel, (t,), y.size, y, delta, dx, y.size)
        return dx

    def relu(self, x):
        return self._unary("relu_forward", Backend.relu, x)

    def relu_backward(self, y, delta):
        return self._backward("relu_backward", Backend.relu_backward, y, delta)

    def tanh_backward(self, y, delta):
        return self._backward("tanh_backward", Backend.tanh_backward, y, delta)

    def sigmoid(self, x):
        return self._unary("sigmoid_forward", Backend.sigmoid, x)

    def sigmoid_backward(self, y, delta):
        return self._backward("sigmoid_backward", Backend.sigmoid_backward, y, delta)
