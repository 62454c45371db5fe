"""Shapes through the layers: output shapes, input errors, odd strides, float32 all the way."""

from __future__ import annotations

import pytest
from cases import lenet

import pyldl_gpu as nn
from pyldl_gpu import backends

np = backends.host()


@pytest.mark.parametrize("module, shape, expected", [
    (nn.Conv2D(9, 1, 15), (28, 28, 1), (20, 20, 15)),
    (nn.Conv2D(3, 2, 4, stride=2, padding=1), (7, 8, 2), (4, 4, 4)),
    (nn.Conv2D((3, 5), 1, 2, stride=(1, 2), padding=(0, 2)), (6, 9, 1), (4, 5, 2)),
    (nn.Conv1D(3, 1, 32), (256, 1), (254, 32)),
    (nn.Conv1D(4, 2, 3, stride=3, padding=1), (11, 2), (4, 3)),
    (nn.MaxPool2D(2), (20, 20, 15), (10, 10, 15)),
    (nn.MaxPool2D(3, stride=2), (7, 7, 1), (3, 3, 1)),
    (nn.MaxPool1D(2, 2), (254, 32), (127, 32)),
    (nn.AvgPool1D(3, stride=1), (10, 2), (8, 2)),
    (nn.Flatten(), (3, 3, 20), (180,)),
    (nn.Upsample2D(2), (7, 7, 4), (14, 14, 4)),
])
def test_output_shapes_follow_the_formula(module, shape, expected, rng):
    assert module.output_shape(shape) == expected
    assert module(nn.asarray(rng.standard_normal((2, *shape)))).shape == (2, *expected)


@pytest.mark.parametrize("module, shape, message", [
    (nn.Conv2D(3, 1, 16), (128, 28, 28, 3),
     r"Conv2D\(3, 1, 16\): expected input \(batch, H, W, 1\), got \(128, 28, 28, 3\)"),
    (nn.Conv2D(3, 1, 16), (2, 28, 28), r"expected input \(batch, H, W, 1\), got \(2, 28, 28\)"),
    (nn.Conv2D(5, 1, 2, padding=1), (2, 2, 9, 1), r"input height 2 \(\+ 2 x padding 1\) is shorter than the kernel 5"),
    (nn.Conv1D(5, 1, 8), (4, 3, 1),
     r"Conv1D\(5, 1, 8\): input length 3 \(\+ 2 x padding 0\) is shorter than the kernel 5"),
    (nn.Conv1D(3, 2, 8), (4, 10, 3), r"expected input \(batch, length, 2\), got \(4, 10, 3\)"),
    (nn.MaxPool2D(3), (2, 2, 5, 1), r"MaxPool2D\(3\): input height 2"),
    (nn.MaxPool1D(2), (2, 8), r"expected input \(batch, length, chan\), got \(2, 8\)"),
    (nn.BatchNorm2D(4), (2, 3, 3, 5), r"BatchNorm2D\(4.*expected input \(batch, H, W, 4\), got \(2, 3, 3, 5\)"),
    (nn.Reshape((3, 3)), (2, 10), r"cannot reshape input \(2, 10\) to \(batch, \(3, 3\)\)"),
])
def test_shape_errors_name_layer_and_shapes(module, shape, message):
    with pytest.raises(nn.ShapeError, match=message):
        module(nn.asarray(np.zeros(shape)))


def test_conv_layers_keep_float32(rng):
    net = nn.Sequential(nn.Conv2D(3, 1, 4, padding=1), nn.BatchNorm2D(4), nn.ReLU(), nn.MaxPool2D(2), nn.Dropout(0.2),
                        nn.Flatten(), nn.Linear(4 * 4 * 4, 3))
    opt = nn.Optim(net, nn.CrossEntropyLoss(), nn.Adam(net))
    loss = opt.step(nn.asarray(rng.standard_normal((5, 8, 8, 1))), nn.asarray(np.array([0, 1, 2, 1, 0])))
    arrays = [loss, opt.last_output] + [a for p in net.parameters() for a in (p.data, p.grad)]
    arrays += [a for _, a in net.named_buffers()]
    assert all(a.dtype == np.float32 for a in arrays)


def test_lenet_summary(capsys):
    net = lenet()
    text = net.summary((28, 28, 1))
    assert "(batch, 20, 20, 15)" in text and "(batch, 3, 3, 20)" in text and "(batch, 180)" in text


@pytest.mark.parametrize("shape", [(5, 3), (2, 4, 3), (2, 3, 4, 5)])
def test_channel_sum_matches_plain_numpy(shape, rng):
    from pyldl_gpu.layers._windows import channel_sum

    a = rng.standard_normal(shape).astype(np.float32)
    np.testing.assert_allclose(nn.to_numpy(channel_sum(nn.asarray(a))), a.reshape(-1, shape[-1]).sum(0), rtol=1e-5)


@pytest.mark.parametrize("make, shape", [
    (lambda: nn.Conv2D(9, 1, 4, algorithm="banded"), (3, 12, 12)),
    (lambda: nn.Conv2D(3, 1, 4, algorithm="im2col"), (3, 12, 12)),
    (lambda: nn.Conv1D(3, 1, 4), (3, 12)),
    (nn.Flatten, (3, 12, 12)),
    (lambda: nn.MaxPool2D(2), (3, 12, 12)),
    (lambda: nn.MaxPool1D(2), (3, 12)),
    (lambda: nn.Upsample2D(2), (3, 6, 6)),
    (lambda: nn.BatchNorm2D(1), (3, 6, 6)),
])
def test_inputs_with_a_zero_stride_channel_axis(make, shape, rng):
    """x[..., None] gives the new axis stride 0 and NumPy still calls it contiguous: layers that reason about
    strides must not read one value over and over (a real bug, caught on MNIST)."""
    base = rng.standard_normal(shape).astype(np.float32)
    odd = nn.asarray(base)[..., None]
    plain = nn.asarray(np.ascontiguousarray(base.reshape(*shape, 1)))
    module = make()
    np.testing.assert_allclose(nn.to_numpy(module(odd)), nn.to_numpy(module(plain)), rtol=1e-6, atol=1e-6)
    delta = nn.asarray(rng.standard_normal(tuple(module(plain).shape)).astype(np.float32))
    np.testing.assert_allclose(nn.to_numpy(module.backward_delta(odd, delta)),
                               nn.to_numpy(module.backward_delta(plain, delta)), rtol=1e-5, atol=1e-6)
