"""The seed reports' CNNs learn small real data sets in a few epochs (held-out accuracy far above chance)."""

from __future__ import annotations

import pytest

import pyldl_gpu as nn
from pyldl_gpu import backends

np = backends.host()


def test_lenet_learns_mnist_subset(mnist_subset):
    x_train, y_train, x_test, y_test = mnist_subset
    nn.manual_seed(0)
    net = nn.Sequential(nn.Conv2D(9, 1, 15, init="he"), nn.ReLU(), nn.MaxPool2D(2), nn.Conv2D(5, 15, 20, init="he"),
                        nn.ReLU(), nn.MaxPool2D(2), nn.Flatten(), nn.Linear(180, 100, init="he"), nn.ReLU(),
                        nn.Linear(100, 10))
    nn.Optim(net, nn.CrossEntropyLoss(), nn.Adam(net, lr=2e-3)).fit(x_train, y_train, epochs=3, batch_size=64,
                                                                       verbose=False)
    accuracy = nn.evaluate(net, x_test, y_test)["accuracy"]
    print(f"LeNet on 3000 MNIST images, 3 epochs: test accuracy {accuracy:.4f}")
    assert accuracy > 0.90, accuracy  # chance is 10 %


def test_seed_conv1d_net_learns_usps(usps):
    x_train, y_train, x_test, y_test = usps
    x_train = x_train[:3000].reshape(-1, 256, 1)
    x_test = x_test.reshape(-1, 256, 1)
    nn.manual_seed(0)
    net = nn.Sequential(nn.Conv1D(3, 1, 32, init="he"), nn.MaxPool1D(2, 2), nn.Flatten(), nn.Linear(4064, 100),
                        nn.ReLU(), nn.Linear(100, 10))
    nn.Optim(net, nn.CrossEntropyLoss(), nn.Adam(net, lr=1e-3)).fit(x_train, y_train[:3000], epochs=3,
                                                                       batch_size=64, verbose=False)
    accuracy = nn.evaluate(net, x_test, y_test)["accuracy"]
    print(f"Conv1D net on 3000 USPS images, 3 epochs: test accuracy {accuracy:.4f}")
    assert accuracy > 0.85, accuracy


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


def test_auto_tile_width_follows_the_measured_costs():
    """bench/NOTES.md measured the copy, GEMMs and fold per tile width; the model must pick the measured best (or
    one within 5 % of it) on these layers."""
    from pyldl_gpu.backends.cpu.tile_model import tile_width

    assert tile_width(128 * 20, 20, 9, 9, 1, 1, 15) in (4, 10)  # LeNet conv1: neither im2col (2.4x) nor banded
    assert tile_width(128 * 6, 6, 5, 5, 1, 15, 20) in (2, 3)  # LeNet conv2
    assert tile_width(64, 254, 1, 3, 1, 1, 32) == 2  # the seed Conv1D net
    assert tile_width(64 * 14, 14, 3, 3, 1, 32, 64) == 1  # many channels, narrow kernel: im2col
    assert tile_width(32 * 24, 24, 5, 5, 1, 8, 16) in (2, 3, 4)
    # the input gradient's GEMM + fold, measured: conv2 1.04 ms banded vs 1.19 at g = 3 and 2.2 at im2col;
    # 64 x 16x16x32 -> 64: 4.0 ms at g = 2 vs 6.7 at im2col
    assert tile_width(128 * 6, 6, 5, 5, 1, 15, 20, input_gradient=True) == 6
    assert tile_width(64 * 14, 14, 3, 3, 1, 32, 64, input_gradient=True) == 2


def test_tile_width_errors():
    with pytest.raises(ValueError, match="Conv2D: algorithm must be one of"):
        nn.Conv2D(3, 1, 2, algorithm="winograd")
    with pytest.raises(ValueError, match="tile width"):
        nn.Conv2D(3, 1, 2, algorithm=0)
    conv = nn.Conv2D(3, 1, 2, algorithm=4)
    with pytest.raises(nn.ShapeError, match=r"Conv2D\(3, 1, 2\): tile width 4 does not divide the output width 6"):
        conv(nn.asarray(np.zeros((1, 8, 8, 1), dtype="float32")))
