"""Sequential, AutoEncoder and Siamese: modules that combine other modules."""

from __future__ import annotations

from collections.abc import Iterator

from .. import backends
from ..exceptions import DeviceError, DTypeError, ShapeError
from ..input_spec import ANY, InputSpec
from ..module import Module
from . import _fused


def _forward_only(module: Module, x) -> tuple:
    return module.forward(x), None


class _Records(list):
    """A chain's state: its children's Saved records, and where two children ran as one fused operation
    (``pairs``: the first one's index -> relu_first; see _fused.py)."""

    pairs: dict


def _label_error(error, label: str, i: int):
    return type(error)(f"{label} layer {i}: {error}").with_traceback(error.__traceback__)


class Sequential(Module):
    """Chains modules: forward runs them in order, backward in reverse.

    Children are named '0', '1', ... so parameter names read '0.weight', '2.bias'. The chain's state is the list
    of its children's Saved records; ``backward(delta)`` does parameter gradients and deltas in one reverse pass
    and skips the first module's input gradient when nobody asks for it. A ReLU next to a max pool (either order)
    runs as one fused backend operation, forward and backward, each keeping its own record (_fused.py)."""

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        self._layers: list[Module] = []
        for m in modules:
            self.append(m)

    def append(self, module: Module) -> Sequential:
        """Add a module at the end; returns self."""
        return self._add(str(len(self._layers)), module)

    def _add(self, name: str, module: Module) -> Sequential:
        if not isinstance(module, Module):
            raise TypeError(f"{type(self).__name__} takes Modules, got {type(module).__name__}")
        setattr(self, name, module)
        self._layers.append(module)
        return self

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Sequential(*self._layers[index])
        return self._layers[index]

    def __len__(self) -> int:
        return len(self._layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._layers)

    def _run(self, x, run, keep: bool = True):
        """run (Module.forward_with_state or replay_with_state) through the chain, fused pairs as one operation;
        a child's input error says where in the chain it stands."""
        saved, layers, i = _Records(), self._layers, 0
        saved.pairs = {}
        while i < len(layers):
            relu_first = _fused.pair_at(layers, i)
            try:
                if relu_first is not None:
                    pool = layers[i + 1] if relu_first else layers[i]
                    x, records = _fused.forward(pool, x, relu_first, keep)
                    saved.pairs[i] = relu_first
                    saved.extend(records or (None, None))
                    i += 2
                    continue
                x, record = run(layers[i], x)
            except (ShapeError, DTypeError, DeviceError) as error:
                at = i + 1 if relu_first else i  # a pair's check is its pool's
                raise _label_error(error, self._label(), at) from None
            saved.append(record)
            i += 1
        return x, saved

    def _forward(self, x):
        return self._run(x, Module.forward_with_state)

    def forward(self, x):
        """The chain's output, keeping nothing (eval-mode calls and the course API's forward)."""
        return self._run(x, _forward_only, keep=False)[0]

    def _replay(self, x):
        return self._run(x, Module.replay_with_state)

    def _backward(self, saved, delta, input_grad: bool, param_grads: bool):
        pairs = getattr(saved, "pairs", {})
        i = len(self._layers) - 1
        while i >= 0:
            if i - 1 in pairs:  # a fused pair ends here: one backward for both (neither has parameters)
                relu_first = pairs[i - 1]
                if i - 1 == 0 and not input_grad:
                    return None
                pool = self._layers[i] if relu_first else self._layers[i - 1]
                delta = _fused.backward(pool, saved[i - 1:i + 1], relu_first, delta)
                i -= 2
                continue
            delta = self._layers[i].backward_with_state(saved[i], delta, input_grad or i > 0, param_grads)
            i -= 1
        return delta

    def output_shape(self, input_shape: tuple) -> tuple:
        for m in self._layers:
            input_shape = m.output_shape(input_shape)
        return input_shape

    def _default_input_shape(self) -> tuple | None:
        for m in self._layers:
            if hasattr(m, "in_features"):
                return (m.in_features,)
            if isinstance(m, Sequential):
                return m._default_input_shape()
            return None
        return None

    def summary(self, input_shape: tuple | None = None, print_fn=print) -> str:
        """Print and return a table of each layer, its output shape (batch first) and parameter count.
        input_shape is one sample's shape; it is inferred from a leading Linear when omitted."""
        shape = tuple(input_shape) if input_shape is not None else self._default_input_shape()
        rows = [("layer", "output shape", "params")]
        for i, m in enumerate(self._layers):
            if shape is not None:
                shape = m.output_shape(shape)
                shown = "(batch, " + ", ".join(map(str, shape)) + ")"
            else:
                shown = "?"
            rows.append((f"{i}: {m!r}", shown, f"{m.num_parameters():,}"))
        total = self.num_parameters()
        widths = [max(len(r[c]) for r in rows) for c in range(3)]
        line = "-" * (sum(widths) + 4)
        text = [line, f"{rows[0][0]:<{widths[0]}}  {rows[0][1]:<{widths[1]}}  {rows[0][2]:>{widths[2]}}", line]
        text += [f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:>{widths[2]}}" for a, b, c in rows[1:]]
        text += [line, f"total parameters: {total:,}"]
        report = "\n".join(text)
        if print_fn is not None:
            print_fn(report)
        return report

    def _label(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        inner = "\n".join(f"  ({i}): {m!r}".replace("\n", "\n  ") for i, m in enumerate(self._layers))
        return f"{type(self).__name__}(\n{inner}\n)" if inner else f"{type(self).__name__}()"


class AutoEncoder(Sequential):
    """encoder then decoder: forward(x) = decode(encode(x)). Both parts are modules (often Sequential)."""

    def __init__(self, encoder: Module, decoder: Module) -> None:
        super().__init__()
        self._add("encoder", encoder)
        self._add("decoder", decoder)

    def encode(self, x):
        """x -> latent code."""
        return self.encoder(x)

    def decode(self, z):
        """latent code -> reconstruction."""
        return self.decoder(z)


class Siamese(Module):
    """One trunk applied to both members of a pair (weight sharing), a head on the two feature vectors, and
    optional auxiliary heads on each member's features.

    x: (batch, 2, *sample). The trunk sees (2 * batch, *sample) -> features (2 * batch, F); the head sees the
    pair's features side by side, (batch, 2 * F) -> (batch, K); ``aux`` maps (2 * batch, F) -> (2 * batch, A).
    Output: (batch, K) without aux, else (batch, K + 2 * A) = [head | aux of member 1 | aux of member 2], the
    layout ``MultiTaskLoss`` splits. Backward sends each part's gradient back and adds them in the trunk."""

    input_spec = InputSpec(("batch", 2, ANY))

    def __init__(self, trunk: Module, head: Module, aux: Module | None = None) -> None:
        super().__init__()
        self.trunk, self.head = trunk, head
        if aux is not None:
            self.aux = aux

    def _run(self, x, run):
        """run is Module.forward_with_state or Module.replay_with_state; state: the parts' Saved records."""
        b = x.shape[0]
        features, trunk = run(self.trunk, x.reshape(2 * b, *x.shape[2:]))
        if features.ndim != 2:
            raise ShapeError(f"{self._label()}: the trunk must output (2 * batch, features), "
                             f"got {tuple(features.shape)}; end it with Flatten()")
        main, head = run(self.head, features.reshape(b, -1))
        if "aux" not in self._modules:
            return main, (trunk, head, None)
        extra, aux = run(self.aux, features)
        return backends.xp().concatenate([main, extra.reshape(b, -1)], axis=1), (trunk, head, aux)

    def _forward(self, x):
        return self._run(x, Module.forward_with_state)

    def _replay(self, x):
        return self._run(x, Module.replay_with_state)

    def _backward(self, state, delta, input_grad: bool, param_grads: bool):
        xp, (trunk, head, aux), b = backends.xp(), state, delta.shape[0]
        k = head.out_shape[1]
        d_features = self.head.backward_with_state(head, xp.ascontiguousarray(delta[:, :k]), True, param_grads)
        d_features = d_features.reshape(2 * b, -1)
        if aux is not None:
            d_aux = xp.ascontiguousarray(delta[:, k:]).reshape(aux.out_shape)
            d_features = d_features + self.aux.backward_with_state(aux, d_aux, True, param_grads)  # both heads read
        d_x = self.trunk.backward_with_state(trunk, d_features, input_grad, param_grads)  # the features: they add
        return None if d_x is None else d_x.reshape(b, 2, *d_x.shape[1:])

    def _label(self) -> str:
        return type(self).__name__
