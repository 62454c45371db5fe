"""bench/report.py: the CPU-vs-GPU table, the target verdicts and the chart, from a small synthetic result file."""

from __future__ import annotations

import importlib.util
import json

from paths import BENCH


def _report():
    spec = importlib.util.spec_from_file_location("bench_report", BENCH / "report.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _bench(device, key, batch, ours, torch, ratio):
    return {"name": f"test_throughput[{key}-b{batch}-train-{device}]", "extra_info": {
        "workload": f"{key} test net", "key": key, "mode": "train", "batch": batch, "device": device,
        "ours_samples_per_s": ours, "torch_samples_per_s": torch, "ratio_ours_over_torch": ratio,
        "ratio_min": ratio - 0.1, "ratio_max": ratio + 0.1}}


def test_table_speedups_targets_and_chart(tmp_path):
    data = {"machine_info": {"cpu": {"brand_raw": "Test CPU", "count": 16}, "python_version": "3.12",
                             "pyldl_environment": {"gpu": "Test GPU", "cupy": "14.2.0"}},
            "datetime": "today", "benchmarks": [
                _bench("cpu", "W2", 1024, 10_000, 20_000, 0.5), _bench("cuda", "W2", 1024, 250_000, 400_000, 0.62),
                _bench("cpu", "W1", 1024, 10_000, 10_000, 1.0), _bench("cuda", "W1", 1024, 40_000, 100_000, 0.4),
                {"name": "mem", "extra_info": {"workload": "W2 test net", "key": "W2", "mode": "memory", "batch": 1024,
                                               "device": "cuda", "ours_peak_mib": 60.0, "torch_peak_mib": 50.0,
                                               "memory_ratio_ours_over_torch": 1.2}}]}
    path = tmp_path / "run.json"
    path.write_text(json.dumps(data))
    report = _report()
    text = report.render(path)
    assert "gpu: Test GPU; cupy: 14.2.0" in text
    assert ("| W2 test net | 1024 | train | 10,000 | 250,000 | 20,000 | 400,000 | 25.0x | 0.50x (0.40-0.60) "
            "| 0.62x (0.52-0.72) |") in text
    assert "- W2 batch 1024: ours GPU / ours CPU 25.0x (target >= 20x): met" in text
    assert "- W1 batch 1024: ours / PyTorch CUDA 0.40x (target >= 0.5x): NOT met" in text
    assert "W1 batch 1024: ours GPU / ours CPU" not in text  # the 20x target names W2, W3 and W5 only
    assert "| W2 test net | 1024 | cuda | 60.0 | 50.0 | 1.20x |" in text
    png = report.chart(path, tmp_path / "run.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_table_says_where_pytorch_ran(tmp_path):
    report = _report()
    for place, expected in [("own", "PyTorch ran in a process of its own, with glibc's default heap"),
                            ("own-tuned", "PyTorch ran in a process of its own with the same heap setting as ours"),
                            ("shared", "PyTorch ran in the benchmark's process, sharing the heap"), (None, None)]:
        bench = _bench("cpu", "W3", 128, 9_000, 12_000, 0.75)
        if place:
            bench["extra_info"]["torch_process"] = place
        path = tmp_path / f"{place}.json"
        path.write_text(json.dumps({"machine_info": {}, "datetime": "today", "benchmarks": [bench]}))
        text = report.render(path)
        assert (expected in text) if expected else ("PyTorch ran" not in text)
