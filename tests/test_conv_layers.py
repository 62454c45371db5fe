"""Convolution, pooling, shape, dropout and batch-norm layers: gradients, values, modes and errors."""

from __future__ import annotations

import pytest

import pyldl_gpu as nn
from pyldl_gpu import backends

np = backends.host()

GRAD_CASES = {
    "conv2d_3x3": (lambda: nn.Conv2D(3, 2, 4), (2, 7, 5, 2)),
    "conv2d_batch1_stride2_pad1": (lambda: nn.Conv2D(3, 3, 2, stride=2, padding=1), (1, 7, 9, 3)),
    "conv2d_nonsquare_stride3": (lambda: nn.Conv2D((2, 3), 1, 3, stride=3), (3, 8, 11, 1)),
    "conv2d_mixed_pairs": (lambda: nn.Conv2D((3, 1), 2, 3, stride=(1, 2), padding=(2, 1)), (2, 5, 7, 2)),
    "conv2d_no_bias_he": (lambda: nn.Conv2D(2, 3, 5, bias=False, init="he"), (3, 5, 5, 3)),
    "conv1d_3": (lambda: nn.Conv1D(3, 2, 5), (3, 11, 2)),
    "conv1d_batch1_stride2_pad3": (lambda: nn.Conv1D(4, 1, 2, stride=2, padding=3), (1, 9, 1)),
    "conv1d_stride3": (lambda: nn.Conv1D(5, 3, 3, stride=3), (2, 17, 3)),
    "maxpool2d": (lambda: nn.MaxPool2D(2), (2, 6, 5, 3)),
    "maxpool2d_overlap": (lambda: nn.MaxPool2D(3, stride=2), (2, 7, 7, 2)),
    "maxpool2d_nonsquare_batch1": (lambda: nn.MaxPool2D((2, 3), stride=(1, 3)), (1, 5, 9, 3)),
    "avgpool2d": (lambda: nn.AvgPool2D(2), (3, 6, 7, 3)),
    "avgpool2d_overlap": (lambda: nn.AvgPool2D(3, stride=1), (1, 5, 5, 2)),
    "maxpool1d": (lambda: nn.MaxPool1D(2), (3, 9, 2)),
    "maxpool1d_overlap": (lambda: nn.MaxPool1D(3, stride=1), (2, 7, 3)),
    "maxpool1d_stride3": (lambda: nn.MaxPool1D(2, stride=3), (1, 11, 1)),
    "avgpool1d": (lambda: nn.AvgPool1D(3, 2), (2, 9, 3)),
    "flatten": (nn.Flatten, (3, 4, 5, 2)),
    "reshape": (lambda: nn.Reshape((5, 4)), (3, 20)),
    "upsample2": (lambda: nn.Upsample2D(2), (2, 3, 5, 3)),
    "upsample3_batch1": (lambda: nn.Upsample2D(3), (1, 2, 3, 1)),
    "batchnorm1d": (lambda: nn.BatchNorm1D(5), (7, 5)),
    "batchnorm1d_sequence": (lambda: nn.BatchNorm1D(3), (3, 5, 3)),
    "batchnorm2d": (lambda: nn.BatchNorm2D(3), (3, 5, 3, 3)),
    "lenet_small": (lambda: nn.Sequential(nn.Conv2D(3, 1, 3), nn.ReLU(), nn.MaxPool2D(2), nn.Conv2D(2, 3, 2),
                                          nn.Tanh(), nn.Flatten(), nn.Linear(8, 3)), (2, 9, 9, 1)),
    "conv1d_net_small": (lambda: nn.Sequential(nn.Conv1D(3, 1, 4), nn.MaxPool1D(2, 2), nn.Flatten(),
                                               nn.Linear(16, 5), nn.ReLU(), nn.Linear(5, 3)), (3, 10, 1)),
    "conv_autoencoder": (lambda: nn.Sequential(nn.Conv2D(3, 1, 2, padding=1), nn.Sigmoid(), nn.MaxPool2D(2),
                                               nn.Flatten(), nn.Linear(18, 8), nn.Reshape((2, 2, 2)),
                                               nn.Upsample2D(3), nn.Conv2D(1, 2, 1)), (2, 6, 6, 1)),
}


