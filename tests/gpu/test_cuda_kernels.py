"""The fused CUDA kernels and the capture switch on a real GPU (marked cuda; the CPU tests of the same sources are
tests/backends/test_cuda_sources.py). bench/run_gpu.sh runs these, and the fused-op table with
PYLDL_CUDA_KERNELS=fused, before any family is made a default (settings.VALIDATED)."""

from __future__ import annotations

import contextlib

import pytest

import pyldl_gpu as nn
from pyldl_gpu import backends
from pyldl_gpu.backends.generic import updates as generic_updates

np = backends.host()
pytestmark = pytest.mark.cuda


@contextlib.contextmanager
def cuda_with_kernels(kernels: str):
    """The cuda backend serving its fused operations with ``kernels``, counting each family's launches; the
    backend's own setting is restored after."""
    with nn.device("cuda"):
        backend = backends.active()
        before = ",".join(backend.kernels) or "eager"
        backend.use_kernels(kernels)
        counts: dict[str, int] = {}
        real = backend.launcher.launch

        def counting(family, *args):
            counts[family.name] = counts.get(family.name, 0) + 1
            return real(family, *args)

        backend.launcher.launch = counting
        try:
            yield counts
        finally:
            backend.launcher.launch = real
            backend.use_kernels(before)


def _lenet():
    return nn.Sequential(nn.Conv2D(5, 1, 6), nn.ReLU(), nn.MaxPool2D(2), nn.Conv2D(3, 6, 8), nn.Sigmoid(),
                         nn.AvgPool2D(2), nn.Flatten(), nn.Linear(2 * 2 * 8, 10))


def _autoencoder():
    return nn.Sequential(nn.Linear(30, 12), nn.Tanh(), nn.Linear(12, 30), nn.Sigmoid())


NETS = {  # net, loss, optimizer, input shape, targets (labels of so many classes, or 0: the inputs), families
    "lenet-sgd-nesterov": (_lenet, nn.CrossEntropyLoss, lambda n: nn.SGD(n, lr=0.05, momentum=0.9, nesterov=True,
                                                                             weight_decay=1e-3), (32, 16, 16, 1), 10,
                           {"activations", "pooling", "fold", "softmax", "updates"}),
    "autoencoder-adamw": (_autoencoder, nn.BCELoss, lambda n: nn.AdamW(n, lr=0.01), (32, 30), 0,
                          {"activations", "updates"}),
    "mlp-logsoftmax-rmsprop": (lambda: nn.Sequential(nn.Linear(20, 16), nn.ReLU(), nn.Linear(16, 5),
                                                     nn.LogSoftmax()),
                               nn.NLLLoss, lambda n: nn.RMSProp(n, lr=0.01, weight_decay=1e-3), (32, 20), 5,
                               {"activations", "softmax", "updates"}),
}


def _train(name: str, steps: int = 3):
    make, loss, optimizer, shape, classes, _ = NETS[name]
    rng = np.random.default_rng(3)
    x = rng.random(shape).astype(np.float32)
    y = rng.integers(0, classes, shape[0]) if classes else x
    nn.manual_seed(5)
    net = make()
    opt = nn.Optim(net, loss(), optimizer(net))
    xd, yd = nn.asarray(x), nn.asarray(y)
    losses = [opt.step(xd, yd) for _ in range(steps)]
    return nn.to_numpy(nn.xp().stack(losses)), [nn.to_numpy(p.data) for p in net.parameters()]


@pytest.mark.parametrize("name", list(NETS))
def test_training_steps_with_every_kernel_family_match_the_eager_path(name):
    """Elementwise kernels give the eager path's bits; row sums (softmax, the loss mean) differ by rounding."""
    with cuda_with_kernels("eager") as counts:
        eager = _train(name)
    assert counts == {}
    with cuda_with_kernels("fused") as counts:
        fused = _train(name)
    assert set(counts) == NETS[name][-1], counts  # each family the net uses ran its kernels, not their fallbacks
    np.testing.assert_allclose(fused[0], eager[0], rtol=1e-5)
    for ours, theirs in zip(fused[1], eager[1]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


def test_describe_names_the_kernels_in_use():
    with cuda_with_kernels("softmax,fold"):
        assert "kernels softmax,fold)" in backends.active().describe()


@pytest.fixture
def capture_backend():
    """A second cuda backend, capture-ready with every family (it makes its stream current: the thread's previous
    stream is made current again after the test, once the device is idle)."""
    from pyldl_gpu.backends.cuda import CupyBackend

    with nn.device("cuda"):
        previous = nn.xp().cuda.get_current_stream()
    backend = CupyBackend(0, seed=0, kernels="fused", capture=True)
    assert backend.capture_ready and "capture-ready" in backend.describe()
    yield backend
    backend.synchronize()
    previous.use()


def test_an_elementwise_step_captured_into_a_graph_replays_like_eager_steps(capture_backend):
    b = capture_backend
    cupy = b.xp
    rng = np.random.default_rng(0)
    with b.stream:
        x, d, w = (b.asarray(rng.standard_normal((64, 33)).astype(np.float32)) for _ in "xdw")
        v = cupy.zeros_like(w)

        def step():
            g = b.relu_backward(b.relu(x * w), d)
            b.sgd_update(w, g, 0.1, 0.9, True, 1e-3, v, None)

        graph = b.capture(step)
        w_eager, v_eager = w.copy(), v.copy()
        for _ in range(3):
            graph.replay()
        for _ in range(3):
            g = b.relu_backward(b.relu(x * w_eager), d)
            b.sgd_update(w_eager, g, 0.1, 0.9, True, 1e-3, v_eager, None)
        b.stream.synchronize()
    np.testing.assert_array_equal(nn.to_numpy(w), nn.to_numpy(w_eager))
    np.testing.assert_array_equal(nn.to_numpy(v), nn.to_numpy(v_eager))


def test_a_captured_adam_step_advances_its_bias_correction_at_every_replay(capture_backend):
    b = capture_backend
    rng = np.random.default_rng(1)
    hyper = dict(lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, decoupled=False)
    host = [rng.standard_normal((40, 9)).astype(np.float32) for _ in "wg"] + [np.zeros((40, 9), np.float32)] * 2
    with b.stream:
        w, g, m, v = (b.asarray(a) for a in host)
        steps = iter(range(1, 100))

        def step():
            b.adam_update(w, g, **hyper, step=next(steps), exp_avg=m, exp_avg_sq=v, scratch=None)

        graph = b.capture(step)  # two eager warm-up steps (1, 2), then step 3 recorded, not run
        for _ in range(3):  # steps 3, 4, 5
            graph.replay()
        b.stream.synchronize()
    ref = [a.copy() for a in host]
    scratch = np.empty_like(ref[0])
    with nn.device("cpu"):
        cpu = backends.active()
        for t in range(1, 6):
            generic_updates.adam_update(cpu, ref[0], ref[1], **hyper, step=t, exp_avg=ref[2], exp_avg_sq=ref[3],
                                        scratch=scratch)
    np.testing.assert_allclose(nn.to_numpy(w), ref[0], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(nn.to_numpy(m), ref[2], rtol=1e-6, atol=1e-9)
