"""DataParallel: the same numbers as the wrapped module, from several CPU threads."""

from __future__ import annotations

import copy
import pickle

import pytest

import pyldl_gpu as nn
from pyldl_gpu import backends

np = backends.host()


def _cnn():
    return nn.Sequential(nn.Conv2D(3, 2, 4, padding=1), nn.ReLU(), nn.MaxPool2D(2), nn.Conv2D((2, 3), 4, 3),
                         nn.Tanh(), nn.Flatten(), nn.Linear(2 * 1 * 3, 5))


def _pair(rng):
    """A net, an independent deep copy wrapped in DataParallel (3 threads, chunks of any size) and float64
    inputs of an odd batch."""
    nn.set_default_dtype("float64")
    net = _cnn()
    wrapped = nn.DataParallel(copy.deepcopy(net), threads=3, min_rows=1)
    x = nn.asarray(rng.standard_normal((13, 7, 7, 2)))
    return net, wrapped, x


def _grads(net):
    return [nn.to_numpy(p.grad).copy() for p in net.parameters()]


def test_forward_backward_and_gradients_equal_the_unwrapped_module(rng):
    net, wrapped, x = _pair(rng)
    delta = nn.asarray(rng.standard_normal((13, 5)))
    np.testing.assert_allclose(nn.to_numpy(wrapped(x)), nn.to_numpy(net(x)), rtol=1e-12, atol=1e-12)
    assert wrapped._bounds == [(0, 4), (4, 8), (8, 13)]  # really split in three
    for m in (net, wrapped):
        m.zero_grad()
    dx, dx_wrapped = net.backward(delta), wrapped.backward(delta)
    np.testing.assert_allclose(nn.to_numpy(dx_wrapped), nn.to_numpy(dx), rtol=1e-12, atol=1e-12)
    for mine, theirs in zip(_grads(wrapped), _grads(net)):
        np.testing.assert_allclose(mine, theirs, rtol=1e-11, atol=1e-12)
    # the course API's separate calls give the same, and gradients accumulate (+=) like any module's
    wrapped.backward_update_gradient(x, delta)
    np.testing.assert_allclose(nn.to_numpy(wrapped.backward_delta(x, delta)), nn.to_numpy(dx), rtol=1e-12)
    for mine, theirs in zip(_grads(wrapped), _grads(net)):
        np.testing.assert_allclose(mine, 2 * theirs, rtol=1e-11, atol=1e-12)


def test_finite_difference_gradients(rng):
    nn.set_default_dtype("float64")
    wrapped = nn.DataParallel(_cnn(), threads=2, min_rows=1)
    nn.gradcheck(wrapped, nn.asarray(rng.standard_normal((5, 7, 7, 2))))


def test_training_steps_match_the_unwrapped_module(rng):
    net, wrapped, x = _pair(rng)
    y = nn.asarray(rng.integers(0, 5, 13))
    for m in (net, wrapped):
        opt = nn.Optim(m, nn.CrossEntropyLoss(), nn.Adam(m, lr=1e-2))
        for _ in range(4):
            opt.step(x, y)
    for mine, theirs in zip(wrapped.parameters(), net.parameters()):
        np.testing.assert_allclose(nn.to_numpy(mine.data), nn.to_numpy(theirs.data), rtol=1e-10, atol=1e-12)


def test_fit_learns_and_keeps_float32(rng):
    centres = rng.standard_normal((3, 6)) * 3
    y = rng.integers(0, 3, 300)
    x = (centres[y] + rng.standard_normal((300, 6))).astype(np.float32)
    net = nn.DataParallel(nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 3)), threads=2)
    nn.Optim(net, nn.CrossEntropyLoss(), nn.Adam(net, lr=1e-2)).fit(x, y, epochs=5, batch_size=32, verbose=False)
    out = net(nn.asarray(x[:64]))
    assert out.dtype == np.float32 and all(p.grad.dtype == np.float32 for p in net.parameters())
    assert nn.evaluate(net, x, y)["accuracy"] > 0.9


def test_replicas_follow_rebound_weights_and_mode(rng):
    net, wrapped, x = _pair(rng)
    wrapped(x)  # builds the copies
    for p in wrapped.parameters():
        p.data = p.data * 0.5  # an optimizer or load may rebind instead of writing in place
    for p in net.parameters():
        p.data = p.data * 0.5
    np.testing.assert_allclose(nn.to_numpy(wrapped(x)), nn.to_numpy(net(x)), rtol=1e-12, atol=1e-12)
    wrapped.eval()
    assert all(not r.training for r in wrapped._workers[1])


