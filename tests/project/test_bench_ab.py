"""bench/ab.py: the library as it was (a baseline tree) and as it is, and PyTorch, each in a worker process of its
own (bench/worker.py), timed in one run with the rounds alternated. No test asserts on timings."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import ClassVar

import pytest

CHECKOUT = next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").is_file())  # any tests/ depth
# appended to the copied package: its import fails unless the worker keeps the tree off the heap
HEAP_GUARD = '\nimport os as _os\nif _os.environ.get("PYLDL_MALLOC_TUNING") != "0":\n    raise RuntimeError("tuning")\n'


def library_tree(root: Path) -> Path:
    """A tree holding a copy of this checkout's pyldl_gpu, which refuses to import without PYLDL_MALLOC_TUNING=0."""
    tree = root / "tree"
    shutil.copytree(CHECKOUT / "pyldl_gpu", tree / "pyldl_gpu", ignore=shutil.ignore_patterns("__pycache__"))
    with open(tree / "pyldl_gpu" / "__init__.py", "a") as init:
        init.write(HEAP_GUARD)
    return tree


def w4(batch: int = 8):
    from workloads import WORKLOADS, at_batch

    return at_batch(WORKLOADS["W4"], batch)


def test_worker_imports_the_library_of_the_tree_it_is_given(tmp_path, bench_path, monkeypatch):
    """Even with this checkout on PYTHONPATH (and, where installed so, an editable install mapping to it)."""
    from worker import Worker

    monkeypatch.setenv("PYTHONPATH", str(CHECKOUT))
    tree = library_tree(tmp_path)
    worker = Worker(w4(), "cpu", train=True, lib="ours", tree=tree)
    try:
        assert worker.ready, "the worker builds W4 from the copy and says ready"
        assert Path(worker.library).resolve() == (tree / "pyldl_gpu" / "__init__.py").resolve()
        assert worker.seconds_per_step(3) > 0
    finally:
        worker.close()
    assert worker.proc.returncode == 0


def test_worker_refuses_a_tree_without_a_library_of_its_own(tmp_path, bench_path):
    """An empty folder: the editable install (or nothing) would answer the import; the worker must not run it."""
    from worker import Worker

    worker = Worker(w4(), "cpu", train=True, lib="ours", tree=tmp_path)
    try:
        assert not worker.ready
    finally:
        worker.close()
    assert worker.proc.returncode == 5


def test_rounds_rotate_so_that_no_side_always_goes_first(bench_path):
    from ab import round_orders

    orders = round_orders(["old", "new", "torch"], 4)
    assert orders == [("old", "new", "torch"), ("new", "torch", "old"), ("torch", "old", "new"),
                      ("old", "new", "torch")]
    assert sorted(order[0] for order in orders[:3]) == ["new", "old", "torch"]


def test_every_round_is_timed_after_a_pause(bench_path):
    from ab import run_rounds

    log = []

    def timer(side):
        return lambda n: log.append((side, n)) or len(log)

    times = run_rounds({s: timer(s) for s in ("old", "new", "torch")}, 7, 2, pause=lambda device: log.append("pause"))
    assert log == ["pause", ("old", 7), "pause", ("new", 7), "pause", ("torch", 7),
                   "pause", ("new", 7), "pause", ("torch", 7), "pause", ("old", 7)]
    assert times == {"old": [2, 12], "new": [4, 8], "torch": [6, 10]}


def test_ratios_are_medians_of_per_round_throughput_ratios(bench_path):
    from ab import summarise

    times = {"old": [2.0, 2.0, 4.0], "new": [1.0, 2.0, 2.0], "torch": [1.0, 1.0, 1.0]}  # seconds per step
    info = summarise(times, batch=10)
    assert info["old_samples_per_s"] == 5.0 and info["new_samples_per_s"] == 5.0 and info["torch_samples_per_s"] == 10
    assert info["old_over_torch"] == {"median": 0.5, "min": 0.25, "max": 0.5}
    assert info["new_over_torch"] == {"median": 0.5, "min": 0.5, "max": 1.0}
    assert info["new_over_old"] == {"median": 2.0, "min": 1.0, "max": 2.0}


class FakeWorker:
    """Stands in for worker.Worker: a fixed time per step for each library tree, every call recorded."""

    started: ClassVar[list] = []
    per_step: ClassVar[dict] = {}

    def __init__(self, w, device, train, heap, lib, tree, library=None):
        self.lib, self.tree, self.calls, self.closed, self.ready = lib, Path(tree), [], False, True
        self.library = library or str(self.tree / "pyldl_gpu" / "__init__.py")
        FakeWorker.started.append(self)

    def seconds_per_step(self, n):
        self.calls.append(n)
        return self.per_step[self.lib, self.tree]

    def close(self):
        self.closed = True


def test_measure_times_three_workers_alternately(tmp_path, bench_path, monkeypatch):
    import ab
    from workloads import steps_for

    monkeypatch.setattr(ab, "settle", lambda device: None)
    old, new = tmp_path / "old", tmp_path / "new"
    FakeWorker.started = []
    FakeWorker.per_step = {("ours", old): 0.004, ("ours", new): 0.002, ("torch", new): 0.001}
    info = ab.measure("W4", 8, "train", {"old": old, "new": new}, rounds=3, heap="default", start=FakeWorker)
    assert [(f.lib, f.tree) for f in FakeWorker.started] == [("ours", old), ("ours", new), ("torch", new)]
    n = steps_for(0.001)  # sized from the fastest side's warm-up
    assert info["steps_per_round"] == n
    assert all(f.calls == [3, n, n, n] and f.closed for f in FakeWorker.started)
    assert info["new_over_old"]["median"] == 2.0 and info["new_over_torch"]["median"] == 0.5
    assert info["old_over_torch"]["median"] == 0.25 and info["batch"] == 8


def test_measure_refuses_a_worker_that_imported_another_library(tmp_path, bench_path):
    import ab

    class Stray(FakeWorker):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs, library=str(CHECKOUT / "pyldl_gpu" / "__init__.py"))

    FakeWorker.started = []
    with pytest.raises(ab.WorkerError, match="imported"):
        ab.measure("W4", 8, "train", {"old": tmp_path, "new": tmp_path}, start=Stray)
    assert FakeWorker.started[0].closed


def test_one_run_end_to_end_writes_json_and_markdown(tmp_path):
    pytest.importorskip("torch", reason="PyTorch is the benchmark's peer; not installed here")
    tree = library_tree(tmp_path)
    out_json, out_md = tmp_path / "ab.json", tmp_path / "ab.md"
    done = subprocess.run([sys.executable, str(CHECKOUT / "bench" / "ab.py"), "--baseline", str(tree), "--workloads",
                           "W4", "--batch", "8", "--rounds", "2", "--heap", "default", "--round-seconds", "0.05",
                           "--json", str(out_json), "--md", str(out_md)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(out_json.read_text())
    (result,) = report["results"]
    assert result["key"] == "W4" and result["batch"] == 8 and result["mode"] == "train"
    assert Path(result["libraries"]["old"]).resolve().is_relative_to(tree.resolve())
    assert Path(result["libraries"]["new"]).resolve().is_relative_to(CHECKOUT)
    assert all(len(result["seconds_per_step"][side]) == 2 for side in ("old", "new", "torch"))
    assert report["heap"] == "default" and "numpy" in report["environment"] and report["cpu"]
    assert "commit" not in report["baseline"]
    table = out_md.read_text()
    assert table in done.stdout
    row = next(line for line in table.splitlines() if line.startswith("| W4"))
    assert row.count("x (") == 3, row
