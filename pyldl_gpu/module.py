"""Module and Parameter: the course API every layer, activation and container implements.

A module maps an input batch to an output batch and knows its own backward:

    y = m.forward(x)                         # also m(x), which caches x and y for m.backward
    m.backward_update_gradient(x, delta)     # accumulates dL/dparam into each param.grad (+=)
    dx = m.backward_delta(x, delta)          # returns dL/dx, the delta for the previous module
    m.update_parameters(lr)                  # plain gradient step: param.data -= lr * param.grad
    m.zero_grad()
"""

from __future__ import annotations

from collections.abc import Iterator

from . import backends
from .exceptions import DTypeError, ShapeError


class Parameter:
    """A trainable array with its gradient buffer, allocated once on the same device and dtype.

    ``zero_grad()`` only marks the buffer stale (O(1)); the first ``accumulate*`` call of the next backward
    then overwrites it instead of adding, which saves a fill and a temporary per step (``matmul(out=)``).
    Reading ``.grad`` while stale zeroes the buffer first, so ``p.grad += g`` in a user's module stays right."""

    __slots__ = ("_grad", "_grad_stale", "data", "name")

    def __init__(self, data, name: str = "") -> None:
        self.data = data
        self._grad = backends.xp().zeros_like(data)
        self._grad_stale = False
        self.name = name

    @property
    def grad(self):
        """dL/d(data), same shape, dtype and device as data."""
        if self._grad_stale:
            self._grad.fill(0)
            self._grad_stale = False
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        self._grad = value
        self._grad_stale = False

    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def size(self) -> int:
        return int(self.data.size)

    def zero_grad(self) -> None:
        """Zero the gradient (lazily: the buffer is reused, never reallocated)."""
        self._grad_stale = True

    def accumulate(self, value) -> None:
        """grad += value."""
        if self._grad_stale:
            self._grad[...] = value
            self._grad_stale = False
        else:
            self._grad += value

    def accumulate_matmul(self, a, b) -> None:
        """grad += a @ b, written in place by the GEMM when the gradient was just zeroed. The product may
        have another shape of the same size (a conv kernel (kh, kw, cin, cout) as (kh * kw * cin, cout))."""
        grad = self._grad if self._grad.ndim == 2 else self._grad.reshape(a.shape[0], b.shape[1])
        if self._grad_stale:
            backends.xp().matmul(a, b, out=grad)
            self._grad_stale = False
        else:
            grad += a @ b

    def accumulate_sum(self, value, axis) -> None:
        """grad += value.sum(axis)."""
        if self._grad_stale:
            value.sum(axis=axis, out=self._grad)
            self._grad_stale = False
        else:
            self._grad += value.sum(axis=axis)

    def __repr__(self) -> str:
        return f"Parameter({self.name or '?'}, shape={tuple(self.data.shape)}, dtype={self.data.dtype})"


