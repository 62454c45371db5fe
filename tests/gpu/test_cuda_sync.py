"""No host<->device traffic inside a training step (marked ``cuda``).

The probe: a kernel that keeps the GPU busy for a few seconds is queued first; then the training steps are
queued behind it. Any synchronisation (a float() of a device scalar, .item(), .get(), a host copy, a
pageable upload) would make the host wait for that kernel, so if the host gets through all the steps in far
less time than the kernel takes, and the stream is still busy afterwards, nothing in them synchronised.
``fit`` is checked the same way between its per-epoch transfers, whose number is counted.

The probe queues only a few hundred kernels behind the spin: CUDA's queue of pending launches is about a
thousand deep, and a full queue makes the host wait too, whatever the code does."""

from __future__ import annotations

import time

import pytest

import pyldl_gpu as nn
from pyldl_gpu import backends

np = backends.host()
pytestmark = pytest.mark.cuda

BUSY_S = 1.0
_SPIN = r"""
extern "C" __global__ void spin(unsigned long long ns) {
    unsigned long long start, now;
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(start));
    do { asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(now)); } while (now - start < ns);
}
"""


def _occupy_gpu(seconds: float) -> None:
    """Queue a one-thread kernel that spins for ``seconds`` on the current stream; returns at once."""
    cupy = backends.xp()
    kernel = cupy.RawKernel(_SPIN, "spin")
    kernel((1,), (1,), (cupy.uint64(int(seconds * 1e9)),))


def _stream_busy() -> bool:
    return not backends.xp().cuda.get_current_stream().done  # cudaStreamQuery: never waits


def _lenet():
    return nn.Sequential(nn.Conv2D(5, 1, 6), nn.ReLU(), nn.MaxPool2D(2), nn.Flatten(), nn.Linear(6 * 6 * 6, 32),
                         nn.Dropout(0.2), nn.ReLU(), nn.Linear(32, 10))


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_training_steps_never_synchronise(optimizer, rng):
    with nn.device("cuda"):
        net = _lenet()
        opt = nn.Optim(net, nn.CrossEntropyLoss(),
                       nn.SGD(net, lr=0.01, momentum=0.9) if optimizer == "sgd" else nn.Adam(net, lr=1e-3))
        x = nn.asarray(rng.random((64, 16, 16, 1)))
        y = nn.asarray(rng.integers(0, 10, 64))
        records = nn.xp().zeros((2, 5), dtype=nn.floatx())
        opt.step(x, y)  # compile the kernels first: compiling may wait for the device
        nn.accuracy(y, opt.last_output)
        for b in range(5):
            nn.synchronize()
            _occupy_gpu(BUSY_S)
            start = time.perf_counter()
            records[0, b] = opt.step(x, y)  # what fit does per batch: loss and metric stay on the device
            records[1, b] = nn.accuracy(y, opt.last_output)
            host_time = time.perf_counter() - start
            busy = _stream_busy()
            assert host_time < BUSY_S / 3, f"step {b} took {host_time:.2f} s of host time: it waited for the GPU"
            assert busy, f"the GPU finished its queue before step {b} was queued: the step synchronised"
        nn.synchronize()
    assert np.isfinite(nn.to_numpy(records)).all()


def test_fit_reads_back_once_per_epoch_and_never_waits_inside_an_epoch(rng, monkeypatch):
    epochs, n, batch = 3, 64, 32  # two batches per epoch keep the queue short (see above)
    transfers = {"to_device": 0, "to_host": 0}
    waited = []
    real_asarray, real_to_numpy = backends.asarray, backends.to_numpy

    def counting_asarray(a, dtype=None):
        if not backends.is_array(a):
            transfers["to_device"] += 1
        out = real_asarray(a, dtype)
        if not backends.is_array(a) and getattr(a, "shape", None) == (n,):  # the epoch's shuffled order
            _occupy_gpu(BUSY_S)
            waited.append(time.perf_counter())
        return out

    def counting_to_numpy(a):
        transfers["to_host"] += 1
        if waited:  # the epoch's read-back: the batch loop must have run while the GPU was still busy
            waited[-1] = (time.perf_counter() - waited[-1], _stream_busy())
        return real_to_numpy(a)

    monkeypatch.setattr(backends, "asarray", counting_asarray)
    monkeypatch.setattr(backends, "to_numpy", counting_to_numpy)
    with nn.device("cuda"):
        net = _lenet()
        opt = nn.Optim(net, nn.CrossEntropyLoss(), nn.Adam(net, lr=1e-3))
        x = rng.random((n, 16, 16, 1)).astype(np.float32)
        y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, n)]  # one-hot: only the shuffled order is (n,)
        opt.fit(x, y, epochs=1, batch_size=batch, metrics=["accuracy"], verbose=False)  # compile every kernel
        nn.synchronize()  # first: loading a freshly compiled kernel into the context waits for the device
        transfers.update(to_device=0, to_host=0)
        waited.clear()
        history = opt.fit(x, y, epochs=epochs, batch_size=batch, metrics=["accuracy"], verbose=False)
    assert len(history["loss"]) == epochs
    # x and y once; then per epoch one upload (the shuffled order) and one read-back (the epoch's records)
    assert transfers == {"to_device": 2 + epochs, "to_host": epochs}, transfers
    assert len(waited) == epochs
    for loop_time, busy in waited:
        assert loop_time < BUSY_S / 3 and busy, f"an epoch's batch loop waited for the GPU ({loop_time:.2f} s)"
