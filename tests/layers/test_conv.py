"""Conv2D and Conv1D: PyTorch as the oracle, every tile width against im2col, layouts and errors."""

from __future__ import annotations

import pytest

import pyldl_gpu as nn
from pyldl_gpu import backends

np = backends.host()


def _torch():
    return pytest.importorskip("torch")


@pytest.mark.parametrize("k, stride, padding", [(3, 1, 0), ((3, 2), (2, 1), (1, 2)), (5, 3, 2)])
def test_conv2d_matches_pytorch_forward_and_backward(k, stride, padding, rng):
    torch = _torch()
    x = rng.standard_normal((3, 9, 8, 2)).astype(np.float32)
    conv = nn.Conv2D(k, 2, 4, stride=stride, padding=padding)
    conv.bias.data[...] = nn.asarray(rng.standard_normal(4))
    ref = torch.nn.Conv2d(2, 4, k, stride=stride, padding=padding)
    with torch.no_grad():
        ref.weight.copy_(torch.tensor(nn.to_numpy(conv.weight.data)).permute(3, 2, 0, 1))
        ref.bias.copy_(torch.tensor(nn.to_numpy(conv.bias.data)))
    xt = torch.tensor(x).permute(0, 3, 1, 2).requires_grad_(True)
    yt = ref(xt)
    out = conv(nn.asarray(x))
    np.testing.assert_allclose(nn.to_numpy(out), yt.permute(0, 2, 3, 1).detach().numpy(), rtol=1e-4, atol=1e-5)
    delta = rng.standard_normal(tuple(out.shape)).astype(np.float32)
    yt.backward(torch.tensor(delta).permute(0, 3, 1, 2))
    conv.zero_grad()
    conv.backward_update_gradient(nn.asarray(x), nn.asarray(delta))
    dx = conv.backward_delta(nn.asarray(x), nn.asarray(delta))
    np.testing.assert_allclose(nn.to_numpy(dx), xt.grad.permute(0, 2, 3, 1).numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(nn.to_numpy(conv.weight.grad), ref.weight.grad.permute(2, 3, 1, 0).numpy(),
                               rtol=1e-4, atol=1e-4)


def _conv_pass(algorithm, kernel, stride, padding, x, chan_out=4, layer=nn.Conv2D):
    """Output, weight gradient and input gradient of a float64 conv (same seed, so same weights)."""
    nn.manual_seed(1)
    conv = layer(kernel, x.shape[-1], chan_out, stride=stride, padding=padding, algorithm=algorithm)
    xd = nn.asarray(x)
    out = conv(xd)
    delta = nn.asarray(np.linspace(-1, 1, out.size).reshape(out.shape))
    conv.zero_grad()
    conv.backward_update_gradient(xd, delta)
    return [nn.to_numpy(a) for a in (out, conv.weight.grad, conv.bias.grad, conv.backward_delta(xd, delta))]


@pytest.mark.parametrize("kernel, stride, padding, width", [
    (3, 1, 0, 10),  # Wo = 8: tiles of 1, 2, 4, 8
    ((4, 3), (2, 1), (1, 2), 8),  # Wo = 10: tiles of 1, 2, 5, 10
    (5, 2, 2, 8),  # Wo = 4, stride 2: neighbouring tiles overlap by one column
    ((2, 2), (1, 3), 0, 14),  # Wo = 5, stride 3 > kernel: columns no window reads
])
def test_every_tile_width_agrees_with_im2col_and_passes_gradcheck(kernel, stride, padding, width, rng):
    x = rng.standard_normal((2, 9, width, 3))
    wo = nn.Conv2D(kernel, 3, 4, stride=stride, padding=padding).output_shape((9, width, 3))[1]
    with nn.default_dtype("float64"):
        im2col = _conv_pass("im2col", kernel, stride, padding, x)
    for g in [g for g in range(1, wo + 1) if wo % g == 0]:
        nn.gradcheck(nn.Conv2D(kernel, 3, 4, stride=stride, padding=padding, algorithm=g), nn.asarray(x))
        with nn.default_dtype("float64"):
            tiled = _conv_pass(g, kernel, stride, padding, x)
        for a, b in zip(im2col, tiled):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    with nn.default_dtype("float64"):
        for a, b in zip(im2col, _conv_pass("banded", kernel, stride, padding, x)):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_auto_with_its_own_input_gradient_tile_agrees_with_im2col(rng):
    """LeNet conv2's geometry: 'auto' runs the forward and weight gradient at one tile width and the input gradient
    at another; all three must equal im2col's."""
    from pyldl_gpu.backends.cpu.tile_model import tile_width

    x = rng.standard_normal((2, 10, 10, 15))
    assert tile_width(2 * 6, 6, 5, 5, 1, 15, 20) != tile_width(2 * 6, 6, 5, 5, 1, 15, 20, input_gradient=True)
    with nn.default_dtype("float64"):
        for a, b in zip(_conv_pass("im2col", 5, 1, 0, x, 20), _conv_pass("auto", 5, 1, 0, x, 20)):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("algorithm", ["im2col", "banded", 2, 5])
def test_conv1d_takes_every_algorithm(algorithm, rng):
    """The seed Conv1D layer on a length-12 input (10 outputs): every layout gives auto's output and gradients."""
    x = rng.standard_normal((3, 12, 2))
    with nn.default_dtype("float64"):
        auto, chosen = (_conv_pass(choice, 3, 1, 0, x, layer=nn.Conv1D) for choice in ("auto", algorithm))
    for a, b in zip(auto, chosen):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_tile_width_errors():
    with pytest.raises(ValueError, match="Conv2D: algorithm must be one of"):
        nn.Conv2D(3, 1, 2, algorithm="winograd")
    with pytest.raises(ValueError, match="tile width"):
        nn.Conv2D(3, 1, 2, algorithm=0)
    conv = nn.Conv2D(3, 1, 2, algorithm=4)
    with pytest.raises(nn.ShapeError, match=r"Conv2D\(3, 1, 2\): tile width 4 does not divide the output width 6"):
        conv(nn.asarray(np.zeros((1, 8, 8, 1), dtype="float32")))


def test_constructor_errors():
    with pytest.raises(ValueError, match="k_size must be an int or a pair"):
        nn.Conv2D((1, 2, 3), 1, 1)
    with pytest.raises(ValueError, match="stride must be >= 1"):
        nn.Conv2D(3, 1, 1, stride=0)
    with pytest.raises(ValueError, match="Conv1D: k_size must be an int"):
        nn.Conv1D((3, 3), 1, 1)
    with pytest.raises(ValueError, match="channels must be positive"):
        nn.Conv2D(3, 0, 1)
