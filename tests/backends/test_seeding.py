"""A training run owns its random streams (spawned, under manual_seed, when its Optim is built): nets trained
in two threads each reproduce their sequential run, whatever the other thread draws meanwhile."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

import pyldl_gpu as nn
from pyldl_gpu import backends

np = backends.host()


def _data(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((192, 6)).astype(np.float32)
    return x, (x[:, 0] + x[:, 1] > 0).astype(np.int64)


def _net(parallel=False):
    net = nn.Sequential(nn.Linear(6, 24), nn.ReLU(), nn.Dropout(0.3), nn.Linear(24, 2))
    return nn.DataParallel(net, threads=2) if parallel else net


def _weights(net):
    return [nn.to_numpy(p.data).copy() for p in net.parameters()]


def _fit(opt, x, y):
    opt.fit(x, y, epochs=4, batch_size=16, verbose=False)


def _build_two(seed, parallel=False):
    nn.manual_seed(seed)
    runs = []
    for _ in range(2):
        net = _net(parallel)
        runs.append((net, nn.Optim(net, nn.CrossEntropyLoss(), nn.SGD(net, lr=0.1, momentum=0.9))))
    return runs


def _in_threads(*targets):
    """Run the targets at once, one thread each; their exceptions come back here."""
    with ThreadPoolExecutor(len(targets)) as pool:
        for future in [pool.submit(target) for target in targets]:
            future.result()


@pytest.mark.parametrize("parallel", [False, True], ids=["plain", "data-parallel"])
def test_two_nets_built_in_one_thread_and_trained_in_two_reproduce_their_sequential_runs(parallel):
    """The issue's example: shuffles (and dropout masks, and DataParallel's chunk seeds) came from generators
    every thread shared, so the threads' draws interleaved."""
    x, y = _data()
    sequential = _build_two(3, parallel)
    for _, opt in sequential:
        _fit(opt, x, y)
    for _ in range(3):
        runs = _build_two(3, parallel)
        _in_threads(*(lambda opt=opt: _fit(opt, x, y) for _, opt in runs))
        for (net, _), (reference, _) in zip(runs, sequential):
            for mine, theirs in zip(_weights(net), _weights(reference)):
                np.testing.assert_array_equal(mine, theirs)


def test_a_run_is_not_disturbed_by_another_thread_drawing_meanwhile():
    """One thread trains while another, which never seeded, builds nets (drawing initial weights from the
    process-wide generator): the run's shuffles and masks are its own."""
    x, y = _data()

    def build_and_train():
        nn.manual_seed(11)
        net = _net()
        _fit(nn.Optim(net, nn.CrossEntropyLoss(), nn.Adam(net, lr=0.01)), x, y)
        return _weights(net)

    alone = build_and_train()
    nn.manual_seed(11)
    net = _net()
    opt = nn.Optim(net, nn.CrossEntropyLoss(), nn.Adam(net, lr=0.01))
    stop = threading.Event()

    def draw():
        while not stop.is_set():
            _net()
            backends.host_rng().random(100)
            backends.rng()

    drawer = threading.Thread(target=draw)
    drawer.start()
    try:
        trainer = threading.Thread(target=_fit, args=(opt, x, y))
        trainer.start()
        trainer.join()
    finally:
        stop.set()
        drawer.join()
    for mine, theirs in zip(_weights(net), alone):
        np.testing.assert_array_equal(mine, theirs)


def test_fit_draws_nothing_from_the_callers_generator():
    """The caller's stream is the same after a fit as before it: the run drew from its own."""
    x, y = _data()
    nn.manual_seed(5)
    net = _net()
    opt = nn.Optim(net, nn.CrossEntropyLoss(), 0.1)
    state = backends.host_rng().bit_generator.state
    _fit(opt, x, y)
    assert backends.host_rng().bit_generator.state == state


def test_spawned_streams_follow_manual_seed_and_using_streams_restores_the_context():
    nn.manual_seed(1)
    a = backends.spawn_streams()
    nn.manual_seed(1)
    b = backends.spawn_streams()
    c = backends.spawn_streams()
    assert a.seed == b.seed != c.seed
    outer = backends.host_rng()
    with backends.using_streams(a) as streams:
        assert backends.host_rng() is streams.host and backends.rng() is streams.device_rng(backends.active())
    assert backends.host_rng() is outer


@pytest.mark.parametrize("seed, shown", [
    (-1, "int -1"), (None, "NoneType None"), ("3", "str '3'"), (1.7, "float 1.7"), (True, "bool True"),
    (np.int64(-2), "int64 -2"),
], ids=["negative", "none", "string", "fraction", "bool", "negative-numpy"])
def test_manual_seed_refuses_a_bad_seed_before_any_generator_changes(seed, shown):
    """manual_seed(-1) reseeded Python's random before NumPy refused the seed."""
    import random

    nn.manual_seed(11)
    random.seed(5)
    expected_python = random.random()
    random.seed(5)
    reference = np.random.default_rng(11).random()
    with pytest.raises(nn.ArgumentError, match=rf"manual_seed: seed must be a non-negative integer, got {shown}"):
        nn.manual_seed(seed)
    assert random.random() == expected_python
    assert backends.host_rng().random() == reference


@pytest.mark.parametrize("seed", [np.int32(7), np.uint64(7), 7.0])
def test_manual_seed_takes_numpy_integers_and_integral_floats(seed):
    nn.manual_seed(seed)
    first = backends.host_rng().random()
    nn.manual_seed(7)
    assert backends.host_rng().random() == first
