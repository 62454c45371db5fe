"""Module and Parameter: the course API every layer, activation and container implements.

A module maps an input batch to an output batch and knows its own backward:

    y = m(x)                                 # forward; in training mode it also keeps what backward needs
    dx = m.backward(delta)                   # parameter gradients (+=) and dL/dx, from what m(x) kept
    y = m.forward(x)                         # the course API: forward only, nothing kept
    m.backward_update_gradient(x, delta)     # accumulates dL/dparam into each param.grad (+=), at this x
    dx = m.backward_delta(x, delta)          # returns dL/dx at this x, the delta for the previous module
    m.update_parameters(lr)                  # plain gradient step: param.data -= lr * param.grad
    m.zero_grad()
"""

from __future__ import annotations

from collections.abc import Iterator

from . import backends
from .exceptions import DTypeError, ShapeError
from .input_spec import ANY_INPUT, InputSpec


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


class Saved:
    """What one forward kept for its backward: the module's own ``state``, the shape and dtype of its output ``y``
    (not y itself: a delta of another shape or dtype is refused before it meets any array) and, for modules with
    course-style backward methods, x."""

    __slots__ = ("input", "out_dtype", "out_shape", "state")

    def __init__(self, state, y, x=None) -> None:
        self.state = state
        self.out_shape = y.shape
        self.out_dtype = y.dtype
        self.input = x

    def check_delta(self, module: Module, delta) -> None:
        """delta fits the output this record belongs to: an array of the active device, of its shape and dtype
        (a float64 or integer delta would carry float64 into every gradient before it); raises naming module."""
        if getattr(delta, "shape", None) != self.out_shape:
            backends.require_array(delta, module)
            raise ShapeError(f"{module._label()}: expected delta {tuple(self.out_shape)} (the shape of this "
                             f"module's output), got {tuple(delta.shape)}")
        if delta.dtype != self.out_dtype:
            raise DTypeError(f"{module._label()}: expected a {self.out_dtype} delta (the dtype of this module's "
                             f"output), got {delta.dtype}")


def _defined_below(cls: type, method: str, than: str) -> bool:
    """Whether cls's ``method`` comes from a class more derived than the one its ``than`` comes from."""
    def owner(name: str) -> int:
        return next(i for i, klass in enumerate(cls.__mro__) if name in vars(klass))
    return owner(method) < owner(than)