def test_dropout_is_reproducible_and_its_backward_uses_the_forward_mask(rng):
    x = nn.asarray(rng.random((40, 10)))

    def run():
        nn.manual_seed(7)
        net = nn.DataParallel(nn.Sequential(nn.Linear(10, 30), nn.Dropout(0.5), nn.Linear(30, 2)), threads=2)
        out = net(x)
        net.zero_grad()
        dx = net.backward(nn.asarray(np.ones((40, 2), dtype=np.float32)))
        return nn.to_numpy(out), nn.to_numpy(dx), net

    (out1, dx1, net), (out2, dx2, _) = run(), run()
    np.testing.assert_array_equal(out1, out2)
    np.testing.assert_array_equal(dx1, dx2)
    # each chunk's backward went through that chunk's mask: recompute chunk by chunk with the masks kept
    lin1, _drop, lin2 = net.module
    for replica, (lo, hi) in zip([net.module, *net._workers[1]], net._bounds):
        scale = nn.to_numpy(replica[1]._scale)
        expected = (np.ones((hi - lo, 2)) @ nn.to_numpy(lin2.weight.data).T * scale) @ nn.to_numpy(
            lin1.weight.data).T
        np.testing.assert_allclose(dx1[lo:hi], expected, rtol=1e-5, atol=1e-6)


def test_small_batches_and_one_thread_run_unsplit(rng):
    wrapped = nn.DataParallel(_cnn(), threads=2)  # min_rows 8
    x = nn.asarray(rng.standard_normal((15, 7, 7, 2)))
    wrapped(x)
    assert wrapped._bounds is None and wrapped._workers is None
    wrapped(nn.asarray(rng.standard_normal((16, 7, 7, 2))))
    assert wrapped._bounds == [(0, 8), (8, 16)]
    single = nn.DataParallel(_cnn(), threads=1)
    single(nn.asarray(rng.standard_normal((64, 7, 7, 2))))
    assert single._bounds is None


def test_blas_pool_is_restored(rng):
    threadpoolctl = pytest.importorskip("threadpoolctl")

    def blas():
        return [i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]

    before = blas()
    _, wrapped, x = _pair(rng)
    wrapped(x)
    assert blas() == before


def test_refuses_batch_statistics_and_penalties():
    with pytest.raises(ValueError, match=r"1 \(BatchNorm1D\).*batch statistics"):
        nn.DataParallel(nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1D(4)))
    with pytest.raises(ValueError, match="KLSparsity"):
        nn.DataParallel(nn.Sequential(nn.Linear(3, 4), nn.Sigmoid(), nn.KLSparsity()))
    with pytest.raises(TypeError, match="wraps a Module"):
        nn.DataParallel(lambda x: x)
    with pytest.raises(ValueError, match="threads"):
        nn.DataParallel(nn.Linear(2, 2), threads=0)


def test_copies_pickles_and_checkpoints(rng, tmp_path):
    _, wrapped, x = _pair(rng)
    out = nn.to_numpy(wrapped(x))
    for clone in (copy.deepcopy(wrapped), pickle.loads(pickle.dumps(wrapped))):
        np.testing.assert_allclose(nn.to_numpy(clone(x)), out, rtol=1e-12)
    assert next(n for n, _ in wrapped.named_parameters()) == "module.0.weight"
    nn.save(wrapped, tmp_path / "dp.npz")
    other = nn.DataParallel(_cnn(), threads=2, min_rows=1)
    nn.load(other, tmp_path / "dp.npz")
    np.testing.assert_allclose(nn.to_numpy(other(x)), out, rtol=1e-12)


def test_two_runs_in_two_threads_leave_the_blas_pool_as_they_found_it():
    """The issue's example: after two DataParallel fits side by side in two threads the BLAS pool was often left
    at one thread (threadpoolctl ignored the restore made by the thread that closed last)."""
    import threading

    threadpoolctl = pytest.importorskip("threadpoolctl")

    def blas():
        return [i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]

    before = blas()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((256, 6)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)

    def train(seed):
        nn.manual_seed(seed)
        net = nn.DataParallel(nn.Sequential(nn.Linear(6, 32), nn.ReLU(), nn.Linear(32, 2)), threads=2)
        nn.Optim(net, nn.CrossEntropyLoss(), nn.SGD(net, lr=0.1)).fit(x, y, epochs=3, batch_size=32, verbose=False)

    for _ in range(4):  # the threads' order varies: which one closes last too
        threads = [threading.Thread(target=train, args=(seed,)) for seed in (1, 2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert blas() == before


@pytest.mark.parametrize("kwargs", [{"threads": 2.5}, {"threads": 0}, {"min_rows": 0}, {"min_rows": "8"}])
def test_thread_and_row_counts_are_positive_integers(kwargs):
    with pytest.raises(nn.ArgumentError, match=f"DataParallel: {next(iter(kwargs))} must be >= 1 \\(an integer\\)"):
        nn.DataParallel(nn.Linear(2, 2), **kwargs)
