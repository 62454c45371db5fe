"""Module, Parameter, Linear, initialisers, Sequential and AutoEncoder behaviour."""

from __future__ import annotations

import math

import pytest

import pyldl_gpu as nn
from pyldl_gpu import backends

np = backends.host()


def test_linear_forward_is_x_w_plus_b(rng):
    layer = nn.Linear(4, 3)
    layer.bias.data[...] = nn.asarray(np.array([1.0, -1.0, 0.5]))
    x = rng.standard_normal((2, 4)).astype(np.float32)
    expected = x @ nn.to_numpy(layer.weight.data) + [1.0, -1.0, 0.5]
    np.testing.assert_allclose(nn.to_numpy(layer(nn.asarray(x))), expected, rtol=1e-6)
    assert layer.weight.shape == (4, 3) and layer.bias.shape == (3,)


def test_linear_without_bias_has_none():
    layer = nn.Linear(4, 3, bias=False)
    assert layer.bias is None and len(layer.parameters()) == 1 and "bias=False" in repr(layer)


@pytest.mark.parametrize("init, check", [
    ("xavier", lambda w: np.abs(w).max() <= math.sqrt(6 / (300 + 200)) and w.std() > 0.8 * math.sqrt(2 / 500)),
    ("he", lambda w: abs(w.std() - math.sqrt(2 / 300)) < 0.05 * math.sqrt(2 / 300)),
    ("uniform", lambda w: np.abs(w).max() <= 1 / math.sqrt(300) and w.std() > 0.9 / math.sqrt(900)),
    ("normal", lambda w: abs(w.std() - 0.01) < 0.001),
])
def test_initialisers_have_their_documented_scale(init, check):
    w = nn.to_numpy(nn.Linear(300, 200, init=init).weight.data)
    assert w.dtype == np.float32 and check(w)


def test_biases_start_at_zero_and_unknown_init_is_rejected():
    assert not nn.to_numpy(nn.Linear(3, 2).bias.data).any()
    with pytest.raises(ValueError, match=r"unknown init 'glorot'.*xavier, he, uniform, normal"):
        nn.Linear(3, 2, init="glorot")


def test_same_seed_same_initial_weights():
    nn.manual_seed(3)
    a = nn.to_numpy(nn.Linear(5, 4).weight.data)
    nn.manual_seed(3)
    b = nn.to_numpy(nn.Linear(5, 4).weight.data)
    np.testing.assert_array_equal(a, b)


def test_linear_input_errors_name_module_and_shapes():
    layer = nn.Linear(784, 256)
    with pytest.raises(nn.ShapeError, match=r"Linear\(784, 256\): expected input \(batch, 784\), got \(128, 785\)"):
        layer(nn.asarray(np.zeros((128, 785))))
    with pytest.raises(nn.ShapeError, match=r"expected input \(batch, 784\), got \(784,\)"):
        layer(nn.asarray(np.zeros(784)))
    with pytest.raises(nn.DTypeError, match=r"Linear\(784, 256\): expected float32 input, got float64"):
        layer(nn.asarray(np.zeros((2, 784)), dtype="float64"))
    with pytest.raises(TypeError, match="expected an array, got list"):
        layer([[0.0] * 784])


def test_parameters_are_registered_in_order_and_named():
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2, bias=False))
    names = [name for name, _ in net.named_parameters()]
    assert names == ["0.weight", "0.bias", "2.weight"]
    assert net.num_parameters() == 3 * 4 + 4 + 4 * 2


def test_shared_parameter_is_listed_once():
    a = nn.Linear(3, 3)
    b = nn.Linear(3, 3)
    b.weight = a.weight
    net = nn.Sequential(a, b)
    assert len(net.parameters()) == 3
    assert net.parameters()[0] is a.weight


def test_reassigning_an_attribute_replaces_its_registration():
    layer = nn.Linear(3, 2)
    layer.bias = None
    assert [n for n, _ in layer.named_parameters()] == ["weight"]


def test_module_without_super_init_gets_a_clear_error():
    class Broken(nn.Module):
        def __init__(self):
            self.w = 1

    with pytest.raises(AttributeError, match=r"must call super\(\).__init__\(\)"):
        Broken()


def test_zero_grad_and_update_parameters(rng):
    layer = nn.Linear(3, 2)
    before = nn.to_numpy(layer.weight.data).copy()
    x = nn.asarray(rng.standard_normal((4, 3)))
    delta = nn.asarray(np.ones((4, 2)))
    layer(x)
    layer.backward_update_gradient(x, delta)
    layer.backward_update_gradient(x, delta)  # accumulates
    expected_grad = 2 * nn.to_numpy(x).T @ np.ones((4, 2))
    np.testing.assert_allclose(nn.to_numpy(layer.weight.grad), expected_grad, rtol=1e-5)
    layer.update_parameters(0.1)
    np.testing.assert_allclose(nn.to_numpy(layer.weight.data), before - 0.1 * expected_grad, rtol=1e-5)
    grad_buffer = layer.weight.grad
    layer.zero_grad()
    assert layer.weight.grad is grad_buffer and not nn.to_numpy(grad_buffer).any()


def test_backward_convenience_equals_course_api(rng):
    net = nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 3))
    x = nn.asarray(rng.standard_normal((6, 5)))
    delta = nn.asarray(rng.standard_normal((6, 3)))
    net(x)
    dx_course = nn.to_numpy(net.backward_delta(x, delta)).copy()
    net.zero_grad()
    net.backward_update_gradient(x, delta)
    grads_course = [nn.to_numpy(p.grad).copy() for p in net.parameters()]
    net.zero_grad()
    dx = net.backward(delta)
    np.testing.assert_allclose(nn.to_numpy(dx), dx_course, rtol=1e-6)
    for p, g in zip(net.parameters(), grads_course):
        np.testing.assert_allclose(nn.to_numpy(p.grad), g, rtol=1e-6)
    assert net.backward(delta, input_grad=False) is None


