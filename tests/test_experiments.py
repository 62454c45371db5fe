"""Every experiment's --quick run, as a user runs it, with metric floors that chance cannot reach;
the runner; RESULTS.md generation; the README's main job."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("PYLDL_DATA", ROOT.parent / "shared" / "data"))


def _run(args, tmp_path, timeout=240) -> dict:
    env = {**os.environ, "PYLDL_DEVICE": os.environ.get("PYLDL_DEVICE", "cpu"), "PYLDL_DATA": str(DATA)}
    out = tmp_path / "out"
    subprocess.run([sys.executable, *args, "--quick", "--quiet", "--out", str(out)], cwd=ROOT, env=env,
                   capture_output=True, text=True, timeout=timeout, check=True)
    record = json.loads((out / "metrics.json").read_text())
    assert record["quick"] and record["wall_seconds"] >= 0
    pngs = list(out.glob("*.png"))
    assert pngs, "every experiment writes figures"
    return record["metrics"]


def _needs(*files):
    missing = [f for f in files if not (DATA / f).is_file()]
    if missing:
        pytest.skip(f"shared data missing: {missing}")


def test_linear_regression(tmp_path):
    m = _run(["experiments/linear_regression.py"], tmp_path)
    assert m["test_r2"] > 0.95 and m["weight_error"] < 0.1


def test_nonlinear_classification(tmp_path):
    m = _run(["experiments/nonlinear_classification.py"], tmp_path)
    assert m["best_test_error"] < 0.05  # chance: 50 %


def test_multiclass_mlp_digits(tmp_path):
    assert _run(["experiments/multiclass_mlp.py"], tmp_path)["test_accuracy"] > 0.85  # chance: 10 %


def test_autoencoder_usps(tmp_path):
    _needs("usps/usps.npz")
    m = _run(["experiments/autoencoder.py"], tmp_path)
    assert m["deep-bce/psnr"] > 11.0 and m["deep-mse/test_mse"] < 0.07


def test_compression_usps(tmp_path):
    _needs("usps/usps.npz")
    m = _run(["experiments/compression.py", "--dataset", "usps"], tmp_path)
    assert m["256:4/compression_ratio"] == 64 and m["256:4/latent_classifier_accuracy"] > 0.3


def test_denoising_digits(tmp_path):
    m = _run(["experiments/denoising.py"], tmp_path)
    assert m["accuracy_clean"] > 0.85
    for key in ("gauss-0.4", "sp-30"):
        assert m[f"{key}/psnr_denoised"] > m[f"{key}/psnr_noisy"] + 2  # the denoiser removes noise
        assert m[f"{key}/kl_denoised"] < m[f"{key}/kl_noisy"]
        assert m[f"{key}/accuracy_denoised"] > m[f"{key}/accuracy_noisy"]
        assert m[f"{key}/accuracy_denoised_other"] > m[f"{key}/accuracy_noisy_other"]  # an independent classifier
    assert m["accuracy_clean_other"] > 0.85
    for suffix in ("", "_other"):  # the task-driven denoiser (Gaussian noise only) helps both classifiers
        assert m[f"gauss-0.4/accuracy_denoised_task{suffix}"] > m[f"gauss-0.4/accuracy_noisy{suffix}"]
    assert "sp-30/accuracy_denoised_task" not in m


def test_latent_clustering_usps(tmp_path):
    _needs("usps/usps.npz")
    m = _run(["experiments/latent_clustering.py"], tmp_path)
    assert m["kmeans_purity_2d_latent"] > 0.3 and m["kmeans_purity_raw_pixels"] > 0.3  # chance: about 0.17


def test_cnn_usps(tmp_path):
    _needs("usps/usps.npz")
    m = _run(["experiments/cnn.py"], tmp_path)
    assert m["conv1d_accuracy"] > 0.85 and m["conv2d_accuracy"] > 0.85


def test_optimizers_mnist(tmp_path):
    _needs("mnist/train-images-idx3-ubyte.gz", "mnist/t10k-images-idx3-ubyte.gz")
    m = _run(["experiments/optimizers.py"], tmp_path)
    names = ("sgd-momentum-0.1", "sgd-momentum-0.9", "rmsprop", "adam")
    assert all(m[f"{n}/test_accuracy"] > 0.7 for n in names), m
    assert all(m[f"{n}/epochs_to_97"] == -1 or 1 <= m[f"{n}/epochs_to_97"] <= 2 for n in names), m


def test_grid_search_digits(tmp_path):
    m = _run(["experiments/grid_search.py"], tmp_path)
    assert m["trials"] == 4 and m["best_val_accuracy"] > 0.8 and m["test_accuracy"] > 0.8
    assert m["best_loss"] in ("ce", "mse")


def test_stacked_denoising_mnist(tmp_path):
    _needs("mnist/train-images-idx3-ubyte.gz", "mnist/t10k-images-idx3-ubyte.gz")
    m = _run(["experiments/stacked_denoising.py"], tmp_path)
    assert m["layer1/reconstruction_bce"] < 0.3, "the first layer learned to reconstruct (chance BCE is ~0.7)"
    assert m["finetuned_accuracy"] > 0.3 and m["scratch_accuracy"] > 0.3 and m["labelled"] == 300


def test_digit_pairs_mnist(tmp_path):
    _needs("mnist/train-images-idx3-ubyte.gz", "mnist/t10k-images-idx3-ubyte.gz")
    m = _run(["experiments/digit_pairs.py"], tmp_path)
    assert m["rounds"] == 2 and m["pairs"] == 300
    for name in ("plain-cnn", "weight-sharing", "weight-sharing+aux"):
        assert m[f"{name}/test_error_mean"] < 0.35, (name, m)  # chance is about 0.5


def test_faces_olivetti(tmp_path):
    _needs("olivetti/olivettifaces.mat")
    m = _run(["experiments/faces.py"], tmp_path)
    assert m["pixels/identity_accuracy"] > 0.5 and m["4096:64/identity_accuracy"] > 0.1  # chance is 1/40
    assert m["4096:64/compression_ratio"] == 64.0 and m["4096:64/psnr"] > 12.0
    assert m["denoise/psnr_denoised"] > m["denoise/psnr_noisy"]


def test_epochs_to_target():
    from experiments.optimizers import epochs_to

    assert epochs_to([0.5, 0.97, 0.99], 0.97) == 2 and epochs_to([0.5], 0.97) == -1 and epochs_to([], 0.9) == -1


def test_runner_lists_every_experiment():
    out = subprocess.run([sys.executable, "-m", "experiments", "list"], cwd=ROOT, capture_output=True, text=True,
                         timeout=60, check=True).stdout
    from experiments import REGISTRY

    assert all(name in out for name in REGISTRY) and len(out.splitlines()) == len(REGISTRY)


def test_results_table_is_generated_from_full_runs_only(tmp_path):
    from experiments.results import write_results

    for name, quick in (("a", False), ("b", True)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "metrics.json").write_text(json.dumps({
            "title": f"exp {name}", "dataset": "digits", "seed_report": "x", "metrics": {"acc": 0.5},
            "device": "cpu", "wall_seconds": 1.0, "quick": quick}))
    text = write_results(tmp_path, tmp_path / "RESULTS.md", gpu_runs=tmp_path / "none").read_text()
    assert "| exp a | digits | x | acc 0.5000 | cpu | 1.0 s |" in text and "exp b" not in text
    assert "On the GPU" not in text

    gpu = tmp_path / "gpu" / "a-cuda"
    gpu.mkdir(parents=True)
    (gpu / "metrics.json").write_text(json.dumps({
        "title": "exp a", "dataset": "digits", "metrics": {"acc": 0.625}, "device": "cuda:0", "wall_seconds": 0.25,
        "quick": False}))
    text = write_results(tmp_path, tmp_path / "RESULTS.md", gpu_runs=tmp_path / "gpu").read_text()
    assert "| exp a | digits | acc 0.6250 | 1.0 s | 0.25 s | 4.0x |" in text


def test_module_entry_point_reports_device_and_cuda_status():
    out = subprocess.run([sys.executable, "-m", "pyldl_gpu"], cwd=ROOT, capture_output=True, text=True,
                         timeout=60, check=True, env={**os.environ, "PYLDL_DEVICE": "cpu"}).stdout
    assert "active device: cpu (NumPy" in out and "default dtype: float32" in out
    assert re.search(r"cuda: (usable|not usable: .+)", out)
