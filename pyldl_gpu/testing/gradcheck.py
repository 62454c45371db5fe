"""gradcheck: compare a module's or loss's hand-written backward with central finite differences in float64."""

from __future__ import annotations

from collections.abc import Callable

from .. import backends
from ..exceptions import GradcheckError
from ..losses import Loss
from ..module import Module


def _float64_copy(a):
    host = backends.to_numpy(a)
    if host.dtype.kind == "f":
        host = host.astype("float64")
    return backends.asarray(host, dtype=host.dtype)


def _check_variable(name: str, value, analytic, objective: Callable[[], float], eps: float, atol: float,
                    rtol: float, max_elements: int, n_directions: int, rng) -> float:
    """Perturb ``value`` in place and compare; returns the worst absolute error, raises on a mismatch."""
    host = backends.host()
    analytic = backends.to_numpy(analytic).astype("float64")
    if analytic.shape != tuple(value.shape):
        raise GradcheckError(f"{name}: analytic gradient has shape {analytic.shape}, expected {tuple(value.shape)}")
    flat = value.reshape(-1)
    worst = (0.0, None, 0.0, 0.0)
    if value.size <= max_elements:  # every element
        for i in range(value.size):
            old = float(flat[i])
            flat[i] = old + eps
            plus = objective()
            flat[i] = old - eps
            minus = objective()
            flat[i] = old
            numeric = (plus - minus) / (2.0 * eps)
            exact = float(analytic.reshape(-1)[i])
            error = abs(exact - numeric)
            if error > atol + rtol * abs(numeric) and error > worst[0]:
                worst = (error, host.unravel_index(i, value.shape), exact, numeric)
    else:  # random directions: d/dt f(v + t d) = <grad, d>
        base = value.copy()
        for k in range(n_directions):
            direction = backends.asarray(rng.standard_normal(value.shape), dtype=value.dtype)
            value[...] = base + eps * direction
            plus = objective()
            value[...] = base - eps * direction
            minus = objective()
            value[...] = base
            numeric = (plus - minus) / (2.0 * eps)
            exact = float((analytic * backends.to_numpy(direction)).sum())
            error = abs(exact - numeric)
            if error > atol + rtol * abs(numeric) and error > worst[0]:
                worst = (error, f"random direction {k}", exact, numeric)
    if worst[1] is not None:
        error, where, exact, numeric = worst
        raise GradcheckError(
            f"{name}: gradient mismatch, worst at {where}: analytic {exact:.10g}, numeric {numeric:.10g}, "
            f"abs error {error:.3g} (atol {atol:g}, rtol {rtol:g})"
        )
    return float(host.abs(analytic).max()) if analytic.size else 0.0


def gradcheck(target: Module | Loss, x, y=None, eps: float = 1e-6, atol: float = 1e-6, rtol: float = 1e-5,
              max_elements: int = 2000, n_directions: int = 12, seed: int = 0) -> dict[str, float]:
    """Check a Module's input and parameter gradients, or a Loss's gradient w.r.t. its prediction.

    Inputs and parameters are copied to float64 (the module's own parameters are restored afterwards).
    A module is checked on f(x) = sum(forward(x) * R) + penalties, R a fixed random array; a loss on
    f(yhat) = loss.forward(y, yhat) with x taken as yhat. Variables of up to ``max_elements`` entries are
    checked element by element, larger ones along ``n_directions`` random directions.
    Returns {variable: largest |gradient|} and raises GradcheckError naming the worst mismatch."""
    rng = backends.host().random.default_rng(seed)
    with backends.default_dtype("float64"):
        x64 = _float64_copy(x)
        if isinstance(target, Loss):
            if y is None:
                raise ValueError("gradcheck of a loss needs targets y")
            y64 = _float64_copy(y)
            analytic = target.backward(y64, x64)

            def objective() -> float:
                return float(target.forward(y64, x64))

            label = f"{target!r} gradient w.r.t. yhat"
            return {label: _check_variable(label, x64, analytic, objective, eps, atol, rtol, max_elements,
                                           n_directions, rng)}
        return _check_module(target, x64, eps, atol, rtol, max_elements, n_directions, rng)


def _check_module(module: Module, x64, eps, atol, rtol, max_elements, n_directions, rng) -> dict[str, float]:
    named = list(module.named_parameters())
    originals = [(p.data, p.grad) for _, p in named]
    penalised = [m for m in module.modules() if m.adds_penalty()]
    try:
        for _, p in named:
            p.data = _float64_copy(p.data)
            p.grad = backends.xp().zeros_like(p.data)
        out = module(x64)
        upstream = backends.asarray(rng.standard_normal(tuple(out.shape)), dtype="float64")

        def objective() -> float:
            value = (module(x64) * upstream).sum()
            for m in penalised:
                value = value + m.extra_loss()
            return float(value)

        module(x64)
        module.zero_grad()
        module.backward_update_gradient(x64, upstream)
        dx = module.backward_delta(x64, upstream)
        report = {}
        checks = [(f"{module!r} input", x64, dx)] + [(f"{module!r} parameter {n!r}", p.data, p.grad) for n, p in named]
        for label, value, analytic in checks:
            analytic = analytic.copy()
            report[label] = _check_variable(label, value, analytic, objective, eps, atol, rtol, max_elements,
                                            n_directions, rng)
        return report
    finally:
        for (_, p), (data, grad) in zip(named, originals):
            p.data, p.grad = data, grad
