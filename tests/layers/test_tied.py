"""TiedLinear: the decoder's weight is the encoder's Parameter itself, transposed."""

from __future__ import annotations

import pytest

import pyldl_gpu as nn
from pyldl_gpu import backends

np = backends.host()


def _tied():
    encoder = nn.Linear(6, 3)
    decoder = nn.TiedLinear(encoder)
    return encoder, decoder, nn.Sequential(encoder, nn.Sigmoid(), decoder, nn.Sigmoid())


def test_tied_weights_are_one_parameter_and_one_update_moves_both_uses(rng):
    encoder, decoder, net = _tied()
    assert decoder.weight is encoder.weight
    assert [name for name, _ in net.named_parameters()] == ["0.weight", "0.bias", "2.bias"]
    x = nn.asarray(rng.random((5, 6)))
    opt = nn.Optim(net, nn.MSELoss(), nn.SGD(net, lr=0.5))
    before = nn.to_numpy(encoder.weight.data).copy()
    opt.step(x, x)
    after = nn.to_numpy(encoder.weight.data)
    assert not np.allclose(after, before)
    h = nn.asarray(rng.random((2, 3)))
    np.testing.assert_allclose(nn.to_numpy(decoder(h)), nn.to_numpy(h) @ after.T + nn.to_numpy(decoder.bias.data),
                               rtol=1e-5, atol=1e-6)


def test_shared_gradient_is_the_sum_of_both_uses(rng):
    encoder, decoder, net = _tied()
    x = nn.asarray(rng.random((4, 6)))
    loss = nn.MSELoss()
    net.zero_grad()
    net.backward(loss.backward(x, net(x)))
    both = nn.to_numpy(encoder.weight.grad).copy()
    # the same network with an untied copy of the weight: the two gradients must add up to the tied one
    untied = nn.Linear(3, 6)
    untied.weight.data[...] = encoder.weight.data.T
    untied.bias.data[...] = decoder.bias.data
    copy = nn.Sequential(encoder, nn.Sigmoid(), untied, nn.Sigmoid())
    copy.zero_grad()
    copy.backward(loss.backward(x, copy(x)))
    np.testing.assert_allclose(both, nn.to_numpy(encoder.weight.grad) + nn.to_numpy(untied.weight.grad).T,
                               rtol=1e-5, atol=1e-7)


def test_tying_survives_save_and_load(rng, tmp_path):
    _, _, net = _tied()
    nn.save(net, tmp_path / "tied.npz")
    encoder, decoder, fresh = _tied()
    nn.load(fresh, tmp_path / "tied.npz")
    assert decoder.weight is encoder.weight
    x = nn.asarray(rng.random((3, 6)))
    np.testing.assert_allclose(nn.to_numpy(fresh(x)), nn.to_numpy(net(x)), rtol=1e-6)


def test_errors_name_the_layer():
    with pytest.raises(TypeError, match="TiedLinear: expected the encoder's Linear layer, got ReLU"):
        nn.TiedLinear(nn.ReLU())
    decoder = nn.TiedLinear(nn.Linear(6, 3))
    with pytest.raises(nn.ShapeError, match=r"TiedLinear\(3, 6, tied\)"):
        decoder(nn.asarray(np.zeros((2, 6))))
