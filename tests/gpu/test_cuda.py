"""CUDA-only checks (marked ``cuda``; skipped with a reason where CuPy or a device is missing).
The rest of the suite runs on the GPU too when PYLDL_DEVICE=cuda."""

from __future__ import annotations

import pytest

import pyldl_gpu as nn
from pyldl_gpu import backends

np = backends.host()
pytestmark = pytest.mark.cuda


def test_cuda_arrays_are_cupy_and_come_back_as_numpy():
    with nn.device("cuda"):
        a = nn.asarray(np.arange(6.0).reshape(2, 3))
        assert type(a).__module__.startswith("cupy") and a.dtype == np.float32
        back = nn.to_numpy(a)
        assert isinstance(back, np.ndarray)
        np.testing.assert_array_equal(back, np.arange(6.0).reshape(2, 3))


def test_same_seed_same_initial_weights_on_both_devices():
    nn.manual_seed(11)
    cpu = nn.to_numpy(nn.Linear(7, 5).weight.data)
    nn.manual_seed(11)
    with nn.device("cuda"):
        gpu = nn.to_numpy(nn.Linear(7, 5).weight.data)
    np.testing.assert_array_equal(cpu, gpu)


def test_host_array_into_gpu_module_names_module_and_fix():
    with nn.device("cuda"):
        layer = nn.Linear(3, 2)
        with pytest.raises(nn.DeviceError, match=r"Linear\(3, 2\): got a NumPy \(host\) array.*cuda:0.*asarray"):
            layer(np.zeros((4, 3), dtype=np.float32))


def test_gpu_array_into_cpu_asarray_is_refused():
    with nn.device("cuda"):
        a = nn.asarray(np.zeros(3))
    with nn.device("cpu"), pytest.raises(nn.DeviceError, match="to_numpy"):
        nn.asarray(a)


def test_linear_step_matches_cpu(rng):
    x = rng.standard_normal((33, 17)).astype(np.float32)
    y = rng.integers(0, 5, 33)
    results = {}
    for dev in ("cpu", "cuda"):
        nn.manual_seed(2)
        with nn.device(dev):
            net = nn.Sequential(nn.Linear(17, 9), nn.Tanh(), nn.Linear(9, 5))
            opt = nn.Optim(net, nn.CrossEntropyLoss(), nn.Adam(net, lr=0.01))
            loss = opt.step(nn.asarray(x), nn.asarray(y))
            results[dev] = (float(loss), [nn.to_numpy(p.data) for p in net.parameters()])
    assert results["cuda"][0] == pytest.approx(results["cpu"][0], rel=1e-5)
    for a, b in zip(results["cpu"][1], results["cuda"][1]):
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-6)


def test_fit_on_gpu_keeps_float32_and_saves_loadable_on_cpu(rng, tmp_path):
    x = rng.standard_normal((200, 4)).astype(np.float32)
    y = (x.sum(1) > 0).astype(np.int64)
    with nn.device("cuda"):
        net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
        h = nn.Optim(net, nn.CrossEntropyLoss(), nn.Adam(net, lr=0.05)).fit(x, y, epochs=5, batch_size=32,
                                                                           verbose=False, metrics=["accuracy"])
        assert h["accuracy"][-1] > 0.9
        assert all(p.data.dtype == np.float32 and p.grad.dtype == np.float32 for p in net.parameters())
        nn.save(net, tmp_path / "gpu.npz")
    with nn.device("cpu"):
        cpu_net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
        nn.load(cpu_net, tmp_path / "gpu.npz")
    assert isinstance(cpu_net[0].weight.data, np.ndarray)
    np.testing.assert_array_equal(cpu_net[0].weight.data, nn.to_numpy(net[0].weight.data))