@pytest.mark.parametrize("name", list(GRAD_CASES))
def test_layer_gradients(name, rng):
    make, shape = GRAD_CASES[name]
    module = make()
    report = nn.gradcheck(module, nn.asarray(rng.standard_normal(shape)))
    assert len(report) == 1 + len(module.parameters())


def test_batchnorm_gradients_in_eval_mode(rng):
    bn = nn.BatchNorm2D(3)
    bn.running_mean[...] = nn.asarray(np.array([0.1, -0.2, 0.3]))
    bn.running_var[...] = nn.asarray(np.array([0.5, 2.0, 1.5]))
    bn.eval()
    nn.gradcheck(bn, nn.asarray(rng.standard_normal((2, 3, 3, 3))))


def test_dropout_gradient_with_injected_mask(rng):
    drop = nn.Dropout(0.3)
    drop.fixed_mask = nn.asarray((rng.random((5, 7)) > 0.3).astype(np.float32))
    nn.gradcheck(drop, nn.asarray(rng.standard_normal((5, 7))))


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


def test_conv1d_and_pools_match_pytorch(rng):
    torch = _torch()
    f = torch.nn.functional
    x = rng.standard_normal((2, 13, 3)).astype(np.float32)
    conv = nn.Conv1D(4, 3, 5, stride=2, padding=1)
    expected = f.conv1d(torch.tensor(x).permute(0, 2, 1), torch.tensor(nn.to_numpy(conv.weight.data)).permute(2, 1, 0),
                        stride=2, padding=1).permute(0, 2, 1).numpy()
    np.testing.assert_allclose(nn.to_numpy(conv(nn.asarray(x))), expected, rtol=1e-4, atol=1e-5)
    x2 = rng.standard_normal((2, 9, 7, 3)).astype(np.float32)
    t2 = torch.tensor(x2).permute(0, 3, 1, 2)
    for ours, theirs in [(nn.MaxPool2D(3, stride=2), f.max_pool2d(t2, 3, 2)), (nn.AvgPool2D(2), f.avg_pool2d(t2, 2))]:
        np.testing.assert_allclose(nn.to_numpy(ours(nn.asarray(x2))), theirs.permute(0, 2, 3, 1).numpy(), rtol=1e-6)
    t1 = torch.tensor(x).permute(0, 2, 1)
    for ours, theirs in [(nn.MaxPool1D(2, 2), f.max_pool1d(t1, 2, 2)), (nn.AvgPool1D(3, 1), f.avg_pool1d(t1, 3, 1))]:
        np.testing.assert_allclose(nn.to_numpy(ours(nn.asarray(x))), theirs.permute(0, 2, 1).numpy(), rtol=1e-6)


def test_max_pool_ties_route_to_one_winner():
    pool = nn.MaxPool2D(2)
    x = nn.asarray(np.ones((1, 4, 4, 2)))
    pool(x)
    dx = nn.to_numpy(pool.backward_delta(x, nn.asarray(np.ones((1, 2, 2, 2)))))
    assert dx.sum() == 8 and set(np.unique(dx)) == {0.0, 1.0}
    np.testing.assert_array_equal(dx[0, ::2, ::2, :], 1.0)  # the first tap of each window wins


@pytest.mark.parametrize("pool, args, shape", [(nn.MaxPool2D, (2,), (3, 6, 8, 5)),
                                               (nn.MaxPool2D, (3, 2), (2, 7, 9, 3)),
                                               (nn.MaxPool1D, (2,), (3, 10, 4))], ids=["2x2", "3x3-stride-2", "1d"])
def test_max_pool_and_relu_commute_exactly(pool, args, shape, rng):
    """The documented tip: pooling before the ReLU gives the same output and the same input gradient (small
    integers, so windows tie and many hold no positive value), at a fraction of the ReLU's work."""
    x = nn.asarray(rng.integers(-3, 4, shape).astype("float32"))
    relu_first, pool_first = nn.Sequential(nn.ReLU(), pool(*args)), nn.Sequential(pool(*args), nn.ReLU())
    y = relu_first(x)
    np.testing.assert_array_equal(nn.to_numpy(y), nn.to_numpy(pool_first(x)))
    delta = nn.asarray(rng.standard_normal(tuple(y.shape)).astype("float32"))
    np.testing.assert_array_equal(nn.to_numpy(relu_first.backward_delta(x, delta)),
                                  nn.to_numpy(pool_first.backward_delta(x, delta)))


