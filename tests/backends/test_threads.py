"""The BLAS pool under blas_threads blocks in several threads: the limit is applied whichever thread opens
first and undone whichever closes last, so the pool ends as it was found."""

from __future__ import annotations

import threading

import pytest

from pyldl_gpu import backends

threadpoolctl = pytest.importorskip("threadpoolctl")


def blas_pool() -> list[int]:
    return [i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]


@pytest.fixture
def pool():
    before = blas_pool()
    if not before:
        pytest.skip("no BLAS library that threadpoolctl can see")
    yield before
    assert blas_pool() == before


def _in_thread(steps):
    """Run steps (a list of callables) one after the other in a new thread, each when released; the thread
    stays alive until every step ran. Returns (release(), join())."""
    go = [threading.Event() for _ in steps]
    done = [threading.Event() for _ in steps]

    def body():
        for step, start, finished in zip(steps, go, done):
            if not start.wait(10):
                return  # the test failed before releasing this step
            step()
            finished.set()

    thread = threading.Thread(target=body)
    thread.start()

    def release(k):
        go[k].set()
        assert done[k].wait(10)

    return release, thread.join


def test_the_last_block_to_close_restores_the_pool_from_another_thread(pool):
    """Thread A opens (and so sets the limit), thread B opens, A closes, B closes last: B restores the pool.
    threadpoolctl ignored B's restore while A lived, and the pool stayed at one thread."""
    blocks = {}

    def opener(name):
        def open_block():
            blocks[name] = backends.blas_threads(1)
            blocks[name].__enter__()
        return open_block

    def closer(name):
        return lambda: blocks[name].__exit__(None, None, None)

    release_a, join_a = _in_thread([opener("a"), closer("a"), lambda: None])
    release_b, join_b = _in_thread([opener("b"), closer("b")])
    release_a(0)
    assert blas_pool() == [1] * len(pool)
    release_b(0)
    release_a(1)
    assert blas_pool() == [1] * len(pool)  # B's block is still open
    release_b(1)
    assert blas_pool() == pool  # while A still lives
    release_a(2)
    join_a(), join_b()


def test_a_block_in_another_thread_applies_its_limit(pool):
    """After thread A's block, a block in thread B (A still alive) limited nothing: threadpoolctl let only A
    change the pool."""
    seen = []

    def block_a():
        with backends.blas_threads(1):
            pass

    release_a, join_a = _in_thread([block_a, lambda: None])
    release_a(0)

    def block_b():
        with backends.blas_threads(1):
            seen.append(blas_pool())

    thread = threading.Thread(target=block_b)
    thread.start()
    thread.join()
    release_a(1)
    join_a()
    assert seen == [[1] * len(pool)]