class Module:
    """Base class: subclasses implement forward, backward_delta and (if they own parameters)
    backward_update_gradient. Parameters and child modules are registered by attribute assignment,
    in insertion order, so traversal is deterministic."""

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_input", None)
        object.__setattr__(self, "_output", None)

    def __setattr__(self, name: str, value) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}.__init__ must call super().__init__() first")
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        if name in self._buffers:
            self._buffers[name] = value
        elif isinstance(value, Parameter):
            if not value.name:
                value.name = name
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    # ------------------------------------------------------------ the course API
    def __call__(self, x):
        """Forward pass that also caches x and the output, so ``backward(delta)`` needs no x."""
        state = self.__dict__  # plain slots, not parameters: skip the registering __setattr__ (hot path)
        state["_input"] = x
        out = self.forward(x)
        state["_output"] = out
        return out

    def forward(self, x):
        """x -> output. Subclasses implement it."""
        raise NotImplementedError(f"{type(self).__name__} does not implement forward")

    def backward_update_gradient(self, x, delta) -> None:
        """Accumulate the gradient of the loss w.r.t. this module's parameters (none by default)."""

    def backward_delta(self, x, delta):
        """Return the gradient of the loss w.r.t. the input x, given delta = dL/doutput."""
        raise NotImplementedError(f"{type(self).__name__} does not implement backward_delta")

    def backward(self, delta, input_grad: bool = True):
        """Backward through the last ``module(x)`` call: accumulate parameter gradients and return dL/dx
        (None when input_grad is False, which skips that product where nobody needs it)."""
        x = self._input
        if x is None:
            raise RuntimeError(f"{self!r}: backward(delta) needs a previous call module(x)")
        self.backward_update_gradient(x, delta)
        return self.backward_delta(x, delta) if input_grad else None

    def zero_grad(self) -> None:
        """Zero every parameter gradient in place."""
        for p in self.parameters():
            p.zero_grad()

    def update_parameters(self, lr: float = 1e-3) -> None:
        """The course's plain gradient step, in place: param.data -= lr * param.grad."""
        for p in self.parameters():
            backends.axpy(-float(lr), p.grad, p.data)

    def extra_loss(self):
        """A penalty this module adds to the training loss (a device scalar), or None."""
        return None

    def adds_penalty(self) -> bool:
        """Whether this module's class overrides extra_loss (trainers and gradient checks add it to the loss)."""
        return type(self).extra_loss is not Module.extra_loss

    def register_buffer(self, name: str, array) -> None:
        """Register state that is saved and restored with the parameters but not trained
        (e.g. BatchNorm's running statistics). Update it in place or by assignment."""
        self._buffers[name] = array
        object.__setattr__(self, name, array)

    # ------------------------------------------------------------ traversal
    def children(self) -> Iterator[Module]:
        yield from self._modules.values()

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """(dotted prefix, module) for this module and all its descendants, depth first, each module once."""
        seen: set[int] = set()

        def walk(m: Module, pre: str) -> Iterator[tuple[str, Module]]:
            if id(m) in seen:
                return
            seen.add(id(m))
            yield pre, m
            for name, child in m._modules.items():
                yield from walk(child, f"{pre}{name}.")

        return walk(self, prefix)

    def modules(self) -> Iterator[Module]:
        """This module and all its descendants, depth first, each once."""
        return (m for _, m in self.named_modules())

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) pairs; a parameter shared by two modules appears once."""
        seen: set[int] = set()
        for pre, m in self.named_modules(prefix):
            for name, p in m._parameters.items():
                if id(p) not in seen:
                    seen.add(id(p))
                    yield pre + name, p

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, object]]:
        """(dotted name, array) pairs of every registered buffer, each module once."""
        for pre, m in self.named_modules(prefix):
            for name, array in m._buffers.items():
                yield pre + name, array

    def parameters(self) -> list[Parameter]:
        """Every distinct trainable parameter, in registration order."""
        return [p for _, p in self.named_parameters()]

    def num_parameters(self) -> int:
        return sum(p.size for p in self.parameters())

    # ------------------------------------------------------------ modes
    def train(self, mode: bool = True) -> Module:
        """Training mode (dropout active, batch statistics); returns self."""
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self) -> Module:
        """Inference mode; returns self."""
        return self.train(False)

    # ------------------------------------------------------------ shapes and checks
    def output_shape(self, input_shape: tuple) -> tuple:
        """Shape of one output sample for one input sample of ``input_shape`` (batch excluded)."""
        return tuple(input_shape)

    def _check_input(self, x, trailing: tuple | None = None, ndim: int | None = None, dtype=None):
        """Cheap boundary check: device, ndim, trailing shape and dtype, with a message naming this module."""
        backends.require_array(x, self)
        if ndim is not None and x.ndim != ndim:
            expected = "(batch, " + ", ".join(map(str, trailing)) + ")" if trailing else f"{ndim}-d"
            raise ShapeError(f"{self!r}: expected input {expected}, got {tuple(x.shape)}")
        if trailing is not None and tuple(x.shape[x.ndim - len(trailing):]) != tuple(trailing):
            expected = "(batch, " + ", ".join(map(str, trailing)) + ")"
            raise ShapeError(f"{self!r}: expected input {expected}, got {tuple(x.shape)}")
        if dtype is not None and x.dtype != dtype:
            raise DTypeError(f"{self!r}: expected {dtype} input, got {x.dtype} (convert with pyldl_gpu.asarray(x))")
        return x

    def _cached_output(self, x):
        """The output of the last ``self(x)`` if it was for this very x, else None."""
        return self._output if x is self._input else None

    # ------------------------------------------------------------ display
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"