def test_dropout_modes_and_statistics(rng):
    drop = nn.Dropout(0.25)
    x = nn.asarray(np.ones((400, 50)))
    y = nn.to_numpy(drop(x))
    kept = y != 0
    assert abs(kept.mean() - 0.75) < 0.01
    np.testing.assert_allclose(y[kept], 1 / 0.75, rtol=1e-6)
    dx = nn.to_numpy(drop.backward_delta(x, nn.asarray(np.ones((400, 50)))))
    np.testing.assert_array_equal(dx != 0, kept)  # same mask as the forward
    drop.eval()
    assert drop(x) is x and drop.backward_delta(x, x) is x
    nn.manual_seed(3)
    a = nn.to_numpy(nn.Dropout(0.5)(x))
    nn.manual_seed(3)
    np.testing.assert_array_equal(a, nn.to_numpy(nn.Dropout(0.5)(x)))
    with pytest.raises(ValueError, match=r"p must lie in \[0, 1\)"):
        nn.Dropout(1.0)


def test_batchnorm_train_and_eval_modes(rng):
    bn = nn.BatchNorm2D(3, momentum=0.5)
    x = rng.standard_normal((8, 4, 4, 3)).astype(np.float32) * 3 + 2
    y = nn.to_numpy(bn(nn.asarray(x)))
    np.testing.assert_allclose(y.mean(axis=(0, 1, 2)), 0, atol=1e-5)
    np.testing.assert_allclose(y.std(axis=(0, 1, 2)), 1, atol=1e-3)
    np.testing.assert_allclose(nn.to_numpy(bn.running_mean), 0.5 * x.mean(axis=(0, 1, 2)), rtol=1e-5)
    n = 8 * 4 * 4
    np.testing.assert_allclose(nn.to_numpy(bn.running_var), 0.5 + 0.5 * x.var(axis=(0, 1, 2)) * n / (n - 1),
                               rtol=1e-5)
    bn.eval()
    expected = (x - nn.to_numpy(bn.running_mean)) / np.sqrt(nn.to_numpy(bn.running_var) + 1e-5)
    np.testing.assert_allclose(nn.to_numpy(bn(nn.asarray(x))), expected, rtol=1e-4, atol=1e-5)
    running = nn.to_numpy(bn.running_mean).copy()
    bn(nn.asarray(x))
    np.testing.assert_array_equal(nn.to_numpy(bn.running_mean), running)  # eval never updates


def test_batchnorm_buffers_survive_save_load_and_backward_has_no_side_effects(rng, tmp_path):
    net = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1D(3))
    x = nn.asarray(rng.standard_normal((6, 4)))
    net(x)
    mean_after_forward = nn.to_numpy(net[1].running_mean).copy()
    net[1].backward_delta(nn.asarray(rng.standard_normal((6, 3))), nn.asarray(np.ones((6, 3))))
    np.testing.assert_array_equal(nn.to_numpy(net[1].running_mean), mean_after_forward)
    nn.save(net, tmp_path / "bn.npz")
    other = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1D(3))
    nn.load(other, tmp_path / "bn.npz")
    np.testing.assert_array_equal(nn.to_numpy(other[1].running_mean), mean_after_forward)
    assert [n for n, _ in other.named_buffers()] == ["1.running_mean", "1.running_var"]


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


def test_constructor_errors():
    with pytest.raises(ValueError, match="k_size must be an int or a pair"):
        nn.Conv2D((1, 2, 3), 1, 1)
    with pytest.raises(ValueError, match="stride must be >= 1"):
        nn.Conv2D(3, 1, 1, stride=0)
    with pytest.raises(ValueError, match="Conv1D: k_size must be an int"):
        nn.Conv1D((3, 3), 1, 1)
    with pytest.raises(ValueError, match="channels must be positive"):
        nn.Conv2D(3, 0, 1)


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


def lenet():
    return nn.Sequential(nn.Conv2D(9, 1, 15), nn.ReLU(), nn.MaxPool2D(2), nn.Conv2D(5, 15, 20), nn.ReLU(),
                         nn.MaxPool2D(2), nn.Flatten(), nn.Linear(180, 100), nn.ReLU(), nn.Linear(100, 10))


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
