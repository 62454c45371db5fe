"""The CPU backend's compiled kernels: which code serves it (PYLDL_KERNELS, Numba missing), the thread count
(PYLDL_NUM_THREADS, blas_threads blocks), the same bits on any number of threads, and the errors a kernel raises
where NumPy would have. What each kernel computes is checked in test_fused_ops.py."""

from __future__ import annotations

import importlib.util

import pytest
from test_fused_ops import FAMILIES, OPS, _outputs, _random_case

import pyldl_gpu as nn
from pyldl_gpu import backends
from pyldl_gpu.backends.cpu import NumpyBackend, kernels

np = backends.host()


def _compiled() -> bool:
    return backends.active().name == "cpu" and backends.active().compiled


needs_kernels = pytest.mark.skipif("not _compiled()", reason="the CPU kernels are off (PYLDL_KERNELS=reference, "
                                   "no Numba, or another device)")


def test_reference_is_chosen_by_the_variable(monkeypatch):
    monkeypatch.setenv("PYLDL_KERNELS", "reference")
    backend = NumpyBackend(0)
    assert not backend.compiled and backend.kernel_choice == "reference"
    assert "reference array code (PYLDL_KERNELS=reference)" in backend.describe()


def test_reference_when_numba_is_missing(monkeypatch):
    monkeypatch.delenv("PYLDL_KERNELS", raising=False)
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "numba" else real(name, *a))
    backend = NumpyBackend(0)
    assert not backend.compiled and "Numba is not installed" in backend.describe()
    monkeypatch.setenv("PYLDL_KERNELS", "numba")
    with pytest.raises(ValueError, match="Numba is not installed"):
        NumpyBackend(0)


def test_a_bad_choice_is_refused(monkeypatch):
    monkeypatch.setenv("PYLDL_KERNELS", "fast")
    with pytest.raises(ValueError, match=r"PYLDL_KERNELS must be one of \('numba', 'reference'\)"):
        NumpyBackend(0)


@needs_kernels
def test_describe_names_the_kernels_and_threads():
    text = backends.active().describe()
    assert "kernels: Numba" in text and "thread(s)" in text


@needs_kernels
def test_thread_count_follows_the_user_and_blas_blocks(monkeypatch):
    monkeypatch.setattr(kernels, "_configured", None)
    monkeypatch.setenv("PYLDL_NUM_THREADS", "1")
    assert kernels.configured_threads() == 1
    monkeypatch.setattr(kernels, "_configured", None)
    monkeypatch.setenv("PYLDL_NUM_THREADS", "0")
    with pytest.raises(ValueError, match="PYLDL_NUM_THREADS must be a positive integer"):
        kernels.configured_threads()
    monkeypatch.setattr(kernels, "_configured", 2)
    assert kernels.threads_for(kernels.PARALLEL_WORK - 1) == 1
    assert kernels.threads_for(kernels.PARALLEL_WORK) == 2
    with backends.blas_threads(1):  # DataParallel's replicas: one thread each
        assert kernels.threads_for(kernels.PARALLEL_WORK) == 1
    assert kernels.threads_for(kernels.PARALLEL_WORK) == 2


@needs_kernels
@pytest.mark.parametrize("family", FAMILIES)
def test_the_same_bits_on_one_thread_and_on_two(family, monkeypatch):
    """Every kernel splits its work so that no result depends on the thread count (small work forced parallel)."""
    monkeypatch.setattr(kernels, "PARALLEL_WORK", 0)
    backend = backends.active()
    cases = [_random_case(family, seed, np.float32) for seed in range(4)]
    cases += [case for case in OPS.values() if family in case.covers[0]]
    for seed, case in enumerate(cases):
        host = case.inputs(np.random.default_rng(seed))
        runs = []
        for threads in (1, 2):
            monkeypatch.setattr(kernels, "_configured", threads)
            runs.append(_outputs(case, backend, host))
        for a, b in zip(*runs):
            np.testing.assert_array_equal(a, b)


@needs_kernels
def test_cross_entropy_refuses_labels_out_of_range():
    logits = nn.asarray(np.zeros((4, 3), np.float32))
    for bad in (3, -1):
        with pytest.raises(IndexError, match="1 label\\(s\\) out of range for 3 classes"):
            backends.active().softmax_cross_entropy(logits, nn.asarray(np.array([0, 1, bad, 2])))


@needs_kernels
def test_kernels_take_strided_and_other_dtypes_through_the_array_code():
    backend = backends.active()
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4, 1) - 10.0
    strided = nn.asarray(np.ascontiguousarray(np.repeat(x, 2, axis=3)))[..., ::2]
    np.testing.assert_array_equal(nn.to_numpy(backend.relu(strided)), np.maximum(x, 0))
    ints = nn.asarray(np.array([-1, 2, -3], dtype=np.int32))
    assert nn.to_numpy(backend.relu(ints)).tolist() == [0, 2, 0]


def test_the_command_line_report_says_which_kernels_serve_the_cpu(monkeypatch):
    from pyldl_gpu.__main__ import report

    monkeypatch.setenv("PYLDL_KERNELS", "reference")
    assert "cpu kernels: reference array code (PYLDL_KERNELS=reference)" in report().splitlines()
    monkeypatch.delenv("PYLDL_KERNELS")
    if kernels.choice()[0] == "numba":
        lines = report().splitlines()
        assert any(line.startswith("cpu kernels: Numba") for line in lines)
        assert f"cpu kernel cache: {kernels.cache_location()}" in lines


@needs_kernels
@pytest.mark.parametrize("operation", ["relu", "relu_backward", "tanh_backward", "sigmoid_backward"])
def test_small_activations_take_the_array_code_and_large_ones_the_kernel(operation, monkeypatch):
    """Under ELEMENTWISE_WORK elements NumPy is as fast as one kernel thread: the kernel (and its compile) is
    skipped; at the threshold the kernel runs. The same values either way (test_fused_ops.py)."""
    monkeypatch.setattr(kernels, "ELEMENTWISE_WORK", 64)
    family = kernels.load().activations
    calls = []
    real = getattr(family, operation)
    monkeypatch.setattr(family, operation, lambda *args: calls.append(args[0].size) or real(*args))
    backend = backends.active()
    for size in (63, 64):
        x = nn.asarray(np.linspace(-1, 1, size, dtype=np.float32).reshape(1, size))
        backend.relu(x) if operation == "relu" else getattr(backend, operation)(x, x)
    assert calls == [64]
