"""BatchNorm: training and eval modes, running statistics, buffers in checkpoints."""

from __future__ import annotations

import pyldl_gpu as nn
from pyldl_gpu import backends

np = backends.host()


def test_batchnorm_gradients_in_eval_mode(rng):
    bn = nn.BatchNorm2D(3)
    bn.running_mean[...] = nn.asarray(np.array([0.1, -0.2, 0.3]))
    bn.running_var[...] = nn.asarray(np.array([0.5, 2.0, 1.5]))
    bn.eval()
    nn.gradcheck(bn, nn.asarray(rng.standard_normal((2, 3, 3, 3))))


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
