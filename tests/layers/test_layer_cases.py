"""Every layer of the shared table (tests/cases.py), the same checks for each: float64 finite-difference gradients,
the textbook twin as the oracle, explicit backward state (a copy of x gives the same gradients, eval mode keeps
nothing) and the input and delta errors, raised before anything changes."""

from __future__ import annotations

import re

import pytest
from cases import LAYER_CASES, against_twin, layer_input

import pyldl_gpu as nn
from pyldl_gpu import backends
from pyldl_gpu.training.snapshot import named_state

np = backends.host()
TWIN_CASES = [name for name, case in LAYER_CASES.items() if case.twin is not None]
BAD_CASES = [name for name, case in LAYER_CASES.items() if case.bad is not None]


def _grads(module):
    return {name: nn.to_numpy(p.grad).copy() for name, p in module.named_parameters()}


def _built(name, rng):
    """(a fresh module of the case, a float32 input on the device)."""
    case = LAYER_CASES[name]
    return case.make(), nn.asarray(layer_input(case, rng, np.float32))


def _state(module):
    """Host copies of every parameter and buffer."""
    return [nn.to_numpy(a).copy() for a in named_state(module).values()]


@pytest.mark.parametrize("name", list(LAYER_CASES))
def test_gradients_by_finite_differences(name, rng):
    case = LAYER_CASES[name]
    module = case.make()
    report = nn.gradcheck(module, nn.asarray(layer_input(case, rng)))
    assert any("input" in key for key in report)
    assert len(report) == 1 + len(module.parameters())
    assert all(p.data.dtype == np.float32 for p in module.parameters()), "gradcheck must restore float32 params"


@pytest.mark.parametrize("name", TWIN_CASES)
def test_fast_layer_equals_its_textbook_twin(name, rng):
    """Forward, input gradient and every parameter gradient, in float64, against layers/reference.py."""
    case = LAYER_CASES[name]
    with nn.default_dtype("float64"):
        module = case.make()
        for p in module.parameters():  # no zero biases: a twin that dropped the bias must fail
            p.data[...] = nn.asarray(rng.standard_normal(p.shape))
        for what, ours, theirs in against_twin(module, nn.asarray(layer_input(case, rng)), case.twin, rng):
            np.testing.assert_allclose(nn.to_numpy(ours), nn.to_numpy(theirs), rtol=1e-11, atol=1e-12, err_msg=what)


@pytest.mark.parametrize("name", list(LAYER_CASES))
def test_a_copy_of_the_input_gives_the_same_gradients(name, rng):
    """backward(delta) after module(x) uses what the forward kept; the course calls with an explicit x rebuild it
    from that x: for a copy of x both must agree exactly, parameters and input alike, and rebuilding changes no
    running statistics."""
    module, x = _built(name, rng)
    y = module(x)
    delta = nn.asarray(rng.standard_normal(tuple(y.shape)).astype(np.float32))
    module.zero_grad()
    dx = nn.to_numpy(module.backward(delta)).copy()
    kept, state = _grads(module), _state(module)
    module.zero_grad()
    module.backward_update_gradient(x.copy(), delta)
    np.testing.assert_array_equal(nn.to_numpy(module.backward_delta(x.copy(), delta)), dx)
    for key, value in _grads(module).items():
        np.testing.assert_array_equal(value, kept[key], err_msg=key)
    for a, b in zip(state, _state(module)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", list(LAYER_CASES))
def test_eval_mode_keeps_nothing_for_backward(name, rng):
    module, x = _built(name, rng)
    module(x)
    assert module._saved is not None
    module.eval()
    y = module(x)
    assert module._saved is None
    with pytest.raises(RuntimeError, match="training mode"):
        module.backward(nn.asarray(np.ones(tuple(y.shape), dtype=np.float32)))


@pytest.mark.parametrize("name", BAD_CASES)
def test_a_wrong_input_shape_is_refused_naming_module_expected_and_got(name, rng):
    case = LAYER_CASES[name]
    module, _ = _built(name, rng)
    before = _state(module)
    label = module._label()
    with pytest.raises(nn.ShapeError) as info:
        module(nn.asarray(rng.standard_normal(case.bad).astype(np.float32)))
    message = str(info.value)
    assert re.search(r"expected|shorter than|cannot reshape", message), message
    assert str(tuple(case.bad)) in message or str(case.bad[-1]) in message, message
    assert any(part in message for part in (label, type(module).__name__)), message
    for a, b in zip(before, _state(module)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", list(LAYER_CASES))
def test_a_delta_of_another_shape_is_refused_naming_the_module(name, rng):
    """Never a silent broadcast (a (2, 1) delta for a (2, 3) output) nor a bare reshape error."""
    module, x = _built(name, rng)
    y = module(x)
    for shape in ((*y.shape[:-1], 1), (*y.shape[:-1], y.shape[-1] + 1)):
        if shape == tuple(y.shape):
            continue
        delta = nn.asarray(np.ones(shape, dtype=np.float32))
        with pytest.raises(nn.ShapeError, match=rf"expected delta {re.escape(str(tuple(y.shape)))}.*got "
                                                rf"{re.escape(str(shape))}"):
            module.backward(delta)
        with pytest.raises(nn.ShapeError, match="expected delta"):
            module.backward_delta(x, delta)


@pytest.mark.parametrize("name", list(LAYER_CASES))
@pytest.mark.parametrize("dtype", ["float64", "int64"])
def test_a_delta_of_another_dtype_is_refused_naming_the_module(name, dtype, rng):
    """A float64 or int64 delta into a float32 net was taken, and float64 crept into dL/dx and the gradients."""
    module, x = _built(name, rng)
    y = module(x)
    grads = _grads(module)
    delta = nn.asarray(np.ones(y.shape), dtype=dtype)
    message = rf"expected a float32 delta \(the dtype of this module's output\), got {dtype}"
    with pytest.raises(nn.DTypeError, match=message) as error:
        module.backward(delta)
    assert str(error.value).startswith(module._label()), error.value
    with pytest.raises(nn.DTypeError, match=message):
        module.backward_delta(x, delta)
    with pytest.raises(nn.DTypeError, match=message):
        module.backward_update_gradient(x, delta)
    for key, value in grads.items():
        np.testing.assert_array_equal(value, _grads(module)[key])