class Module:
    """Base class of every layer, activation and container.

    Two ways to write a module:

    - **The course way**: override ``forward(x)``, ``backward_update_gradient(x, delta)`` (if it has parameters)
      and ``backward_delta(x, delta)``. Each backward gets x and computes what it needs from it; ``m(x)`` keeps
      x, so ``m.backward(delta)`` works too.
    - **The saved-state way** (every built-in layer): override ``_forward(x) -> (y, state)``, returning what the
      backward needs, and ``_backward_input(state, delta) -> dx`` (and ``_backward_params(state, delta)`` if it
      has parameters). ``m(x)`` keeps the state in training mode (eval mode keeps nothing); ``m.backward(delta)``
      uses it; the course calls with an explicit x rebuild it from that x with ``_replay(x)``, which draws no new
      random numbers and changes no running statistics (override it where ``_forward`` has such side effects).

    ``input_spec`` (an InputSpec) says what the module accepts; it is checked before any forward, so every error
    names the module, the expected and the actual input. Parameters, buffers and child modules are registered by
    attribute assignment, in insertion order, so traversal is deterministic."""

    input_spec: InputSpec = ANY_INPUT
    _course_forward = _course_params = _course_input = False  # which course-style methods a class overrides

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        cls._course_forward = _defined_below(cls, "forward", "_forward")
        cls._course_params = _defined_below(cls, "backward_update_gradient", "_backward_params")
        cls._course_input = _defined_below(cls, "backward_delta", "_backward_input")
        if cls._course_forward and not cls._course_input:
            owner = next(k for k in cls.__mro__ if "_backward_input" in vars(k))
            if owner is not Module:
                raise TypeError(f"{cls.__name__} overrides forward but inherits {owner.__name__}'s backward, which "
                                "reads the state its _forward keeps: override backward_delta (and "
                                "backward_update_gradient) too, or override _forward instead")

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_saved", None)

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
        """y = forward(x); in training mode also keep what ``backward(delta)`` needs (in eval mode nothing)."""
        state = self.__dict__  # plain slots, not parameters: skip the registering __setattr__ (hot path)
        state["_saved"] = None  # free the last call's arrays before this call allocates its own
        if not self.training:
            if self._course_forward:
                self.input_spec.check(self, x)
            return self.forward(x)
        y, state["_saved"] = self.forward_with_state(x)
        return y

    def forward(self, x):
        """x -> output, keeping nothing. Course-style modules override it; the built-in ones run ``_forward``."""
        self.input_spec.check(self, x)
        return self._forward(x)[0]

    def backward_update_gradient(self, x, delta) -> None:
        """Accumulate the gradient of the loss w.r.t. this module's parameters, at input x (none by default)."""
        backends.require_array(delta, self)
        _, saved = self.replay_with_state(x)
        self.backward_with_state(saved, delta, input_grad=False)

    def backward_delta(self, x, delta):
        """Return the gradient of the loss w.r.t. the input x, given delta = dL/doutput."""
        backends.require_array(delta, self)
        _, saved = self.replay_with_state(x)
        return self.backward_with_state(saved, delta, param_grads=False)

    def backward(self, delta, input_grad: bool = True):
        """Backward through the last training-mode ``module(x)`` call: accumulate parameter gradients and return
        dL/dx (None when input_grad is False, which skips that product where nobody needs it)."""
        saved = self._saved
        if saved is None:
            raise RuntimeError(f"{self._label()}: backward(delta) needs a previous call module(x) in training "
                               "mode (call forward(x) before any backward; in eval mode nothing is kept: use "
                               "backward_delta(x, delta))")
        backends.require_array(delta, self)
        return self.backward_with_state(saved, delta, input_grad)

    def zero_grad(self) -> None:
        """Zero every parameter gradient in place."""
        for p in self.parameters():
            p.zero_grad()

    def update_parameters(self, lr: float = 1e-3) -> None:
        """The course's plain gradient step, in place: param.data -= lr * param.grad."""
        for p in self.parameters():
            backends.axpy(-float(lr), p.grad, p.data)

    # ------------------------------------------------------------ forward and backward with explicit state
    def forward_with_state(self, x) -> tuple:
        """(y, Saved): check x against ``input_spec``, run the forward, and return what its backward needs.
        Containers run their children this way and keep the children's Saved records themselves."""
        self.input_spec.check(self, x)
        y, state = (self.forward(x), None) if self._course_forward else self._forward(x)
        return y, Saved(state, y, x if self._course_params or self._course_input else None)

    def replay_with_state(self, x) -> tuple:
        """Like forward_with_state, for the course calls with an explicit x: no new random draws, no running
        statistics changed."""
        if x is None:
            return self.backward_saved()
        self.input_spec.check(self, x)
        y, state = (self.forward(x), None) if self._course_forward else self._replay(x)
        return y, Saved(state, y, x if self._course_params or self._course_input else None)

    def backward_saved(self) -> tuple:
        """(None, the Saved record of the last training-mode call), or a RuntimeError explaining what is missing."""
        if self._saved is None:
            raise RuntimeError(f"{self._label()}: call forward(x) before any backward call (backward needs a "
                               "previous call module(x) in training mode)")
        return None, self._saved

    def backward_with_state(self, saved: Saved, delta, input_grad: bool = True, param_grads: bool = True):
        """Backward from a Saved record: accumulate parameter gradients (if param_grads) and return dL/dx (or None
        when input_grad is False). delta must have the shape and dtype of the output that record belongs to (the public
        calls above also check that it is an array of the active device; containers pass their own)."""
        saved.check_delta(self, delta)
        if not (self._course_params or self._course_input):
            return self._backward(saved.state, delta, input_grad, param_grads)
        if param_grads:  # a course-style method (the module's own, or a subclass's override of a built-in one)
            if self._course_params:
                self.backward_update_gradient(saved.input, delta)
            else:
                self._backward_params(saved.state, delta)
        if not input_grad:
            return None
        return self.backward_delta(saved.input, delta) if self._course_input else self._backward_input(saved.state,
                                                                                                     delta)

    # ------------------------------------------------------------ what subclasses implement (saved-state way)
    def _forward(self, x) -> tuple:
        """(y, state): the forward, and what its backward needs. Subclasses implement it (or forward)."""
        raise NotImplementedError(f"{type(self).__name__} implements neither forward(x) nor _forward(x)")

    def _replay(self, x) -> tuple:
        """(y, state) for x as ``_forward`` gives them, without its side effects (the default: it has none)."""
        return self._forward(x)

    def _backward(self, state, delta, input_grad: bool, param_grads: bool):
        """Parameter gradients, then dL/dx; containers override it to make one reverse pass."""
        if param_grads:
            self._backward_params(state, delta)
        return self._backward_input(state, delta) if input_grad else None

    def _backward_params(self, state, delta) -> None:
        """Accumulate parameter gradients from the state (nothing for a module without parameters)."""

    def _backward_input(self, state, delta):
        """dL/dx from the state. Subclasses implement it (or backward_delta)."""
        raise NotImplementedError(f"{type(self).__name__} implements neither backward_delta nor _backward_input")

    # ------------------------------------------------------------ losses that modules add
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

    # ------------------------------------------------------------ copies and pickles carry no saved state
    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_saved"] = None
        return state

    # ------------------------------------------------------------ shapes and display
    def output_shape(self, input_shape: tuple) -> tuple:
        """Shape of one output sample for one input sample of ``input_shape`` (batch excluded)."""
        return tuple(input_shape)

    def _label(self) -> str:
        """How error messages name this module: its repr (containers, whose reprs span lines, their class)."""
        return repr(self)

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"
