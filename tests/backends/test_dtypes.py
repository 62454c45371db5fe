"""The default dtype is per thread and per context: overlapping float64 blocks (default_dtype, gradcheck) in
some threads never make another thread's nets float64 and never leave the process in float64."""

from __future__ import annotations

import threading

import pyldl_gpu as nn
from pyldl_gpu import backends

np = backends.host()


def _run(*bodies):
    threads = [threading.Thread(target=body) for body in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_overlapping_float64_blocks_in_two_threads_leave_every_thread_float32():
    """A opens, B opens, A closes, B closes: each block restores its own thread's dtype, and a third thread
    building nets meanwhile builds float32 ones."""
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def thread_a():
        with nn.default_dtype("float64"):
            a_in.set()
            b_in.wait(10)
            seen["a_inside"] = nn.Linear(2, 2).weight.data.dtype
        seen["a_after"] = nn.floatx()
        a_out.set()

    def thread_b():
        a_in.wait(10)
        with nn.default_dtype("float64"):
            b_in.set()
            a_out.wait(10)
            seen["b_inside"] = nn.Linear(2, 2).weight.data.dtype
        seen["b_after"] = nn.floatx()

    def builder():
        b_in.wait(10)
        seen["builder"] = {nn.Linear(3, 3).weight.data.dtype for _ in range(20)}

    _run(thread_a, thread_b, builder)
    assert seen == {"a_inside": np.float64, "b_inside": np.float64, "a_after": np.float32,
                    "b_after": np.float32, "builder": {np.dtype(np.float32)}}
    assert nn.floatx() == np.float32 and nn.Linear(2, 2).weight.data.dtype == np.float32


def test_gradchecks_in_threads_never_make_another_threads_nets_float64(rng):
    x = rng.standard_normal((3, 6))
    built = set()
    running = threading.Event()
    done = []

    def check():
        running.set()
        nn.gradcheck(nn.Sequential(nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 2)), nn.asarray(x))
        done.append(nn.floatx())

    def build():
        running.wait(10)
        while True:  # at least once, then until both checks are done
            net = nn.Linear(4, 4)
            built.add(net.weight.data.dtype)
            built.add(net(nn.asarray(rng.standard_normal((2, 4)))).dtype)
            if len(done) == 2:
                break

    _run(check, check, build)
    assert built == {np.dtype(np.float32)} and done == [np.float32, np.float32]
    assert nn.floatx() == np.float32


def test_a_new_thread_starts_from_float32_and_the_device_of_the_environment():
    seen = {}
    nn.set_default_dtype("float64")

    def body():
        seen["dtype"], seen["device"] = nn.floatx(), nn.get_device()

    _run(body)
    nn.set_default_dtype("float32")
    assert seen == {"dtype": np.float32, "device": "cpu"}