def test_backward_before_forward_is_explained():
    with pytest.raises(RuntimeError, match="needs a previous call"):
        nn.Linear(2, 2).backward(nn.asarray(np.zeros((1, 2))))
    with pytest.raises(RuntimeError, match=r"call forward\(x\) before any backward"):
        nn.Sequential(nn.Linear(2, 2)).backward_delta(None, nn.asarray(np.zeros((1, 2))))


def test_train_eval_propagate():
    net = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU()))
    net.eval()
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())


def test_sequential_indexing_append_len_iter():
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
    net.append(nn.Linear(4, 2))
    assert len(net) == 3 and isinstance(net[2], nn.Linear) and isinstance(net[-1], nn.Linear)
    assert isinstance(net[:2], nn.Sequential) and len(net[:2]) == 2
    assert [type(m).__name__ for m in net] == ["Linear", "ReLU", "Linear"]
    with pytest.raises(TypeError, match="takes Modules"):
        net.append(lambda x: x)


def test_summary_prints_layers_shapes_and_counts(capsys):
    net = nn.Sequential(nn.Linear(784, 256), nn.Tanh(), nn.Linear(256, 10))
    text = net.summary()
    printed = capsys.readouterr().out
    assert text.strip() == printed.strip()
    assert "Linear(784, 256)" in text and "(batch, 256)" in text and "200,960" in text
    assert "(batch, 10)" in text and "total parameters: 203,530" in text


def test_autoencoder_encode_decode(rng):
    enc = nn.Sequential(nn.Linear(8, 3), nn.Tanh())
    dec = nn.Sequential(nn.Linear(3, 8), nn.Sigmoid())
    ae = nn.AutoEncoder(enc, dec)
    x = nn.asarray(rng.standard_normal((5, 8)))
    z = ae.encode(x)
    assert z.shape == (5, 3)
    np.testing.assert_allclose(nn.to_numpy(ae(x)), nn.to_numpy(ae.decode(z)), rtol=1e-6)
    assert next(n for n, _ in ae.named_parameters()) == "encoder.0.weight"
    assert ae.encoder is enc and ae.decoder is dec


def test_repr_is_readable():
    assert repr(nn.LeakyReLU(0.2)) == "LeakyReLU(alpha=0.2)"
    assert "(0): Linear(2, 3)" in repr(nn.Sequential(nn.Linear(2, 3)))
    assert repr(nn.Linear(2, 3).weight) == "Parameter(weight, shape=(2, 3), dtype=float32)"


def test_zero_grad_is_lazy_but_reads_as_zero(rng):
    p = nn.Parameter(nn.asarray(np.ones((3, 2))), "w")
    p.grad[...] = 5.0
    p.zero_grad()
    assert not nn.to_numpy(p.grad).any()  # reading materialises the zeros


def test_accumulate_overwrites_after_zero_grad_and_adds_otherwise(rng):
    a, b = rng.standard_normal((4, 3)).astype(np.float32), rng.standard_normal((3, 2)).astype(np.float32)
    p = nn.Parameter(nn.asarray(np.zeros((4, 2))), "w")
    buffer = p.grad
    p.grad[...] = 7.0
    p.zero_grad()
    ab = nn.to_numpy(nn.asarray(a) @ nn.asarray(b))  # the device's own GEMM (cuBLAS rounds unlike OpenBLAS)
    p.accumulate_matmul(nn.asarray(a), nn.asarray(b))
    np.testing.assert_allclose(nn.to_numpy(p.grad), ab, rtol=1e-6)
    p.accumulate_matmul(nn.asarray(a), nn.asarray(b))
    np.testing.assert_allclose(nn.to_numpy(p.grad), 2 * ab, rtol=1e-6)
    p.accumulate(nn.asarray(np.ones((4, 2))))
    np.testing.assert_allclose(nn.to_numpy(p.grad), 2 * ab + 1, rtol=1e-6)
    assert p.grad is buffer  # one buffer for the parameter's life

    q = nn.Parameter(nn.asarray(np.zeros(2)), "b")
    q.grad[...] = 3.0
    q.zero_grad()
    q.accumulate_sum(nn.asarray(np.ones((5, 2))), axis=0)
    np.testing.assert_array_equal(nn.to_numpy(q.grad), [5.0, 5.0])
    q.zero_grad()
    q.accumulate(nn.asarray(np.full(2, 2.0)))
    np.testing.assert_array_equal(nn.to_numpy(q.grad), [2.0, 2.0])


def test_user_module_writing_grad_directly_after_zero_grad():
    class Scale(nn.Module):
        def __init__(self):
            super().__init__()
            self.s = nn.Parameter(nn.asarray(np.ones(1)), "s")

        def forward(self, x):
            return x * self.s.data

        def backward_update_gradient(self, x, delta):
            self.s.grad += (x * delta).sum(keepdims=True).reshape(1)

        def backward_delta(self, x, delta):
            return delta * self.s.data

    m = Scale()
    x, d = nn.asarray(np.full((2, 2), 3.0)), nn.asarray(np.ones((2, 2)))
    m(x)
    m.backward_update_gradient(x, d)
    m.zero_grad()
    m.backward_update_gradient(x, d)
    np.testing.assert_array_equal(nn.to_numpy(m.s.grad), [12.0])
    nn.gradcheck(m, nn.asarray(np.random.default_rng(0).standard_normal((3, 5))))
