"""Sequential and AutoEncoder: modules that chain other modules."""

from __future__ import annotations

from collections.abc import Iterator

from .module import Module


class Sequential(Module):
    """Chains modules: forward runs them in order, backward in reverse.

    Children are named '0', '1', ... so parameter names read '0.weight', '2.bias'.
    The course API works on the whole chain; ``backward(delta)`` does parameter gradients and deltas
    in one pass and skips the first module's input gradient when nobody asks for it."""

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

    def forward(self, x):
        for m in self._layers:
            x = m(x)
        return x

    def _inputs(self) -> list:
        inputs = [m._input for m in self._layers]
        if any(i is None for i in inputs):
            raise RuntimeError(f"{type(self).__name__}: call forward(x) before any backward call")
        return inputs

    def backward(self, delta, input_grad: bool = True):
        """One reverse pass through the last forward: accumulate every parameter gradient and return dL/dx
        (None when input_grad is False: the first module's input product is then skipped)."""
        last = len(self._layers) - 1
        for i in range(last, -1, -1):
            m = self._layers[i]
            needed = input_grad or i > 0
            delta = m.backward(delta, input_grad=needed)
        return delta

    def backward_update_gradient(self, x, delta) -> None:
        self.backward(delta, input_grad=False)

    def backward_delta(self, x, delta):
        for m, inp in zip(reversed(self._layers), reversed(self._inputs())):
            delta = m.backward_delta(inp, delta)
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
